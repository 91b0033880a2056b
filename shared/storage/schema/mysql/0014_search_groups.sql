-- Search within one group (API.md §7 `group_id`) reads that group's own documents: each document
-- names its group (a post's and its comments' is their post's, a group's is its own id; questions and
-- answers have none), and two indexes read a group's newest documents, or one kind of them, without
-- reading the others (shared/storage/search.py, `_newest_first`).
ALTER TABLE search_docs
  ADD COLUMN group_id BIGINT UNSIGNED NULL,
  ADD KEY ix_search_docs_group (group_id, id),
  ADD KEY ix_search_docs_group_kind (group_id, kind, item_id);

UPDATE search_docs SET group_id = (SELECT p.group_id FROM posts p WHERE p.id = search_docs.thread_id)
 WHERE id > 0 AND kind IN ('post', 'comment');
UPDATE search_docs SET group_id = item_id WHERE id > 0 AND kind = 'group';
