"""Start a real forum server for a test: a fresh database, ``forum migrate``, ``forum serve``, teardown.

Every suite that talks to the forum over a socket (contract, parity, pages, deploy) uses these
helpers, so "how a flavour is started" is written once and matches what an operator types.

    with fresh_database("mysql") as url:
        with running_server("gunicorn", url) as server:
            requests.get(server.base_url + "/healthz")

A target that cannot start raises :class:`ServerUnavailable` when the *environment* lacks something
(MySQL down, uWSGI not installed) and :class:`ServerFailed` when the forum itself fails; callers
decide whether the first is a skip (a laptop) or a failure (``CI=true``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shared.cli import processes
from shared.cli.processes import forum_command, free_port
from shared.config import MYSQL_DRIVERS

REPO_ROOT = Path(__file__).resolve().parents[2]
# the MySQL server test databases are made on (root, no password), as tests/conftest.py reads it
_MYSQL = urlsplit(os.environ.get("FORUM_TEST_MYSQL", "mysql://root@127.0.0.1:3306"))
MYSQL_HOST, MYSQL_PORT, MYSQL_USER = _MYSQL.hostname or "127.0.0.1", _MYSQL.port or 3306, _MYSQL.username or "root"
DB_PREFIX = "forum_ct_"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
FLAVOURS = ("tornado", "wsgi-container", "gunicorn", "uwsgi", "flask-dev")
DATABASES = ("sqlite", "mysql")


class ServerUnavailable(Exception):
    """Something the environment must provide is missing (MySQL, the uwsgi binary)."""


class ServerFailed(Exception):
    """The forum itself did not migrate, start or stop cleanly; the message holds its output."""


@dataclass(frozen=True)
class Target:
    """One way of serving the forum: a flavour on a database, written ``tornado:sqlite``; on MySQL
    perhaps with another driver than the default, ``tornado:mysql:asyncmy`` (its FORUM_MYSQL_DRIVER)."""

    flavour: str
    database: str
    driver: str = ""

    @classmethod
    def parse(cls, text: str) -> Target:
        flavour, database, *driver = text.strip().split(":")
        if flavour not in FLAVOURS or database not in DATABASES or len(driver) > 1 or (
                driver and (database != "mysql" or driver[0] not in MYSQL_DRIVERS)):
            raise ValueError(f"bad target {text!r}: expected FLAVOUR:DATABASE[:MYSQL_DRIVER], e.g. tornado:sqlite")
        return cls(flavour, database, *driver)

    @property
    def env(self) -> dict[str, str]:
        """What the server's environment needs for this target beyond its database."""
        return {"FORUM_MYSQL_DRIVER": self.driver} if self.driver else {}

    def __str__(self) -> str:
        return ":".join(filter(None, (self.flavour, self.database, self.driver)))


@dataclass
class Server:
    """A running forum: where it listens and what it was started with."""

    flavour: str
    base_url: str
    database_url: str
    secret: str
    media_dir: str
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    notifications_url: str = ""   # ws://.../ws/notifications: the base URL's, or the notifier's (gunicorn/uWSGI)

    def output(self) -> str:
        """The server's stdout and stderr so far, for failure messages."""
        return _tail(self.stdout_path, "stdout") + _tail(self.stderr_path, "stderr")


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    # gunicorn and uwsgi are found next to the interpreter, whatever PATH the caller had
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _tail(path: Path, label: str, limit: int = 8000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return f"\n--- server {label} ---\n{text[-limit:]}"


def _mysql_admin(sql: str) -> None:
    import pymysql

    try:
        conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, connect_timeout=3)
    except pymysql.err.OperationalError as exc:
        raise ServerUnavailable(f"MySQL at {MYSQL_HOST}:{MYSQL_PORT} is not reachable: {exc}") from exc
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextlib.contextmanager
def fresh_database(kind: str, *, prefix: str = DB_PREFIX) -> Iterator[str]:
    """A new, empty database and its FORUM_DATABASE_URL; dropped (or deleted) afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="forum-db-") as tmp:
            yield f"sqlite:///{tmp}/forum.sqlite3"
        return
    if kind != "mysql":
        raise ValueError(f"unknown database kind {kind!r}")
    name = f"{prefix}{secrets.token_hex(6)}"
    _mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield f"mysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/{name}"
    finally:
        _mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


def migrate(database_url: str) -> None:
    """Run ``forum migrate`` on a database, failing with its output if it does not exit 0."""
    done = subprocess.run(
        forum_command("migrate"), cwd=REPO_ROOT, env=_env({"FORUM_DATABASE_URL": database_url}),
        capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise ServerFailed(f"forum migrate exited {done.returncode}\n{done.stdout}\n{done.stderr}")


def run_forum(database_url: str, *args: str) -> str:
    """Run ``forum ARGS`` on a database as an operator would (``admin grant NAME admin`` ...); its output."""
    done = subprocess.run(
        forum_command(*args), cwd=REPO_ROOT, env=_env({"FORUM_DATABASE_URL": database_url}),
        capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise ServerFailed(f"forum {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def check_flavour_available(flavour: str) -> None:
    """Raise ServerUnavailable when a flavour's server program is not installed here."""
    if flavour == "uwsgi" and shutil.which("uwsgi", path=_env({})["PATH"]) is None:
        raise ServerUnavailable("uwsgi is not installed (pip install 'forum[uwsgi]')")


