"""Storage fixtures: ``run`` drives an operation through either runner (ids ``sync`` / ``async``).

Together with ``db_url`` every storage test runs four ways: sqlite3, PyMySQL, aiosqlite, aiomysql.
Tests using it are coroutines; the blocking runner is simply called inline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from shared.keys import Keys
from shared.revocation import Standings
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op
from shared.storage.runners import Services, run_async, run_sync

Run = Callable[[Op[Any]], Awaitable[Any]]


@pytest.fixture
def standings() -> Standings:
    """The runner's cache of who may still use their tokens, trusted as in a process serving alone:
    pass it to ``sessions.authenticate`` to check that every revocation reaches it."""
    remembered = Standings()
    remembered.trust(True)
    return remembered


@pytest_asyncio.fixture(loop_scope="function", params=["sync", "async"])
async def run(request: pytest.FixtureRequest, db_url: str, settings_for: Any, standings: Standings) -> AsyncIterator[Run]:
    settings = settings_for(db_url)
    services = Services(keys=Keys.from_settings(settings), standings=standings)
    if request.param == "sync":
        sync_db = open_sync(settings)

        async def run_blocking(op: Op[Any]) -> Any:
            return run_sync(sync_db, op, services)

        yield run_blocking
        sync_db.close()
    else:
        async_db = await open_async(settings)

        async def run_coroutine(op: Op[Any]) -> Any:
            return await run_async(async_db, op, services)

        yield run_coroutine
        await async_db.close()
