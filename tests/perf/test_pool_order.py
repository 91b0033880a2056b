"""The coroutine pool lends in arrival order: a released connection goes to the oldest waiter, never
to a newcomer, so a long wait cannot be overtaken again and again (issue #6, tail latency)."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest

from shared.errors import Unavailable
from shared.storage.drivers.pools import AsyncPool, SyncPool
from tests.support.waiting import wait_until


def make_pool(size: int, timeout: float = 5.0) -> AsyncPool[int]:
    numbers = itertools.count(1)

    async def connect() -> int:
        return next(numbers)

    async def close(conn: int) -> None:
        pass

    return AsyncPool(connect, close, size=size, timeout=timeout)


async def test_a_released_connection_goes_to_the_oldest_waiter_not_a_newcomer() -> None:
    pool = make_pool(size=1)
    held = await pool.acquire()
    order: list[str] = []

    async def borrow(name: str) -> None:
        conn = await pool.acquire()
        order.append(name)
        await asyncio.sleep(0)
        await pool.release(conn)

    waiters = [asyncio.ensure_future(borrow(f"waiter{i}")) for i in range(3)]
    await asyncio.sleep(0)             # all three are queued now
    assert pool.waiting == 3
    newcomer = asyncio.ensure_future(borrow("newcomer"))  # runs before any waiter is woken
    await pool.release(held)
    await asyncio.gather(*waiters, newcomer)
    assert order == ["waiter0", "waiter1", "waiter2", "newcomer"]
    assert (pool.in_use, pool.waiting) == (0, 0)


async def test_a_waiter_that_gives_up_leaves_its_turn_to_the_next() -> None:
    pool = make_pool(size=1, timeout=0.2)
    held = await pool.acquire()
    with pytest.raises(Unavailable):
        await pool.acquire()           # times out in the queue
    cancelled = asyncio.ensure_future(pool.acquire())
    patient = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await pool.release(held)
    assert await patient == held       # the slot skipped the cancelled waiter
    assert cancelled.cancelled()
    await pool.release(held)
    assert (pool.in_use, pool.waiting) == (0, 0)
    assert await pool.acquire() == held  # nothing left queued: the idle connection is lent at once


def test_threads_are_served_in_arrival_order_too() -> None:
    connections = itertools.count(1)
    pool: SyncPool[int] = SyncPool(lambda: next(connections), lambda conn: None, size=1, timeout=5.0)
    held = pool.acquire()
    order: list[str] = []

    def borrow(name: str) -> None:
        conn = pool.acquire()
        order.append(name)
        pool.release(conn)

    threads = []
    for i in range(3):
        threads.append(threading.Thread(target=borrow, args=(f"waiter{i}",)))
        threads[-1].start()
        wait_until(lambda: pool.waiting == i + 1, f"waiter{i} to queue")  # noqa: B023 - called at once; in this order
    pool.release(held)
    borrow("newcomer")                # asks at once, before any woken waiter has run
    for thread in threads:
        thread.join()
    assert order == ["waiter0", "waiter1", "waiter2", "newcomer"]
    assert (pool.in_use, pool.waiting) == (0, 0)
