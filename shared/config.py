"""Settings, read once at start-up: command-line flags win over the environment, which wins over a file.

Every setting has an environment variable ``FORUM_<NAME>`` and a flag ``--<name>`` (dashes for
underscores). The optional file (``FORUM_CONFIG`` or ``--config``) is ``KEY = value`` lines, the
format ``tornado.options.parse_config_file`` reads too.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger("forum.config")

DEFAULT_DATABASE_URL = "sqlite:///var/forum.sqlite3"
MIN_SECRET_BYTES = 32
# FORUM_MYSQL_DRIVER's choices, and where each runs: on the event loop (Tornado) or in blocking workers
MYSQL_DRIVERS = {"aiomysql": "async", "asyncmy": "async", "pymysql": "sync", "mysqlclient": "sync"}


class ConfigError(Exception):
    """A setting that stops start-up; the message is one line for the operator."""


def setting(default: Any, meaning: str) -> Any:
    """A setting's default and its one-line meaning, which ``--help`` and ``docs/reference/settings.md`` show."""
    return field(default=default, metadata={"meaning": meaning})


@dataclass(frozen=True)
class Settings:
    """Every setting, each with ``FORUM_<NAME>``, ``--<name>`` and a line in docs/reference/settings.md."""

    database_url: str = setting(DEFAULT_DATABASE_URL, "where the data lives: sqlite:///path or "
                                "mysql://user:password@host:port/name")
    secret: str = setting("", "HMAC key for tokens and signed cookies, at least 32 bytes; development "
                          "makes one in var/secret.key")
    env: str = setting("development", "'production' refuses to start without FORUM_SECRET, and with FORUM_DEBUG")
    debug: bool = setting(False, "keep each request's effects for the X-ray pages at /debug/requests "
                          "(never in production)")
    redis_url: str = setting("", "Redis for rate limits and notification fan-out across processes "
                             "(empty: counted in the database, one process's sockets only)")
    media_dir: str = setting("var/media", "where uploads are written, outside the code tree")
    media_url: str = setting("/media/", "the URL prefix uploads are served under")
    link_preview_allow: str = setting("", "host:port list the link preview may reach despite the SSRF guard")
    mysql_driver: str = setting("aiomysql,pymysql", "MySQL's drivers: aiomysql or asyncmy on the event loop, pymysql or "
                                "mysqlclient on the workers; one not named keeps its default")
    pool_size: int = setting(10, "database connections per process")
    pool_timeout: float = setting(2.0, "seconds to wait for a free connection, then 503")
    connect_timeout: float = setting(3.0, "seconds to open a database connection")
    read_timeout: float = setting(10.0, "seconds to wait for a MySQL answer")
    write_timeout: float = setting(10.0, "seconds to wait while sending to MySQL")
    pool_recycle: int = setting(280, "seconds a connection may idle before it is replaced; capped below the "
                                "server's wait_timeout at start")
    search_timeout: float = setting(1.0, "seconds a search may run on MySQL/MariaDB; then the server stops it and "
                                    "the answer is a 422 asking for a more specific word (0: no bound; below read_timeout)")
    sqlite_busy_timeout: float = setting(5.0, "seconds SQLite waits for another process's write lock")
    token_ttl: int = setting(86400, "seconds an access token lives")
    max_json_bytes: int = setting(1024 * 1024, "the largest JSON body accepted (413 beyond)")
    max_upload_bytes: int = setting(2 * 1024 * 1024, "the largest upload accepted (413 beyond)")
    grace_period: float = setting(10.0, "seconds in-flight requests may take after SIGTERM")
    ws_ping_interval: float = setting(30.0, "seconds between WebSocket pings; nginx's /ws/ read timeout is "
                                      "10x this")
    ws_max_sockets: int = setting(0, "sockets one process may hold; 0: its open-file limit less a reserve")
    live_port: int = setting(0, "where pages open /ws/notifications when not on their own port (0: their own)")
    site_port: int = setting(0, "the notifier's: pages of the site on this port may connect (their Origin)")
    notifier_socket: str = setting("", "without Redis: the Unix socket where workers hand events to the notifier")
    sse_max_streams: int = setting(0, "event streams gunicorn/uWSGI workers may hold together, each holding a "
                                   "worker or thread (503 beyond); 0: no cap; the launcher sets workers x threads - 1")
    sse_streams_per_process: int = setting(0, "event streams one gunicorn gthread worker may hold (503 beyond), so a "
                                           "thread stays free for the connections it accepts; 0: no cap; the "
                                           "launcher sets threads - 1")
    sse_slots_dir: str = setting("", "where gunicorn/uWSGI workers count their open event streams (lock files); "
                                 "made by the launcher")
    sse_stream_seconds: float = setting(25.0, "seconds a gunicorn/uWSGI event stream lasts, then it ends with a "
                                        "retry line (below gunicorn's timeout and uWSGI's harakiri, 30)")
    trusted_proxies: str = setting("", "addresses/CIDRs whose X-Real-IP / X-Forwarded-For is believed "
                                   "(none by default)")
    log_level: str = setting("info", "debug, info, warning or error")
    # Rate limits, "count/seconds" (shared.ratelimit): counted in Redis when redis_url is set, else in the database
    limit_login: str = setting("5/900", "login attempts on one account, count/seconds")
    limit_login_address: str = setting("20/900", "failed logins from one client address, count/seconds")
    limit_guestbook: str = setting("5/60", "guestbook entries from one client address, count/seconds")
    limit_posting: str = setting("30/60", "posts, comments, questions and answers by one user, count/seconds")
    limit_uploads: str = setting("30/3600", "images uploaded for posts and answers by one user (POST /uploads), count/seconds")
    limit_preview: str = setting("120/60", "Markdown previews asked by one user (POST /markdown), count/seconds")
    limit_password_reset: str = setting("3/3600", "reset links asked for one e-mail address, count/seconds")
    limit_password_reset_address: str = setting("10/3600", "reset links asked from one client address, count/seconds")
    limit_verification: str = setting("5/3600", "verification links one user has sent (resend, e-mail change), "
                                      "count/seconds")
    smtp_url: str = setting("", "the mail server: smtp://user:pw@host:587?starttls=true or smtps://...; "
                            "empty: .eml files in mail_dir")
    mail_dir: str = setting("var/mail", "where messages are written without smtp_url")
    mail_from: str = setting("", "the From address; empty: forum@<host of base_url>")
    base_url: str = setting("http://127.0.0.1:8888", "the site's address as a reader's browser reaches it "
                            "(the links in e-mails)")
    mail_interval: float = setting(5.0, "seconds between two passes of the sender")
    mail_retry_max: float = setting(30.0, "seconds between two tries of one message, at most")
    timezone: str = setting("UTC", "the time zone of the full times the pages show on hover (an IANA name "
                            "such as Asia/Shanghai)")
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secret_bytes(self) -> bytes:
        return self.secret.encode()

    @property
    def mysql_drivers(self) -> tuple[str, str]:
        """(the event loop's MySQL driver, the workers') as ``mysql_driver`` names them."""
        chosen = {"async": "aiomysql", "sync": "pymysql"}
        for name in filter(None, (part.strip() for part in self.mysql_driver.split(","))):
            if name not in MYSQL_DRIVERS:
                raise ConfigError(f"FORUM_MYSQL_DRIVER: unknown driver {name!r}; "
                                  f"choose from {', '.join(MYSQL_DRIVERS)}")
            chosen[MYSQL_DRIVERS[name]] = name
        return chosen["async"], chosen["sync"]


