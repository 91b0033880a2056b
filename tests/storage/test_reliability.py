"""RELIABILITY 3, 4, 5, 7 at the driver level: idle recycling, lost and hung connections, cancellation.

Each waits for what it needs to have happened (the server dropped a connection, the query is on its
way), never for a fixed time.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from shared.errors import Unavailable
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_async, run_sync
from tests.support.waiting import wait_until

pytestmark = pytest.mark.mysql


def echo(value: int) -> Op[Any]:
    return (yield Query("SELECT %s AS v", (value,), "value"))


def connection_id() -> Op[Any]:
    return (yield Query("SELECT CONNECTION_ID()", returns="value"))


def sleep(seconds: float) -> Op[Any]:
    return (yield Query("SELECT SLEEP(%s)", (seconds,), "value"))


def gone(admin: Any, connections: set[int]) -> Callable[[], bool]:
    """Whether the server has dropped every one of ``connections`` (they are off its process list)."""
    def check() -> bool:
        with admin.cursor() as cursor:
            cursor.execute("SELECT ID FROM information_schema.PROCESSLIST")
            return connections.isdisjoint(row[0] for row in cursor.fetchall())
    return check


def test_idle_connections_are_recycled_below_wait_timeout(mysql_url: str, settings_for: Any,
                                                          mysql_admin_conn: Any) -> None:
    """The session's wait_timeout is 3 s: once the server has dropped the idle connections, the pool
    hands out none of them (it recycles below wait_timeout, and retries one found dead)."""
    db = open_sync(settings_for(mysql_url, extra={"mysql_wait_timeout": 3}))
    assert [run_sync(db, echo(i)) for i in range(3)] == [0, 1, 2]
    idle = {run_sync(db, connection_id()) for _ in range(3)}
    wait_until(gone(mysql_admin_conn, idle), f"the server to drop idle connections {idle}")
    assert [run_sync(db, echo(i)) for i in range(100)] == list(range(100))
    db.close()


async def test_async_idle_connections_are_recycled(mysql_url: str, settings_for: Any, mysql_admin_conn: Any) -> None:
    db = await open_async(settings_for(mysql_url, extra={"mysql_wait_timeout": 3}))
    assert await asyncio.gather(*(run_async(db, echo(i)) for i in range(4))) == [0, 1, 2, 3]
    idle = set(await asyncio.gather(*(run_async(db, connection_id()) for _ in range(4))))
    await asyncio.to_thread(wait_until, gone(mysql_admin_conn, idle), f"the server to drop idle connections {idle}")
    assert [await run_async(db, echo(i)) for i in range(100)] == list(range(100))
    await db.close()


def kill(admin: Any, connection: int) -> None:
    """KILL marks the connection; wait until the server has really dropped it."""
    with admin.cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", (connection,))
    wait_until(gone(admin, {connection}), f"the server to drop connection {connection}")


# The first statement on a borrowed connection is retried once on a new one when the connection is
# dead: a writer's first statement is its BEGIN, a reader's (autocommit, no BEGIN) its first SELECT.
KINDS = {"writer": connection_id, "reader": read_only(connection_id)}


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_killed_while_idle_is_replaced(mysql_url: str, settings_for: Any,
                                                    mysql_admin_conn: Any, kind: str) -> None:
    """A restarted server leaves dead connections in the pool: the next operation gets a new one."""
    db = open_sync(settings_for(mysql_url, pool_size=1))
    first = run_sync(db, KINDS[kind]())
    kill(mysql_admin_conn, first)
    assert run_sync(db, KINDS[kind]()) != first
    assert db.in_use == 0
    db.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_async_connection_killed_while_idle_is_replaced(mysql_url: str, settings_for: Any,
                                                              mysql_admin_conn: Any, kind: str) -> None:
    db = await open_async(settings_for(mysql_url, pool_size=1))
    first = await run_async(db, KINDS[kind]())
    await asyncio.to_thread(kill, mysql_admin_conn, first)
    assert await run_async(db, KINDS[kind]()) != first
    assert db.in_use == 0
    await db.close()


IN_TRANSACTION = Query("SELECT @@in_transaction", returns="value")


@read_only
def reader_in_transaction() -> Op[Any]:
    return (yield IN_TRANSACTION)


def writer_in_transaction() -> Op[Any]:
    return (yield IN_TRANSACTION)


def test_readers_run_in_autocommit_and_writers_in_a_transaction(mysql_url: str, settings_for: Any) -> None:
    """Read-only operations open no transaction (one round trip per SELECT, none to begin or commit)."""
    db = open_sync(settings_for(mysql_url, pool_size=1))
    assert (run_sync(db, reader_in_transaction()), run_sync(db, writer_in_transaction())) == (0, 1)
    assert run_sync(db, reader_in_transaction()) == 0   # the writer's COMMIT left no transaction open
    db.close()


async def test_async_readers_run_in_autocommit_and_writers_in_a_transaction(mysql_url: str,
                                                                            settings_for: Any) -> None:
    db = await open_async(settings_for(mysql_url, pool_size=1))
    assert await run_async(db, reader_in_transaction()) == 0
    assert await run_async(db, writer_in_transaction()) == 1
    assert await run_async(db, reader_in_transaction()) == 0
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

    on_its_way = asyncio.Event()

    def slow_op() -> Op[Any]:
        on_its_way.set()      # the runner sends the query the moment this yields it
        return (yield slow)

    task = asyncio.ensure_future(run_async(db, slow_op()))
    await on_its_way.wait()   # the transaction is open and the slow query handed to the driver
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert db.in_use == 0
    assert [await run_async(db, echo(i)) for i in range(20)] == list(range(20))
    await db.close()
