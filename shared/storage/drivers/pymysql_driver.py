"""MySQL/MariaDB for the Flask app: PyMySQL connections in a thread-safe pool.

:func:`open_blocking_mysql` is the pool for any DB-API MySQL driver; mysqlclient's adapter uses it
too (``mysqlclient_driver.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pymysql

from shared.config import Settings
from shared.storage.drivers.common import (
    MYSQL,
    PYMYSQL_CONVERSIONS,
    DatabaseUrl,
    Dialect,
    mysql_connect_args,
    mysql_missing_database,
    recycle_after,
)
from shared.storage.drivers.database import BlockingDatabase
from shared.storage.drivers.pools import SyncPool


def open_pymysql(settings: Settings, url: DatabaseUrl) -> BlockingDatabase:
    args = {**mysql_connect_args(url, settings), "conv": PYMYSQL_CONVERSIONS}
    args["database"] = args.pop("db")
    # PyMySQL bounds every read and write itself (a hung server: RELIABILITY 5)
    args.update(read_timeout=settings.read_timeout, write_timeout=settings.write_timeout)
    return open_blocking_mysql(settings, url, lambda: pymysql.connect(**args), MYSQL)


def open_blocking_mysql(settings: Settings, url: DatabaseUrl, driver_connect: Callable[[], Any],
                        dialect: Dialect) -> BlockingDatabase:
    """Check the server once (and read its ``wait_timeout`` and whether it is MariaDB or MySQL), then make
    the pool, still empty.

    ``driver_connect`` opens one connection; ``dialect.errors`` holds the exceptions it raises."""

    def connect() -> Any:
        try:
            return driver_connect()
        except dialect.errors.MySQLError as exc:
            missing = mysql_missing_database(exc, url)
            if missing:
                raise missing from exc
            err, _ = dialect.classify(exc)
            raise (err or exc) from exc

    first = connect()
    try:
        with first.cursor() as cursor:
            cursor.execute("SELECT @@SESSION.wait_timeout, VERSION()")
            wait_timeout, version = cursor.fetchone() or (None, "")
    finally:
        close(first)
    pool = SyncPool(connect, close, size=settings.pool_size, timeout=settings.pool_timeout,
                    max_idle=recycle_after(settings, wait_timeout))
    return BlockingDatabase(dialect.for_server(version), pool, bound=settings.search_timeout)


def close(conn: Any) -> None:
    """Say goodbye (COM_QUIT, so the server counts no aborted client); a dead socket is just dropped."""
    try:
        conn.close()
    except Exception:  # noqa: S110 - already closed or lost: nothing left to release
        pass
