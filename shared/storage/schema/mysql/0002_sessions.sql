-- Browser sessions for the HTML pages: the cookie holds a random id, the table holds its SHA-256,
-- so a leaked database cannot be replayed as cookies. Logging out deletes the row (the cookie stops
-- working at once); a password change bumps users.token_version, which ends every session too.
CREATE TABLE sessions (
  id_hash CHAR(64) NOT NULL PRIMARY KEY,
  user_id BIGINT UNSIGNED NOT NULL,
  token_version INT NOT NULL,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  KEY ix_sessions_user (user_id),
  KEY ix_sessions_expires (expires_at),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

-- Rendered HTML of long comments and answers can outgrow TEXT (64 KiB) even when the Markdown fits.
ALTER TABLE comments MODIFY content_html MEDIUMTEXT NOT NULL;
ALTER TABLE answers MODIFY content_html MEDIUMTEXT NOT NULL;
