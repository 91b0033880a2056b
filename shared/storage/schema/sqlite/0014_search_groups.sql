-- Each document names its group (see mysql/0014_search_groups.sql).
ALTER TABLE search_docs ADD COLUMN group_id INTEGER NULL;

-- The full-text index holds only the words: an update of anything else leaves it alone (the backfill
-- below would otherwise delete and insert every post's and comment's words again).
DROP TRIGGER search_docs_update;
CREATE TRIGGER search_docs_update AFTER UPDATE OF title_terms, body_terms ON search_docs BEGIN
  INSERT INTO search_fts (search_fts, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms); INSERT INTO search_fts (rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms); END;

UPDATE search_docs SET group_id = (SELECT group_id FROM posts WHERE posts.id = search_docs.thread_id)
 WHERE kind IN ('post', 'comment');
UPDATE search_docs SET group_id = item_id WHERE kind = 'group';

CREATE INDEX ix_search_docs_group ON search_docs (group_id, id);
CREATE INDEX ix_search_docs_group_kind ON search_docs (group_id, kind, item_id);
