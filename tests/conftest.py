"""Fixtures every test may use: migrated databases (SQLite and MySQL), and pools opened on them.

- ``sqlite_url``: a fresh, migrated SQLite file for this test.
- ``mysql_url``: one ``forum_test_<random>`` database for the session, migrated, dropped at the end.
- ``redis_url``: the Redis the tests share (``FORUM_TEST_REDIS_URL``, default 127.0.0.1:6379), once it answers.
- ``nginx_binary``: the nginx program (Debian's, or one on PATH).
- ``db_url``: both of the above (ids ``sqlite`` and ``mysql``), with every table empty at the start.
- ``sync_db`` / ``async_db``: ``open_sync`` / ``open_async`` pools on ``db_url``, closed afterwards.
- ``settings_for(url, **overrides)``: test Settings (fixed secret, small pool, short acquire timeout),
  on the test's ``mysql_driver`` (the defaults, unless tests/storage/conftest.py chose others).

A missing MySQL, Redis or nginx skips the tests that need it, and fails them under ``CI=true``: the rule
lives in tests/support/services.py, which every test that needs a service goes through.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest
import pytest_asyncio

from shared import keys
from shared.cli.nginx import find_nginx
from shared.config import Settings
from shared.keys import Keys
from shared.storage.drivers import BlockingDatabase, CoroutineDatabase, open_async, open_sync
from shared.storage.migrate import migrate
from tests.support.services import require_service

# the server the tests create their databases on (root, no password, as on the CI machine)
MYSQL_SERVER = os.environ.get("FORUM_TEST_MYSQL", "mysql://root@127.0.0.1:3306")
TEST_SECRET = "test-secret-" + "x" * 32
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def make_settings(url: str, **overrides: Any) -> Settings:
    """Settings for a test: a fixed secret, a small pool and a short acquire timeout."""
    values: dict[str, Any] = {"database_url": url, "secret": TEST_SECRET, "pool_size": 4, "pool_timeout": 2.0}
    return Settings(**{**values, **overrides})


@pytest.fixture(autouse=True)
def test_keys() -> Iterator[Keys]:
    """The test secret's keys, lent to every test (as a runner lends an app's keys to its operations),
    so a test can make or read a token or a cursor itself."""
    made = Keys.from_secret(TEST_SECRET.encode())
    with keys.using(made):
        yield made


@pytest.fixture
def mysql_driver() -> str:
    """The FORUM_MYSQL_DRIVER of the test's pools: empty, the defaults (aiomysql, PyMySQL). The
    storage suite runs again on the other drivers (tests/storage/conftest.py)."""
    return ""


@pytest.fixture
def settings_for(mysql_driver: str) -> Any:
    """``settings_for(url, pool_size=1, ...)``: :func:`make_settings` for any test, on its MySQL drivers."""
    return functools.partial(make_settings, mysql_driver=mysql_driver)


def mysql_admin() -> pymysql.connections.Connection[Any]:
    """A plain autocommit connection to the test server, for creating, emptying and dropping databases."""
    server = urlsplit(MYSQL_SERVER)
    return pymysql.connect(host=server.hostname or "127.0.0.1", port=server.port or 3306,
                           user=server.username or "root", password=server.password or "",
                           autocommit=True, connect_timeout=3)


@pytest.fixture
def mysql_admin_conn() -> Iterator[pymysql.connections.Connection[Any]]:
    """An autocommit root connection, to look at or poke the server (KILL, SHOW STATUS) from a test."""
    conn = require_service(f"MySQL at {MYSQL_SERVER}", mysql_admin, pymysql.err.MySQLError)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    admin = require_service(f"MySQL at {MYSQL_SERVER}", mysql_admin, pymysql.err.MySQLError)
    name = f"forum_test_{secrets.token_hex(4)}"
    url = f"{MYSQL_SERVER.rstrip('/')}/{name}"
    try:
        migrate(url, make_settings(url))
        yield url
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")  # noqa: S608 - a name we made
        admin.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the tests share, once it answers a PING."""
    import redis

    require_service(f"Redis at {REDIS_URL}",
                    lambda: redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping(), redis.RedisError)
    return REDIS_URL


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return require_service("nginx (apt-get install nginx)", find_nginx)


def empty_mysql(url: str) -> None:
    """Delete every row (not the migration ledger, nor search_state, which names the search engine):
    fast, and each test starts from nothing."""
    database = urlsplit(url).path.lstrip("/")
    with mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                       " AND table_name NOT IN ('schema_migrations', 'search_state')", (database,))
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for table in tables:
            cursor.execute(f"DELETE FROM `{database}`.`{table}`")  # noqa: S608 - names from the server
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "forum.sqlite3"
    migrate(f"sqlite:///{path}", make_settings(f"sqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A copy of a migrated file: as fast as an empty database, as real as a migrated one."""
    path = tmp_path / "forum.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = str(request.getfixturevalue("mysql_url"))
    empty_mysql(url)
    return url


@pytest.fixture
def sync_db(db_url: str, settings_for: Any) -> Iterator[BlockingDatabase]:
    db = open_sync(settings_for(db_url))
    yield db
    db.close()


@pytest_asyncio.fixture(loop_scope="function")
async def async_db(db_url: str, settings_for: Any) -> AsyncIterator[CoroutineDatabase]:
    db = await open_async(settings_for(db_url))
    yield db
    await db.close()
