"""SQLite for the Tornado app: aiosqlite connections (each runs sqlite3 on its own thread) in an asyncio pool."""

from __future__ import annotations

import aiosqlite

from shared.config import Settings
from shared.storage.drivers.common import SQLITE, DatabaseUrl, sqlite_pragmas
from shared.storage.drivers.database import CoroutineDatabase
from shared.storage.drivers.pools import AsyncPool
from shared.storage.drivers.sqlite_driver import check_sqlite_path


async def open_aiosqlite(settings: Settings, url: DatabaseUrl) -> CoroutineDatabase:
    path = check_sqlite_path(url)
    pragmas = sqlite_pragmas(settings)

    async def connect() -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, timeout=settings.sqlite_busy_timeout, isolation_level=None)
        for pragma in pragmas:
            await conn.execute(pragma)
        return conn

    async def close(conn: aiosqlite.Connection) -> None:
        await conn.close()

    pool = AsyncPool(connect, close, size=settings.pool_size, timeout=settings.pool_timeout)
    # the busy timeout, not the read timeout, bounds how long a writer queues for SQLite's one lock
    return CoroutineDatabase(SQLITE, pool, read_timeout=max(settings.read_timeout, settings.sqlite_busy_timeout + 1),
                             writer_wait=settings.sqlite_busy_timeout)
