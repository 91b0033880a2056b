-- Moderation and administration (API.md §6): site roles, hidden content, bans, reports, the audit log.

-- Site role: 'member' | 'moderator' | 'admin'. An erased account keeps its row (its content stays,
-- shown as "deleted user"): deleted_at is set and its personal data blanked.
ALTER TABLE users ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN deleted_at DATETIME NULL;

-- Hidden content: hidden_at NULL means visible (search filters on it too). Counters count visible rows only.
ALTER TABLE posts ADD COLUMN hidden_at DATETIME NULL, ADD COLUMN hidden_reason VARCHAR(500) NULL;
ALTER TABLE comments ADD COLUMN hidden_at DATETIME NULL, ADD COLUMN hidden_reason VARCHAR(500) NULL;
ALTER TABLE questions ADD COLUMN hidden_at DATETIME NULL, ADD COLUMN hidden_reason VARCHAR(500) NULL;
ALTER TABLE answers ADD COLUMN hidden_at DATETIME NULL, ADD COLUMN hidden_reason VARCHAR(500) NULL;

-- One ban per user and scope: group_id 0 is the whole site. A ban is in force while ends_at is NULL or
-- in the future, so one that has ended needs no job to lift it. Lifting deletes the row (the audit log keeps the story).
CREATE TABLE bans (
  user_id BIGINT UNSIGNED NOT NULL,
  group_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(500) NOT NULL,
  ends_at DATETIME NULL,
  banned_by BIGINT UNSIGNED NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (user_id, group_id),
  KEY ix_bans_group (group_id, user_id),
  CONSTRAINT fk_bans_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Reports: group_id names the group of a reported post or comment (its owner and moderators see it),
-- NULL for questions, answers and users (site moderators only). open_flag is 1 while open, else NULL:
-- one open report per reporter and target.
CREATE TABLE reports (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  target_type VARCHAR(16) NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  group_id BIGINT UNSIGNED NULL,
  reason VARCHAR(16) NOT NULL,
  note VARCHAR(1000) NOT NULL DEFAULT '',
  reporter_id BIGINT UNSIGNED NOT NULL,
  status VARCHAR(16) NOT NULL,
  open_flag TINYINT NULL,
  resolution VARCHAR(16) NULL,
  resolver_id BIGINT UNSIGNED NULL,
  created_at DATETIME NOT NULL,
  resolved_at DATETIME NULL,
  UNIQUE KEY uq_reports_open (target_type, target_id, reporter_id, open_flag),
  KEY ix_reports_status (status, id),
  KEY ix_reports_group_status (group_id, status, id),
  KEY ix_reports_target (target_type, target_id, status),
  CONSTRAINT fk_reports_reporter FOREIGN KEY (reporter_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The audit log: written in the transaction of the action it records; no statement updates or deletes it.
-- actor_id NULL: the command line. group_id: the group the action was in (its owner reads those).
CREATE TABLE audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  actor_id BIGINT UNSIGNED NULL,
  action VARCHAR(32) NOT NULL,
  target_type VARCHAR(16) NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  group_id BIGINT UNSIGNED NULL,
  reason VARCHAR(1000) NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  KEY ix_audit_action (action, id),
  KEY ix_audit_actor (actor_id, id),
  KEY ix_audit_group (group_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
