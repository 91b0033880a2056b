"""MySQL/MariaDB for the Tornado app: aiomysql connections in an asyncio pool."""

from __future__ import annotations

import asyncio

import aiomysql
import pymysql

from shared.config import Settings
from shared.errors import Unavailable
from shared.i18n import _l
from shared.storage.drivers.common import (
    MYSQL,
    DatabaseUrl,
    mysql_connect_args,
    mysql_missing_database,
    recycle_after,
)
from shared.storage.drivers.database import CoroutineDatabase
from shared.storage.drivers.pools import AsyncPool


async def open_aiomysql(settings: Settings, url: DatabaseUrl) -> CoroutineDatabase:
    """Check the server once (and read its ``wait_timeout``), then make the pool, still empty."""
    args = mysql_connect_args(url, settings)

    async def connect() -> aiomysql.Connection:
        # aiomysql bounds only the TCP connect by connect_timeout: a server that accepts and then
        # says nothing (frozen, kill -STOP) would hold the handshake forever. Bound all of it.
        try:
            async with asyncio.timeout(settings.connect_timeout):
                return await aiomysql.connect(**args)
        except TimeoutError as exc:
            raise Unavailable(_l("The database did not answer in time; try again shortly.")) from exc
        except pymysql.err.MySQLError as exc:  # aiomysql raises PyMySQL's errors
            missing = mysql_missing_database(exc, url)
            if missing:
                raise missing from exc
            err, _ = MYSQL.classify(exc)
            raise (err or exc) from exc

    first = await connect()
    try:
        async with first.cursor() as cursor:
            await cursor.execute("SELECT @@SESSION.wait_timeout")
            (wait_timeout,) = await cursor.fetchone() or (None,)
    finally:
        await close(first)
    pool = AsyncPool(connect, close, size=settings.pool_size, timeout=settings.pool_timeout,
                     max_idle=recycle_after(settings, wait_timeout))
    return CoroutineDatabase(MYSQL, pool, read_timeout=settings.read_timeout)


async def close(conn: aiomysql.Connection) -> None:
    """Say goodbye (COM_QUIT, so ``Aborted_clients`` does not rise); if that stalls, drop the socket."""
    try:
        async with asyncio.timeout(1):
            await conn.ensure_closed()
    except Exception:
        conn.close()
