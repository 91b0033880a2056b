-- Writing and reading (see mysql/0008_writing.sql).
ALTER TABLE posts ADD COLUMN edited_at TEXT NULL;
ALTER TABLE comments ADD COLUMN edited_at TEXT NULL;
ALTER TABLE questions ADD COLUMN edited_at TEXT NULL;
ALTER TABLE questions ADD COLUMN accepted_answer_id INTEGER NULL;
ALTER TABLE answers ADD COLUMN edited_at TEXT NULL;
ALTER TABLE answers ADD COLUMN score INT NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN accepted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_questions_unanswered ON questions (answer_count, id);
CREATE INDEX ix_answers_question_rank ON answers (question_id, parent_id, accepted DESC, score DESC, id);

CREATE TABLE revisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  editor_id INTEGER NULL,
  title TEXT NULL,
  content TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ix_revisions_target ON revisions (target_type, target_id, id);

CREATE TABLE answer_votes (
  answer_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  value INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (answer_id, user_id),
  FOREIGN KEY (answer_id) REFERENCES answers (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_answer_votes_user ON answer_votes (user_id);
