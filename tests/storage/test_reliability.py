"""RELIABILITY 3, 4, 5, 7 at the driver level: idle recycling, lost and hung connections, cancellation."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from shared.errors import Unavailable
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op, Query
from shared.storage.runners import run_async, run_sync

pytestmark = pytest.mark.mysql


def echo(value: int) -> Op[Any]:
    return (yield Query("SELECT %s AS v", (value,), "value"))


def connection_id() -> Op[Any]:
    return (yield Query("SELECT CONNECTION_ID()", returns="value"))


def sleep(seconds: float) -> Op[Any]:
    return (yield Query("SELECT SLEEP(%s)", (seconds,), "value"))


def test_idle_connections_are_recycled_below_wait_timeout(mysql_url: str, settings_for: Any) -> None:
    """The session's wait_timeout is 3 s: connections idle 4 s would be dead; the pool replaces them."""
    db = open_sync(settings_for(mysql_url, extra={"mysql_wait_timeout": 3}))
    assert [run_sync(db, echo(i)) for i in range(3)] == [0, 1, 2]
    time.sleep(4.5)
    assert [run_sync(db, echo(i)) for i in range(100)] == list(range(100))
    db.close()


async def test_async_idle_connections_are_recycled(mysql_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(mysql_url, extra={"mysql_wait_timeout": 3}))
    assert await asyncio.gather(*(run_async(db, echo(i)) for i in range(4))) == [0, 1, 2, 3]
    await asyncio.sleep(4.5)
    assert [await run_async(db, echo(i)) for i in range(100)] == list(range(100))
    await db.close()


def kill(admin: Any, connection: int) -> None:
    with admin.cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", (connection,))


def test_a_connection_killed_while_idle_is_replaced(mysql_url: str, settings_for: Any,
                                                    mysql_admin_conn: Any) -> None:
    """A restarted server leaves dead connections in the pool: the next transaction gets a new one."""
    db = open_sync(settings_for(mysql_url, pool_size=1))
    first = run_sync(db, connection_id())
    kill(mysql_admin_conn, first)
    assert run_sync(db, connection_id()) != first
    db.close()


async def test_async_connection_killed_while_idle_is_replaced(mysql_url: str, settings_for: Any,
                                                              mysql_admin_conn: Any) -> None:
    db = await open_async(settings_for(mysql_url, pool_size=1))
    first = await run_async(db, connection_id())
    kill(mysql_admin_conn, first)
    await asyncio.sleep(0.2)
    assert await run_async(db, connection_id()) != first
    await db.close()


def test_server_down_is_unavailable(settings_for: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    with pytest.raises(Unavailable):
        open_sync(settings_for(f"mysql://root@127.0.0.1:{port}/forum_st_nowhere"))


def test_hung_query_is_bounded_by_the_read_timeout(mysql_url: str, settings_for: Any) -> None:
    db = open_sync(settings_for(mysql_url, pool_size=1, read_timeout=1.0))
    with pytest.raises(Unavailable):
        run_sync(db, sleep(5))
    assert run_sync(db, echo(7)) == 7
    db.close()


async def test_async_hung_query_is_bounded_by_the_read_timeout(mysql_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(mysql_url, pool_size=1, read_timeout=1.0))
    with pytest.raises(Unavailable):
        await run_async(db, sleep(5))
    assert await run_async(db, echo(7)) == 7
    await db.close()


async def test_cancelled_query_leaves_no_dirty_connection(db_url: str, settings_for: Any) -> None:
    """RELIABILITY 7: after a query is cancelled mid-flight, every later query gets its own rows."""
    db = await open_async(settings_for(db_url, pool_size=1))
    slow = Query("SELECT SLEEP(2)" if db.dialect == "mysql" else
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
                 "SELECT COUNT(*) FROM n", returns="value")

    def slow_op() -> Op[Any]:
        return (yield slow)

    task = asyncio.ensure_future(run_async(db, slow_op()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert db.in_use == 0
    assert [await run_async(db, echo(i)) for i in range(20)] == list(range(20))
    await db.close()
