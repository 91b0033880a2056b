-- Search (API.md §7): one row per searchable post, comment, question, answer and group, holding
-- its words as shared/search_text.py segments them (space-separated, each prefixed 'zz': so no
-- word is shorter than innodb_ft_min_token_size or an InnoDB stopword), under an InnoDB FULLTEXT
-- index. The write statements are the same on SQLite (shared/storage/search.py); only the MATCH differs.
CREATE TABLE search_docs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(8) NOT NULL,           -- post | comment | question | answer | group
  item_id BIGINT UNSIGNED NOT NULL,
  thread_id BIGINT UNSIGNED NULL,     -- the post of a post or comment, the question of a question or answer; NULL for a group
  title_terms TEXT NOT NULL,
  body_terms MEDIUMTEXT NOT NULL,
  UNIQUE KEY uq_search_docs (kind, item_id),
  KEY ix_search_docs_thread (kind, thread_id),
  FULLTEXT KEY ft_search_docs (title_terms, body_terms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which engine this database searches with (the one statement that differs reads it), and whether
-- the index was ever built from the rows: `forum migrate` builds it when built_at is NULL.
CREATE TABLE search_state (
  engine VARCHAR(16) NOT NULL PRIMARY KEY,
  built_at DATETIME NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO search_state (engine, built_at) VALUES ('innodb', NULL);
