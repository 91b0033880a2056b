-- Bookmarks and unread (see mysql/0009_bookmarks.sql).
CREATE TABLE bookmarks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX uq_bookmarks_user_target ON bookmarks (user_id, target_type, target_id);
CREATE INDEX ix_bookmarks_user ON bookmarks (user_id, id);
CREATE INDEX ix_bookmarks_target ON bookmarks (target_type, target_id);

CREATE TABLE last_visits (
  user_id INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  seen_id INTEGER NOT NULL DEFAULT 0,
  visited_at TEXT NOT NULL,
  PRIMARY KEY (user_id, target_type, target_id),
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_last_visits_target ON last_visits (target_type, target_id);

CREATE INDEX ix_comments_post_all ON comments (post_id, id);
CREATE INDEX ix_answers_question_all ON answers (question_id, id);
