"""Read-only operations open no transaction (one round trip per SELECT, none to begin or commit),
writers still do, and a reader whose pooled connection died while idle still gets a new one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_async, run_sync

pytestmark = pytest.mark.mysql

IN_TRANSACTION = Query("SELECT @@in_transaction", returns="value")


@read_only
def reader_in_transaction() -> Op[Any]:
    return (yield IN_TRANSACTION)


def writer_in_transaction() -> Op[Any]:
    return (yield IN_TRANSACTION)


@read_only
def connection_id() -> Op[Any]:
    return (yield Query("SELECT CONNECTION_ID()", returns="value"))


def kill(admin: Any, connection: int) -> None:
    with admin.cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", (connection,))


def test_readers_run_in_autocommit_and_writers_in_a_transaction(mysql_url: str, settings_for: Any) -> None:
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


def test_a_reader_on_a_connection_killed_while_idle_gets_a_new_one(mysql_url: str, settings_for: Any,
                                                                   mysql_admin_conn: Any) -> None:
    db = open_sync(settings_for(mysql_url, pool_size=1))
    first = run_sync(db, connection_id())
    kill(mysql_admin_conn, first)
    assert run_sync(db, connection_id()) != first
    assert db.in_use == 0
    db.close()


async def test_async_reader_on_a_connection_killed_while_idle_gets_a_new_one(
        mysql_url: str, settings_for: Any, mysql_admin_conn: Any) -> None:
    db = await open_async(settings_for(mysql_url, pool_size=1))
    first = await run_async(db, connection_id())
    kill(mysql_admin_conn, first)
    await asyncio.sleep(0.2)
    assert await run_async(db, connection_id()) != first
    assert db.in_use == 0
    await db.close()
