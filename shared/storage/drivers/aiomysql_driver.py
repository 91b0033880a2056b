"""MySQL/MariaDB for the Tornado app: aiomysql connections in an asyncio pool.

:func:`open_coroutine_mysql` is the pool for any driver that speaks aiomysql's API; asyncmy's adapter
uses it too (``asyncmy_driver.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiomysql
from pymysql.protocol import FieldDescriptorPacket

from shared.config import Settings
from shared.errors import Unavailable
from shared.i18n import _l
from shared.storage.drivers.common import (
    MYSQL,
    PYMYSQL_CONVERSIONS,
    DatabaseUrl,
    Dialect,
    mysql_connect_args,
    mysql_missing_database,
    recycle_after,
)
from shared.storage.drivers.database import CoroutineDatabase
from shared.storage.drivers.pools import AsyncPool

# Column definitions already parsed, by their packet's bytes: a statement's result set describes its
# columns in the same bytes every time it runs. Bounded: a process runs a few hundred distinct columns.
_DESCRIPTORS: dict[tuple[bytes, str], FieldDescriptorPacket] = {}
MAX_DESCRIPTORS = 8192


def _described(data: bytes, encoding: str) -> FieldDescriptorPacket:
    """A column definition, parsed once: aiomysql only reads its attributes afterwards."""
    key = (data, encoding)
    field = _DESCRIPTORS.get(key)
    if field is None:
        field = FieldDescriptorPacket(data, encoding)
        if len(_DESCRIPTORS) >= MAX_DESCRIPTORS:
            _DESCRIPTORS.clear()
        _DESCRIPTORS[key] = field
    return field


class Connection(aiomysql.Connection):  # type: ignore[misc]
    """aiomysql's connection, reusing parsed column definitions.

    Every result set starts with one definition packet per column, and aiomysql parses each into a
    ``FieldDescriptorPacket`` (about 7 % of a reader page's CPU, profiled: a page of posts has 21
    columns). The result set still reads every packet; only the parsing of a known one is skipped.
    """

    async def _read_packet(self, packet_type: Any = aiomysql.connection.MysqlPacket) -> Any:
        if packet_type is FieldDescriptorPacket:
            packet_type = _described
        return await super()._read_packet(packet_type)


async def _connect(**args: Any) -> Connection:
    """What ``aiomysql.connect`` does, with our connection class."""
    conn = Connection(**args)
    try:
        await conn._connect()
    except BaseException:
        conn.close()
        raise
    return conn


async def open_aiomysql(settings: Settings, url: DatabaseUrl) -> CoroutineDatabase:
    args = {**mysql_connect_args(url, settings), "conv": PYMYSQL_CONVERSIONS}
    return await open_coroutine_mysql(settings, url, lambda: _connect(**args), MYSQL)


async def open_coroutine_mysql(settings: Settings, url: DatabaseUrl, driver_connect: Callable[[], Awaitable[Any]],
                               dialect: Dialect) -> CoroutineDatabase:
    """Check the server once (and read its ``wait_timeout`` and whether it is MariaDB or MySQL), then make
    the pool, still empty.

    ``driver_connect`` opens one connection; ``dialect.errors`` holds the exceptions it raises
    (aiomysql raises PyMySQL's)."""

    async def connect() -> Any:
        # aiomysql and asyncmy bound only the TCP connect by connect_timeout: a server that accepts and
        # then says nothing (frozen, kill -STOP) would hold the handshake forever. Bound all of it.
        try:
            async with asyncio.timeout(settings.connect_timeout):
                return await driver_connect()
        except TimeoutError as exc:
            raise Unavailable(_l("The database did not answer in time; try again shortly.")) from exc
        except dialect.errors.MySQLError as exc:
            missing = mysql_missing_database(exc, url)
            if missing:
                raise missing from exc
            err, _ = dialect.classify(exc)
            raise (err or exc) from exc

    first = await connect()
    try:
        async with first.cursor() as cursor:
            await cursor.execute("SELECT @@SESSION.wait_timeout, VERSION()")
            wait_timeout, version = await cursor.fetchone() or (None, "")
    finally:
        await close(first)
    pool = AsyncPool(connect, close, size=settings.pool_size, timeout=settings.pool_timeout,
                     max_idle=recycle_after(settings, wait_timeout))
    return CoroutineDatabase(dialect.for_server(version), pool, read_timeout=settings.read_timeout,
                             bound=settings.search_timeout)


async def close(conn: Any) -> None:
    """Say goodbye (COM_QUIT, so ``Aborted_clients`` does not rise); if that stalls, drop the socket."""
    try:
        async with asyncio.timeout(1):
            await conn.ensure_closed()
    except Exception:
        conn.close()
