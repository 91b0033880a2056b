-- Search (API.md §7): one row per searchable post, comment, question, answer and group, holding
-- its words as shared/search_text.py segments them (space-separated, each prefixed 'zz'), and an
-- FTS5 index over them that triggers keep in step with the rows (FTS5's "external content" table).
-- The write statements are the same on MySQL (shared/storage/search.py); only the MATCH differs.
CREATE TABLE search_docs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,                 -- post | comment | question | answer | group
  item_id INTEGER NOT NULL,
  thread_id INTEGER NULL,             -- the post of a post or comment, the question of a question or answer; NULL for a group
  title_terms TEXT NOT NULL,
  body_terms TEXT NOT NULL,
  UNIQUE (kind, item_id)
);

CREATE INDEX ix_search_docs_thread ON search_docs (kind, thread_id);

-- unicode61 splits on the spaces; every token is already lower-case letters and digits.
CREATE VIRTUAL TABLE search_fts USING fts5(title_terms, body_terms, content='search_docs', content_rowid='id');

CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
  INSERT INTO search_fts (rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms); END;

CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms); END;

CREATE TRIGGER search_docs_update AFTER UPDATE ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms); INSERT INTO search_fts (rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms); END;

-- Which engine this database searches with (the one statement that differs reads it), and whether
-- the index was ever built from the rows: `forum migrate` builds it when built_at is NULL.
CREATE TABLE search_state (
  engine TEXT NOT NULL PRIMARY KEY,
  built_at TEXT NULL
);

INSERT INTO search_state (engine, built_at) VALUES ('fts5', NULL);