def _wait_ready(server: Server) -> None:
    """Poll /healthz until it answers 200; the process dying or the time running out is a failure."""
    if processes.wait_ready(server.base_url + "/healthz", START_TIMEOUT, watch=[server.process]):
        return
    if server.process.poll() is not None:
        raise ServerFailed(f"forum serve {server.flavour} exited {server.process.returncode} "
                           f"before it was ready{server.output()}")
    raise ServerFailed(f"forum serve {server.flavour} was not ready within {START_TIMEOUT:.0f} s{server.output()}")


PREFORK_FLAVOURS = ("gunicorn", "uwsgi")   # their WebSockets live in a separate notifier process


def _notifications_url(server: Server, deadline: float) -> str:
    """Where ``/ws/notifications`` is served: the launcher of gunicorn/uWSGI names its notifier in the
    ready line (``... (notifications: ws://127.0.0.1:Q/ws/notifications) ...``); every other flavour
    serves it on the base URL."""
    own = server.base_url.replace("http://", "ws://", 1) + "/ws/notifications"
    if server.flavour not in PREFORK_FLAVOURS:
        return own
    while time.monotonic() < deadline and server.process.poll() is None:
        text = server.stdout_path.read_text(errors="replace") if server.stdout_path.exists() else ""
        if "forum: " in text:   # the ready line (behind nginx it names no notifier: nginx routes /ws/)
            match = re.search(r"notifications: (ws://\S+?)\)", text)
            return match.group(1) if match else own
        time.sleep(0.1)
    return own


def stop(server: Server) -> int:
    """SIGTERM, then wait; a server that will not stop is killed and reported."""
    running = server.process.poll() is None
    code = processes.stop(server.process, signal.SIGTERM, STOP_TIMEOUT)
    if running and code == -signal.SIGKILL:   # killed by processes.stop: it overstayed its grace
        raise ServerFailed(f"forum serve {server.flavour} did not stop within {STOP_TIMEOUT:.0f} s "
                           f"of SIGTERM{server.output()}")
    return code


def tracebacks(server: Server) -> str:
    """The part of the server's stderr from its first 'Traceback' on, or '' when there is none."""
    text = server.stderr_path.read_text(errors="replace") if server.stderr_path.exists() else ""
    at = text.find("Traceback")
    return "" if at < 0 else text[at:at + 6000]


@contextlib.contextmanager
def running_server(
    flavour: str,
    database_url: str,
    *,
    extra_env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
    secret: str | None = None,
    migrate_first: bool = True,
    check_exit: bool = True,
) -> Iterator[Server]:
    """``forum serve FLAVOUR`` on a free port with a fresh secret and media dir, until the block ends.

    On leaving, the server gets SIGTERM and must exit 0 (the contract's clean shutdown).
    """
    check_flavour_available(flavour)
    if migrate_first:
        migrate(database_url)
    secret = secret or secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix=f"forum-{flavour}-") as tmp:
        port = free_port()
        env = {
            "FORUM_DATABASE_URL": database_url,
            "FORUM_SECRET": secret,
            "FORUM_MEDIA_DIR": str(Path(tmp, "media")),
            "FORUM_MAIL_DIR": str(Path(tmp, "mail")),          # e-mail as .eml files, unless FORUM_SMTP_URL
            "FORUM_BASE_URL": f"http://127.0.0.1:{port}",      # the links in e-mails lead back here
            **(extra_env or {}),
        }
        stdout_path, stderr_path = Path(tmp, "stdout.log"), Path(tmp, "stderr.log")
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            process = processes.start(forum_command("serve", flavour, "--port", str(port), *extra_args),
                                      cwd=REPO_ROOT, env=_env(env), stdout=out, stderr=err)
        server = Server(flavour, f"http://127.0.0.1:{port}", database_url, secret, env["FORUM_MEDIA_DIR"],
                        process, stdout_path, stderr_path, env)
        try:
            _wait_ready(server)
            server.notifications_url = _notifications_url(server, time.monotonic() + START_TIMEOUT)
        except BaseException:
            processes.stop(process, signal.SIGKILL, group=True)   # it and whatever it started
            raise
        try:
            yield server
        finally:
            code = stop(server)
            if check_exit and code != 0:
                raise ServerFailed(f"forum serve {flavour} exited {code} after SIGTERM (expected 0)"
                                   f"{server.output()}")
