-- E-mail (API.md §9): the outbox, the sender's lease, one-time tokens, verified addresses, watching
-- (see mysql/0006_outbox.sql).
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN pending_email TEXT NULL COLLATE NOCASE;
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'instant';
ALTER TABLE users ADD COLUMN digest_through TEXT NULL;
CREATE INDEX ix_users_digest ON users (email_notifications, digest_through);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_key TEXT NOT NULL UNIQUE,
  recipient TEXT NOT NULL,
  template TEXT NOT NULL,
  params TEXT NULL,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT NULL,
  sent_at TEXT NULL,
  failed_at TEXT NULL
);
CREATE INDEX ix_outbox_due ON outbox (sent_at, failed_at, next_attempt_at, id);

CREATE TABLE outbox_lease (
  name TEXT NOT NULL PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE TABLE email_tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  email TEXT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE watches (
  user_id INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (target_type, target_id, user_id),
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_watches_user ON watches (user_id);

INSERT OR IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'post', id, created_at FROM posts;
INSERT OR IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'post', post_id, MIN(created_at) FROM comments GROUP BY user_id, post_id;
INSERT OR IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'question', id, created_at FROM questions;
INSERT OR IGNORE INTO watches (user_id, target_type, target_id, created_at)
  SELECT user_id, 'question', question_id, MIN(created_at) FROM answers GROUP BY user_id, question_id;
