-- Bookmarks and unread (API.md §10).

-- A user's bookmarks of posts and questions: unique per user and target; listed newest first by id.
-- No foreign key to the target (it is one of two tables): deleting a post or question deletes its
-- bookmarks (threads.delete_container), and the list joins the target so nothing gone is listed.
CREATE TABLE bookmarks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  target_type VARCHAR(8) NOT NULL,           -- 'post' | 'question'
  target_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY uq_bookmarks_user_target (user_id, target_type, target_id),
  KEY ix_bookmarks_user (user_id, id),       -- GET /me/bookmarks, newest first
  KEY ix_bookmarks_target (target_type, target_id),
  CONSTRAINT fk_bookmarks_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- When each user last opened each post or question (GET /posts/{id}, GET /questions/{id} and so the
-- pages): seen_id is the newest comment or answer id then. What came after it is unread.
CREATE TABLE last_visits (
  user_id BIGINT UNSIGNED NOT NULL,
  target_type VARCHAR(8) NOT NULL,           -- 'post' | 'question'
  target_id BIGINT UNSIGNED NOT NULL,
  seen_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  visited_at DATETIME NOT NULL,
  PRIMARY KEY (user_id, target_type, target_id),
  KEY ix_last_visits_target (target_type, target_id),
  CONSTRAINT fk_last_visits_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Counting what came after seen_id is a range on these (replies included, so not the *_top indexes).
ALTER TABLE comments ADD KEY ix_comments_post_all (post_id, id);
ALTER TABLE answers ADD KEY ix_answers_question_all (question_id, id);
