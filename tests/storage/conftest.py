"""Storage fixtures: ``run`` drives an operation through either runner (ids ``sync`` / ``async``).

Together with ``db_url`` every storage test runs four ways: sqlite3, PyMySQL, aiosqlite, aiomysql.
Tests using it are coroutines; the blocking runner is simply called inline.

On MySQL, tests run once more on the other drivers (``mysql_driver``: asyncmy on the event loop,
mysqlclient on the workers), both in one pass. ``FORUM_TEST_MYSQL_DRIVERS`` (a FORUM_MYSQL_DRIVER
value) names them and runs the whole storage suite on them; unset, the modules in ``DRIVER_SUBSET``
run on asyncmy and mysqlclient, which keeps ``make test`` short; empty, none do.
"""

from __future__ import annotations

import os
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

OTHER_DRIVERS = os.environ.get("FORUM_TEST_MYSQL_DRIVERS")
# what the other drivers must get right: every query shape, timeouts, lost and killed connections,
# cancellation, error mapping (409, 503), and no connection held across CPU work
DRIVER_SUBSET = {"test_drivers", "test_ops_core", "test_reliability", "test_ratelimits", "test_compute_holds_nothing"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A MySQL test in this folder runs on the default drivers and on the others (see above)."""
    names = set(metafunc.fixturenames)
    if "mysql_driver" not in names or not names & {"db_url", "mysql_url"}:
        return
    if OTHER_DRIVERS is None and metafunc.module.__name__.rpartition(".")[2] not in DRIVER_SUBSET:
        return
    others = "asyncmy,mysqlclient" if OTHER_DRIVERS is None else OTHER_DRIVERS.strip()
    if others:
        metafunc.parametrize("mysql_driver", ["", others], ids=["aiomysql+pymysql", others.replace(",", "+")])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite the MySQL driver changes nothing: that run is left out."""
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params  # type: ignore[attr-defined]
        other = params and params.get("mysql_driver") and params.get("db_url") == "sqlite"
        (dropped if other else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def standings() -> Standings:
    """The runner's cache of who may still use their tokens, trusted as in a process serving alone:
    pass it to ``sessions.authenticate`` to check that every revocation reaches it."""
    remembered = Standings()
    remembered.trust()
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
