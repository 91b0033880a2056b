-- Rate-limit counters when there is no Redis (see mysql/0003_rate_limits.sql).
CREATE TABLE rate_limits (
  name TEXT NOT NULL PRIMARY KEY,
  hits INTEGER NOT NULL,
  window_ends INTEGER NOT NULL
);

CREATE INDEX ix_rate_limits_window_ends ON rate_limits (window_ends);
