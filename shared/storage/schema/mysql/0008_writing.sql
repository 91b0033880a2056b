-- Writing and reading (API.md §10): edits with history, accepted answers and votes.

-- edited_at: NULL until the first edit of the text (pinning or locking a post is not an edit).
ALTER TABLE posts ADD COLUMN edited_at DATETIME NULL;
ALTER TABLE comments ADD COLUMN edited_at DATETIME NULL;
ALTER TABLE questions
  ADD COLUMN edited_at DATETIME NULL,
  ADD COLUMN accepted_answer_id BIGINT UNSIGNED NULL,      -- the answer its author accepted (no FK: see answers.py)
  ADD KEY ix_questions_unanswered (answer_count, id);      -- ?unanswered=true, newest first
-- score: the sum of the votes (+1/-1), moved in the vote's transaction; accepted: 1 on the accepted answer.
-- Top-level answers are listed accepted first, then by score, then oldest: the index in that order.
ALTER TABLE answers
  ADD COLUMN edited_at DATETIME NULL,
  ADD COLUMN score INT NOT NULL DEFAULT 0,
  ADD COLUMN accepted TINYINT NOT NULL DEFAULT 0,
  ADD KEY ix_answers_question_rank (question_id, parent_id, accepted DESC, score DESC, id);

-- Every version of an edited text, written in the edit's transaction: the first edit also keeps the
-- original (its author as editor, its creation time). Deleted with the content.
CREATE TABLE revisions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  target_type VARCHAR(8) NOT NULL,           -- 'post' | 'comment' | 'question' | 'answer'
  target_id BIGINT UNSIGNED NOT NULL,
  editor_id BIGINT UNSIGNED NULL,
  title VARCHAR(120) NULL,                   -- posts and questions
  content MEDIUMTEXT NOT NULL,
  created_at DATETIME NOT NULL,
  KEY ix_revisions_target (target_type, target_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One vote per user and answer; the primary key makes it unique.
CREATE TABLE answer_votes (
  answer_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  value TINYINT NOT NULL,                    -- 1 | -1
  created_at DATETIME NOT NULL,
  PRIMARY KEY (answer_id, user_id),
  KEY ix_answer_votes_user (user_id),
  CONSTRAINT fk_answer_votes_answer FOREIGN KEY (answer_id) REFERENCES answers (id) ON DELETE CASCADE,
  CONSTRAINT fk_answer_votes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
