-- E-mail (API.md §9): the outbox, the sender's lease, one-time tokens, verified addresses, watching.

-- What the users gain: a verified flag, the address waiting to be verified (a change keeps the old
-- one until then), how they want notification e-mail, and until when their last digest reached.
ALTER TABLE users
  ADD COLUMN email_verified TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN pending_email VARCHAR(254) NULL,
  ADD COLUMN email_notifications VARCHAR(8) NOT NULL DEFAULT 'instant',   -- 'off' | 'instant' | 'daily'
  ADD COLUMN digest_through DATETIME NULL,
  ADD KEY ix_users_digest (email_notifications, digest_through);

-- Every message an operation made, written in the transaction that made it: a rolled-back
-- operation leaves none. The sender renders and sends due rows, then sets sent_at and erases
-- params (which may hold a one-time link). message_key makes the Message-ID: one per row, kept
-- through every retry.
CREATE TABLE outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_key CHAR(32) NOT NULL,
  recipient VARCHAR(254) NOT NULL,
  template VARCHAR(32) NOT NULL,
  params MEDIUMTEXT NULL,                   -- JSON for the template; NULL once sent
  created_at DATETIME NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME NOT NULL,
  last_error VARCHAR(255) NULL,
  sent_at DATETIME NULL,
  failed_at DATETIME NULL,                  -- the server refused the recipient for good (5xx)
  UNIQUE KEY uq_outbox_message_key (message_key),
  KEY ix_outbox_due (sent_at, failed_at, next_attempt_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row: which sender may deliver until when. Two senders never deliver at the same time.
CREATE TABLE outbox_lease (
  name VARCHAR(16) NOT NULL PRIMARY KEY,
  holder VARCHAR(100) NOT NULL,
  expires_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

-- Verification and password-reset links: the token is random, only its SHA-256 is kept, and
-- it is deleted when used. email is the address a verification confirms.
CREATE TABLE email_tokens (
  token_hash CHAR(64) NOT NULL PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  purpose VARCHAR(8) NOT NULL,              -- 'verify' | 'reset'
  email VARCHAR(254) NULL,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  KEY ix_email_tokens_user (user_id, purpose),
  CONSTRAINT fk_email_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who watches which post or question: they are told of every new comment or answer.
CREATE TABLE watches (
  user_id BIGINT UNSIGNED NOT NULL,
  target_type VARCHAR(8) NOT NULL,          -- 'post' | 'question'
  target_id BIGINT UNSIGNED NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (target_type, target_id, user_id),
  KEY ix_watches_user (user_id),
  CONSTRAINT fk_watches_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Authors and those who took part already watch what they wrote or answered.
INSERT IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'post', id, created_at FROM posts;
INSERT IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'post', post_id, MIN(created_at) FROM comments GROUP BY user_id, post_id;
INSERT IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'question', id, created_at FROM questions;
INSERT IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'question', question_id, MIN(created_at) FROM answers GROUP BY user_id, question_id;
