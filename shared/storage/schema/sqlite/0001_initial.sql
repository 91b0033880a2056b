-- The whole forum, first step (SQLite). Mirrors mysql/0001_initial.sql. Every list the API serves has an index that
-- matches its WHERE and ORDER BY, so keyset pages cost the same at any depth.
-- Times are UTC TEXT; counters are kept in the row they count and moved in the same transaction.

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL COLLATE NOCASE,  -- unique ignoring case, as on MySQL
  email TEXT NOT NULL COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  token_version INT NOT NULL DEFAULT 0,       -- bumped by a password change: older tokens stop working
  nickname TEXT NOT NULL DEFAULT '',
  bio TEXT NOT NULL DEFAULT '',
  avatar_url TEXT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE forum_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL COLLATE NOCASE,
  category TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  join_policy TEXT NOT NULL,           -- 'open' | 'approval'
  cover_url TEXT NULL,
  owner_id INTEGER NOT NULL,
  member_count INT NOT NULL DEFAULT 0,
  post_count INT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  FOREIGN KEY (owner_id) REFERENCES users (id)
);

CREATE TABLE memberships (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  role TEXT NOT NULL,                  -- 'owner' | 'member'
  joined_at TEXT NOT NULL,
  FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE applications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,                -- 'pending' | 'approved' | 'rejected'
  pending INTEGER NULL,                       -- 1 while pending, else NULL: at most one pending per (group, user)
  created_at TEXT NOT NULL,
  decided_at TEXT NULL,
  FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,           -- rendered and sanitised once, at write time
  pinned INTEGER NOT NULL DEFAULT 0,
  locked INTEGER NOT NULL DEFAULT 0,
  view_count INT NOT NULL DEFAULT 0,
  comment_count INT NOT NULL DEFAULT 0,       -- every comment, replies included
  like_count INT NOT NULL DEFAULT 0,
  hot_score REAL NOT NULL DEFAULT 0,        -- shared.ranking.hot_score(likes, comments, created_at)
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  FOREIGN KEY (group_id) REFERENCES forum_groups (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  post_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  parent_id INTEGER NULL,             -- NULL for a top-level comment
  reply_to_user_id INTEGER NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,
  like_count INT NOT NULL DEFAULT 0,
  reply_count INT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
  FOREIGN KEY (parent_id) REFERENCES comments (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE questions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,
  category TEXT NOT NULL,
  view_count INT NOT NULL DEFAULT 0,
  answer_count INT NOT NULL DEFAULT 0,        -- every answer, replies included
  hot_score REAL NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE answers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  question_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  parent_id INTEGER NULL,
  reply_to_user_id INTEGER NULL,
  content TEXT NOT NULL,
  content_html TEXT NOT NULL,
  like_count INT NOT NULL DEFAULT 0,
  reply_count INT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  FOREIGN KEY (question_id) REFERENCES questions (id) ON DELETE CASCADE,
  FOREIGN KEY (parent_id) REFERENCES answers (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

-- One like table per target keeps real foreign keys; the primary key makes a like unique.
CREATE TABLE post_likes (
  post_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (post_id, user_id),
  FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE comment_likes (
  comment_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (comment_id, user_id),
  FOREIGN KEY (comment_id) REFERENCES comments (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE answer_likes (
  answer_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (answer_id, user_id),
  FOREIGN KEY (answer_id) REFERENCES answers (id) ON DELETE CASCADE,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,           -- the recipient
  kind TEXT NOT NULL,
  actor_id INTEGER NULL,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  excerpt TEXT NOT NULL DEFAULT '',
  is_read INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE guestbook (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE uploads (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  purpose TEXT NOT NULL,               -- 'avatar' | 'cover'
  filename TEXT NOT NULL,             -- random, generated by the server
  content_type TEXT NOT NULL,
  byte_size INT NOT NULL,
  width INT NOT NULL,
  height INT NOT NULL,
  created_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE UNIQUE INDEX uq_users_username ON users (username);
CREATE UNIQUE INDEX uq_users_email ON users (email);
CREATE UNIQUE INDEX uq_groups_name ON forum_groups (name);
CREATE INDEX ix_groups_category ON forum_groups (category, id);
CREATE UNIQUE INDEX uq_memberships ON memberships (group_id, user_id);
CREATE INDEX ix_memberships_group ON memberships (group_id, id);
CREATE INDEX ix_memberships_user ON memberships (user_id, id);
CREATE UNIQUE INDEX uq_applications_pending ON applications (group_id, user_id, pending);
CREATE INDEX ix_applications_group_status ON applications (group_id, status, id);
CREATE INDEX ix_applications_group ON applications (group_id, id);
CREATE INDEX ix_posts_group_new ON posts (group_id, pinned, id);
CREATE INDEX ix_posts_group_hot ON posts (group_id, hot_score, id);
CREATE INDEX ix_posts_user ON posts (user_id, id);
CREATE INDEX ix_comments_post_top ON comments (post_id, parent_id, id);
CREATE INDEX ix_comments_parent ON comments (parent_id, id);
CREATE INDEX ix_comments_user ON comments (user_id, id);
CREATE INDEX ix_questions_category ON questions (category, id);
CREATE INDEX ix_questions_hot ON questions (hot_score, id);
CREATE INDEX ix_questions_category_hot ON questions (category, hot_score, id);
CREATE INDEX ix_questions_user ON questions (user_id, id);
CREATE INDEX ix_answers_question_top ON answers (question_id, parent_id, id);
CREATE INDEX ix_answers_parent ON answers (parent_id, id);
CREATE INDEX ix_answers_user ON answers (user_id, id);
CREATE INDEX ix_post_likes_user ON post_likes (user_id);
CREATE INDEX ix_comment_likes_user ON comment_likes (user_id);
CREATE INDEX ix_answer_likes_user ON answer_likes (user_id);
CREATE INDEX ix_notifications_user ON notifications (user_id, id);
CREATE INDEX ix_notifications_user_unread ON notifications (user_id, is_read, id);
CREATE UNIQUE INDEX uq_uploads_filename ON uploads (filename);
CREATE INDEX ix_uploads_user ON uploads (user_id, id);