_NAMES = {f.name for f in fields(Settings) if f.name != "extra"}


def _coerce(name: str, raw: Any) -> Any:
    kind = type(getattr(Settings, name))
    if kind is bool:
        return str(raw).lower() in ("1", "true", "yes", "on")
    try:
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {raw!r} as {kind.__name__}") from exc


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``name = value`` lines (Python literals or bare words); ``#`` starts a comment."""
    values: dict[str, Any] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ConfigError(f"{path}:{number}: expected 'name = value'")
        key, value = (part.strip() for part in line.split("=", 1))
        values[key.lower()] = value.strip("'\"")
    return values


def load_settings(flags: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Merge file < environment < flags, then check what production needs."""
    environ = dict(os.environ if environ is None else environ)
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    merged: dict[str, Any] = {}
    config_file = flags.pop("config", None) or environ.get("FORUM_CONFIG")
    if config_file:
        merged.update(read_config_file(config_file))
    for name in _NAMES:
        if f"FORUM_{name.upper()}" in environ:
            merged[name] = environ[f"FORUM_{name.upper()}"]
    merged.update(flags)
    unknown = set(merged) - _NAMES
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    settings = Settings(**{k: _coerce(k, v) for k, v in merged.items()})
    settings.mysql_drivers  # noqa: B018 - an unknown driver stops start-up here, in one line
    if not 0 <= settings.search_timeout < settings.read_timeout:
        raise ConfigError(f"FORUM_SEARCH_TIMEOUT {settings.search_timeout:g}: must be 0 (no bound) or less than "
                          f"FORUM_READ_TIMEOUT ({settings.read_timeout:g}), so the server stops a search first")
    if settings.production and settings.debug:
        raise ConfigError("FORUM_DEBUG shows what every request ran: it is refused when FORUM_ENV=production")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"FORUM_TIMEZONE {settings.timezone!r}: not a time zone (try UTC or Asia/Shanghai)") from None
    return _with_secret(settings)


def _with_secret(settings: Settings) -> Settings:
    """Production needs a real key; development makes one and keeps it in var/."""
    if settings.secret:
        if len(settings.secret_bytes) < MIN_SECRET_BYTES:
            raise ConfigError(f"FORUM_SECRET must be at least {MIN_SECRET_BYTES} bytes of random data")
        return settings
    if settings.production:
        raise ConfigError("FORUM_SECRET is required when FORUM_ENV=production")
    key_file = Path("var/secret.key")
    if key_file.exists():
        secret = key_file.read_text().strip()
    else:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        key_file.write_text(secret)
        key_file.chmod(0o600)
        log.warning("FORUM_SECRET is not set: made a development key in %s", key_file)
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(Settings)}, "secret": secret})


@dataclass(frozen=True)
class ServeOptions:
    """What ``forum serve`` was asked for; every launcher reads this one shape.

    It lives with the settings, not with the command line, so the apps' servers take it without
    importing the command line (which imports them).
    """

    flavour: str
    host: str = "127.0.0.1"
    port: int = 8888
    processes: int = 1
    workers: int = 0                # gunicorn workers; 0 = the config's default
    worker_class: str = "sync"      # gunicorn: sync | gthread | gevent
    threads: int = 1
    nginx: bool = False
    no_executor: bool = False       # wsgi-container teaching baseline: Flask on the event loop
    executor_threads: int = 16
    notifier_port: int = 0          # gunicorn/uWSGI: where their WebSocket notifier listens; 0 = any free port
