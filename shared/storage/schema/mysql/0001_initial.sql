-- The whole forum, first step. InnoDB, utf8mb4. Every list the API serves has an index that
-- matches its WHERE and ORDER BY, so keyset pages cost the same at any depth.
-- Times are UTC DATETIME; counters are kept in the row they count and moved in the same transaction.

CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(32) NOT NULL,              -- the collation is case-insensitive: unique ignoring case
  email VARCHAR(254) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  token_version INT NOT NULL DEFAULT 0,       -- bumped by a password change: older tokens stop working
  nickname VARCHAR(64) NOT NULL DEFAULT '',
  bio VARCHAR(1000) NOT NULL DEFAULT '',
  avatar_url VARCHAR(255) NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY uq_users_username (username),
  UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE forum_groups (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  category VARCHAR(32) NOT NULL,
  description VARCHAR(2000) NOT NULL DEFAULT '',
  join_policy VARCHAR(16) NOT NULL,           -- 'open' | 'approval'
  cover_url VARCHAR(255) NULL,
  owner_id BIGINT UNSIGNED NOT NULL,
  member_count INT NOT NULL DEFAULT 0,
  post_count INT NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  UNIQUE KEY uq_groups_name (name),
  KEY ix_groups_category (category, id),
  CONSTRAINT fk_groups_owner FOREIGN KEY (owner_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE memberships (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  group_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  role VARCHAR(16) NOT NULL,                  -- 'owner' | 'member'
  joined_at DATETIME NOT NULL,
  UNIQUE KEY uq_memberships (group_id, user_id),
  KEY ix_memberships_group (group_id, id),
  KEY ix_memberships_user (user_id, id),
  CONSTRAINT fk_memberships_group FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  CONSTRAINT fk_memberships_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE applications (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  group_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(1000) NOT NULL DEFAULT '',
  status VARCHAR(16) NOT NULL,                -- 'pending' | 'approved' | 'rejected'
  pending TINYINT NULL,                       -- 1 while pending, else NULL: at most one pending per (group, user)
  created_at DATETIME NOT NULL,
  decided_at DATETIME NULL,
  UNIQUE KEY uq_applications_pending (group_id, user_id, pending),
  KEY ix_applications_group_status (group_id, status, id),
  KEY ix_applications_group (group_id, id),
  CONSTRAINT fk_applications_group FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  CONSTRAINT fk_applications_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE posts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  group_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  title VARCHAR(120) NOT NULL,
  content MEDIUMTEXT NOT NULL,
  content_html MEDIUMTEXT NOT NULL,           -- rendered and sanitised once, at write time
  pinned TINYINT NOT NULL DEFAULT 0,
  locked TINYINT NOT NULL DEFAULT 0,
  view_count INT NOT NULL DEFAULT 0,
  comment_count INT NOT NULL DEFAULT 0,       -- every comment, replies included
  like_count INT NOT NULL DEFAULT 0,
  hot_score DOUBLE NOT NULL DEFAULT 0,        -- shared.ranking.hot_score(likes, comments, created_at)
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  KEY ix_posts_group_new (group_id, pinned, id),
  KEY ix_posts_group_hot (group_id, hot_score, id),
  KEY ix_posts_user (user_id, id),
  CONSTRAINT fk_posts_group FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE comments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  post_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  parent_id BIGINT UNSIGNED NULL,             -- NULL for a top-level comment
  reply_to_user_id BIGINT UNSIGNED NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,
  like_count INT NOT NULL DEFAULT 0,
  reply_count INT NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  KEY ix_comments_post_top (post_id, parent_id, id),
  KEY ix_comments_parent (parent_id, id),
  KEY ix_comments_user (user_id, id),
  CONSTRAINT fk_comments_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
  CONSTRAINT fk_comments_parent FOREIGN KEY (parent_id) REFERENCES comments (id) ON DELETE CASCADE,
  CONSTRAINT fk_comments_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE questions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  title VARCHAR(120) NOT NULL,
  content MEDIUMTEXT NOT NULL,
  content_html MEDIUMTEXT NOT NULL,
  category VARCHAR(32) NOT NULL,
  view_count INT NOT NULL DEFAULT 0,
  answer_count INT NOT NULL DEFAULT 0,        -- every answer, replies included
  hot_score DOUBLE NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  KEY ix_questions_category (category, id),
  KEY ix_questions_hot (hot_score, id),
  KEY ix_questions_category_hot (category, hot_score, id),
  KEY ix_questions_user (user_id, id),
  CONSTRAINT fk_questions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE answers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  question_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  parent_id BIGINT UNSIGNED NULL,
  reply_to_user_id BIGINT UNSIGNED NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,
  like_count INT NOT NULL DEFAULT 0,
  reply_count INT NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  KEY ix_answers_question_top (question_id, parent_id, id),
  KEY ix_answers_parent (parent_id, id),
  KEY ix_answers_user (user_id, id),
  CONSTRAINT fk_answers_question FOREIGN KEY (question_id) REFERENCES questions (id) ON DELETE CASCADE,
  CONSTRAINT fk_answers_parent FOREIGN KEY (parent_id) REFERENCES answers (id) ON DELETE CASCADE,
  CONSTRAINT fk_answers_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One like table per target keeps real foreign keys; the primary key makes a like unique.
CREATE TABLE post_likes (
  post_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (post_id, user_id),
  KEY ix_post_likes_user (user_id),
  CONSTRAINT fk_post_likes_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
  CONSTRAINT fk_post_likes_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;

CREATE TABLE comment_likes (
  comment_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (comment_id, user_id),
  KEY ix_comment_likes_user (user_id),
  CONSTRAINT fk_comment_likes_comment FOREIGN KEY (comment_id) REFERENCES comments (id) ON DELETE CASCADE,
  CONSTRAINT fk_comment_likes_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;

CREATE TABLE answer_likes (
  answer_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (answer_id, user_id),
  KEY ix_answer_likes_user (user_id),
  CONSTRAINT fk_answer_likes_answer FOREIGN KEY (answer_id) REFERENCES answers (id) ON DELETE CASCADE,
  CONSTRAINT fk_answer_likes_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;

CREATE TABLE notifications (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,           -- the recipient
  kind VARCHAR(16) NOT NULL,
  actor_id BIGINT UNSIGNED NULL,
  target_type VARCHAR(16) NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  excerpt VARCHAR(200) NOT NULL DEFAULT '',
  is_read TINYINT NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  KEY ix_notifications_user (user_id, id),
  KEY ix_notifications_user_unread (user_id, is_read, id),
  CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE guestbook (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  email VARCHAR(254) NOT NULL DEFAULT '',
  address VARCHAR(200) NOT NULL DEFAULT '',
  message VARCHAR(2000) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE uploads (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  purpose VARCHAR(16) NOT NULL,               -- 'avatar' | 'cover'
  filename VARCHAR(128) NOT NULL,             -- random, generated by the server
  content_type VARCHAR(32) NOT NULL,
  byte_size INT NOT NULL,
  width INT NOT NULL,
  height INT NOT NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY uq_uploads_filename (filename),
  KEY ix_uploads_user (user_id, id),
  CONSTRAINT fk_uploads_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
