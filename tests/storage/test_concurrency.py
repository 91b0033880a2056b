"""Many writers at once: SQLite queues them on its busy timeout, nobody sees "database is locked"."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op, Query
from shared.storage.runners import run_async, run_sync

NOW = "2026-11-24 09:51:25"
WRITERS, WRITES_EACH = 20, 15


def sign_and_count(name: str) -> Op[int]:
    """A read then a write in one transaction: the case where a deferred BEGIN would fail with BUSY."""
    before = yield Query("SELECT COUNT(*) FROM guestbook", returns="value")
    yield Query("INSERT INTO guestbook (name, message, created_at) VALUES (%s, %s, %s)",
                (name, f"after {before}", NOW), "rowcount")
    return int(before)


def test_twenty_sqlite_writers_never_see_database_is_locked(sqlite_url: str, settings_for: Any) -> None:
    db = open_sync(settings_for(sqlite_url, pool_size=WRITERS, pool_timeout=30))
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(WRITES_EACH):
                run_sync(db, sign_and_count(f"w{n}-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = run_sync(db, sign_and_count("last"))
    assert total == WRITERS * WRITES_EACH
    db.close()


def test_each_thread_gets_its_own_connection(db_url: str, settings_for: Any) -> None:
    """A connection is lent to one borrower at a time (PyMySQL #869): no two threads hold the same one."""
    db = open_sync(settings_for(db_url, pool_size=4, pool_timeout=30))
    held: set[int] = set()
    lock, clashes = threading.Lock(), []

    def borrower() -> None:
        for _ in range(20):
            with db.transaction(read_only=True) as tx:
                with lock:
                    if id(tx.conn) in held:
                        clashes.append(id(tx.conn))
                    held.add(id(tx.conn))
                tx.perform(Query("SELECT 1", returns="value"))
                with lock:
                    held.discard(id(tx.conn))

    threads = [threading.Thread(target=borrower) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clashes == []
    assert db.in_use == 0
    db.close()


async def test_coroutine_writers_queue_on_a_small_pool(db_url: str, settings_for: Any) -> None:
    """Forty coroutine writers through five aiosqlite/aiomysql connections: all land, none fails."""
    db = await open_async(settings_for(db_url, pool_size=5, pool_timeout=30))
    await asyncio.gather(*(run_async(db, sign_and_count(f"c{n}")) for n in range(40)))
    assert await run_async(db, sign_and_count("last")) == 40
    assert (db.in_use, db.waiting) == (0, 0)
    await db.close()
