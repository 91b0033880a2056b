"""The request's trace (shared/xray.py), as both runners and both pools fill it on both databases.

Each effect is noted once, in order, with its time: the SQL text without its parameters, the hop
to Compute, the publish, the commits. A borrower that queued for a pooled connection has that wait
counted apart from its query. With debug off only the totals are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from shared import xray
from shared.config import ConfigError, load_settings
from shared.storage.drivers import open_async
from shared.storage.effects import READ_ONLY, Compute, Op, Publish, Query, Transaction
from shared.storage.runners import run_async

SECRET = "secret-name-7f3a"   # a parameter: it must never reach the trace


def sample() -> Op[int]:
    """Read, compute, write and publish: one effect of each kind the trace counts."""
    yield READ_ONLY
    found: int = yield Query("SELECT COUNT(*) FROM users WHERE username = %s", (SECRET,), "value")
    yield Compute(len, (SECRET,))
    yield Transaction()
    yield Query("UPDATE users SET bio = %s WHERE username = %s", (SECRET, SECRET), "rowcount")
    yield Publish(7)
    return found


def one() -> Op[int]:
    yield READ_ONLY
    return (yield Query("SELECT 1", returns="value"))  # type: ignore[no-any-return]


@pytest.fixture
def trace() -> Iterator[xray.Trace]:
    yield xray.begin("GET", "/sample", "t1", "tornado", debug=True)
    xray.end()


async def test_each_effect_is_noted_in_order_without_its_parameters(run: Any, trace: xray.Trace) -> None:
    assert await run(sample()) == 0
    steps = trace.steps or []
    assert [s.kind for s in steps] == ["Transaction", "Query", "Compute", "Transaction", "Query", "Publish",
                                       "Transaction"]
    assert steps[1].detail == "SELECT COUNT(*) FROM users WHERE username = %s"
    assert steps[2].detail == "len" and steps[-1].detail == "commit"
    assert all(SECRET not in s.detail for s in steps)
    assert trace.db > 0 and trace.wait == 0
    header = xray.server_timing(trace)
    assert [part.split(";")[0] for part in header.split(", ")] == ["db", "wait", "compute", "total"]


async def test_debug_off_keeps_the_totals_only(run: Any) -> None:
    trace = xray.begin("GET", "/sample", "t2", "flask", debug=False)
    try:
        await run(sample())
    finally:
        xray.end()
    assert trace.steps is None and trace.db > 0


async def test_no_trace_no_notes(run: Any) -> None:
    """Outside a request (the command line, a test) the runners run as before and note nothing."""
    assert xray.current() is None
    assert await run(sample()) == 0


async def test_a_queued_borrower_has_its_wait_counted_apart(db_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(db_url, pool_size=1))
    try:
        holding, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with db.transaction(read_only=True) as tx:
                await tx.perform(Query("SELECT 1", returns="value"))
                holding.set()
                await release.wait()

        async def traced() -> xray.Trace:   # a task of its own: its own context, as a request has
            trace = xray.begin("GET", "/queued", "t3", "tornado", debug=True)
            await run_async(db, one())
            return trace

        holder = asyncio.create_task(hold())
        await holding.wait()
        waiter = asyncio.create_task(traced())
        while db.waiting == 0:
            await asyncio.sleep(0.001)
        release.set()
        trace = await waiter
        await holder
    finally:
        await db.close()
    steps = trace.steps or []
    assert trace.wait > 0 and [s.kind for s in steps] == ["Transaction", "Query"] and steps[1].waited > 0


def test_debug_is_refused_in_production() -> None:
    with pytest.raises(ConfigError, match="FORUM_DEBUG"):
        load_settings({"env": "production", "debug": "true", "secret": "s" * 40}, environ={})
