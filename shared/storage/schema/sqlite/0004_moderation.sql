-- Moderation and administration (see mysql/0004_moderation.sql).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN deleted_at TEXT NULL;

ALTER TABLE posts ADD COLUMN hidden_at TEXT NULL;
ALTER TABLE posts ADD COLUMN hidden_reason TEXT NULL;
ALTER TABLE comments ADD COLUMN hidden_at TEXT NULL;
ALTER TABLE comments ADD COLUMN hidden_reason TEXT NULL;
ALTER TABLE questions ADD COLUMN hidden_at TEXT NULL;
ALTER TABLE questions ADD COLUMN hidden_reason TEXT NULL;
ALTER TABLE answers ADD COLUMN hidden_at TEXT NULL;
ALTER TABLE answers ADD COLUMN hidden_reason TEXT NULL;

CREATE TABLE bans (
  user_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  reason TEXT NOT NULL,
  ends_at TEXT NULL,
  banned_by INTEGER NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, group_id),
  FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_bans_group ON bans (group_id, user_id);

CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  group_id INTEGER NULL,
  reason TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  reporter_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  open_flag INTEGER NULL,
  resolution TEXT NULL,
  resolver_id INTEGER NULL,
  created_at TEXT NOT NULL,
  resolved_at TEXT NULL,
  FOREIGN KEY (reporter_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX uq_reports_open ON reports (target_type, target_id, reporter_id, open_flag);
CREATE INDEX ix_reports_status ON reports (status, id);
CREATE INDEX ix_reports_group_status ON reports (group_id, status, id);
CREATE INDEX ix_reports_target ON reports (target_type, target_id, status);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_id INTEGER NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id INTEGER NOT NULL,
  group_id INTEGER NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX ix_audit_action ON audit_log (action, id);
CREATE INDEX ix_audit_actor ON audit_log (actor_id, id);
CREATE INDEX ix_audit_group ON audit_log (group_id, id);

-- An audit entry is never changed: the database refuses it too (MySQL would need SUPER for a trigger).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
