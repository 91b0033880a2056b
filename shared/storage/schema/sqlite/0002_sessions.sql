-- Browser sessions for the HTML pages (see mysql/0002_sessions.sql). SQLite's TEXT has no size
-- limit, so the content_html change of the MySQL step has nothing to do here.
CREATE TABLE sessions (
  id_hash TEXT NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL,
  token_version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_sessions_user ON sessions (user_id);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);
