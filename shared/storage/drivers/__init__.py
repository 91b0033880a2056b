"""Open the process's one database pool, chosen by the scheme of ``settings.database_url``.

    db = open_sync(settings)             # Flask: PyMySQL (or mysqlclient) or sqlite3
    db = await open_async(settings)      # Tornado: aiomysql (or asyncmy) or aiosqlite
    check_schema(db)                     # at start: a one-line SchemaError naming `forum migrate`

``settings.mysql_driver`` (FORUM_MYSQL_DRIVER) picks the MySQL driver of each kind; every adapter
gives the same rows, the same errors and the same timeouts, so the choice is only about speed.

Call these once per process, after any fork (never at import time): a pool made before a fork
would share its sockets between processes (RELIABILITY 2, 16).
"""

from __future__ import annotations

from shared.config import Settings
from shared.storage.drivers.common import DatabaseUrl, SchemaError, parse_database_url
from shared.storage.drivers.database import BlockingDatabase, CoroutineDatabase
from shared.storage.runners import run_async, run_sync


def open_sync(settings: Settings) -> BlockingDatabase:
    """A blocking pool for threads (Flask under any server, the CLI commands)."""
    url = parse_database_url(settings.database_url)
    if url.dialect == "mysql":
        if settings.mysql_drivers[1] == "mysqlclient":
            from shared.storage.drivers.mysqlclient_driver import open_mysqlclient

            return open_mysqlclient(settings, url)
        from shared.storage.drivers.pymysql_driver import open_pymysql

        return open_pymysql(settings, url)
    from shared.storage.drivers.sqlite_driver import open_sqlite

    return open_sqlite(settings, url)


async def open_async(settings: Settings) -> CoroutineDatabase:
    """A coroutine pool for the running event loop (Tornado)."""
    url = parse_database_url(settings.database_url)
    if url.dialect == "mysql":
        if settings.mysql_drivers[0] == "asyncmy":
            from shared.storage.drivers.asyncmy_driver import open_asyncmy

            return await open_asyncmy(settings, url)
        from shared.storage.drivers.aiomysql_driver import open_aiomysql

        return await open_aiomysql(settings, url)
    from shared.storage.drivers.aiosqlite_driver import open_aiosqlite

    return await open_aiosqlite(settings, url)


def check_schema(db: BlockingDatabase) -> None:
    """Raise :class:`SchemaError` if the schema is missing or older than the newest migration."""
    from shared.storage.migrate import pending_migrations

    _complain(run_sync(db, pending_migrations(db.dialect)))


async def check_schema_async(db: CoroutineDatabase) -> None:
    """:func:`check_schema` for a coroutine pool."""
    from shared.storage.migrate import pending_migrations

    _complain(await run_async(db, pending_migrations(db.dialect)))


def _complain(pending: list[str]) -> None:
    if pending:
        raise SchemaError(f"the database schema is missing or old ({len(pending)} migration(s) not applied, "
                          f"newest {pending[-1]}): run `forum migrate`")


__all__ = ["BlockingDatabase", "CoroutineDatabase", "DatabaseUrl", "SchemaError", "check_schema",
           "check_schema_async", "open_async", "open_sync", "parse_database_url"]
