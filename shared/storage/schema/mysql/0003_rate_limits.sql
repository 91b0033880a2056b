-- Rate-limit counters when there is no Redis: one row per rule and key (the key hashed, so its
-- length and characters never matter), a fixed window that restarts when it has ended. Every
-- process of every flavour counts here, so gunicorn's and uWSGI's workers share one limit.
CREATE TABLE rate_limits (
  name VARCHAR(100) NOT NULL PRIMARY KEY,
  hits INT NOT NULL,
  window_ends BIGINT NOT NULL,
  KEY ix_rate_limits_window_ends (window_ends)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
