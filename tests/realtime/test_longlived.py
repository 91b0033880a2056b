"""The hub keeps its sockets' objects out of the full garbage collections (shared.longlived), and lets
the collector look at them again once half of them have closed, so cycles left by closed sockets are
not kept for ever."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from shared import longlived, metrics
from shared.config import Settings
from shared.notifier import Hub
from shared.storage.effects import Publish


class Socket:
    """A subscriber in a reference cycle with itself, as a closed Tornado socket can be."""

    def __init__(self) -> None:
        self.me = self

    def notify(self, event: Publish) -> None:
        pass

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        pass


@pytest.fixture(autouse=True)
def few_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(longlived, "FROM_SOCKETS", 20)
    monkeypatch.setattr(longlived, "DELAY", 0.01)
    gc.unfreeze()
    yield
    gc.unfreeze()   # the rest of the test process is collected as usual


async def settled() -> None:
    await asyncio.sleep(longlived.DELAY * 5)


async def test_few_sockets_leave_the_collector_alone():
    hub = Hub(Settings(database_url="sqlite:///x"))
    for user_id in range(19):
        hub.subscribe(user_id, Socket())
    await settled()
    assert gc.get_freeze_count() == 0


async def test_many_sockets_are_frozen_and_a_closed_ones_cycle_is_collected_once_half_have_closed():
    hub = Hub(Settings(database_url="sqlite:///x"))
    sockets = [Socket() for _ in range(40)]
    for user_id, socket in enumerate(sockets):
        hub.subscribe(user_id, socket)
    await settled()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert f"forum_gc_frozen_objects {float(frozen)}" in metrics.render().decode()

    first = weakref.ref(sockets[0])
    for user_id in range(19):                # fewer than half: the closed ones' cycles wait, frozen
        hub.unsubscribe(user_id, sockets[user_id])
    sockets[:19] = []
    await settled()
    gc.collect()
    assert first() is not None
    assert gc.get_freeze_count() > 0

    hub.unsubscribe(19, sockets.pop(0))      # half of the 40: the next settle looks at everything again
    await settled()
    assert first() is None                   # its cycle was collected
    assert gc.get_freeze_count() > 0         # the 20 still open (and the rest of the process) frozen again
    assert hub.long_lived.frozen_sockets == 20


async def test_when_the_last_sockets_close_nothing_stays_frozen():
    hub = Hub(Settings(database_url="sqlite:///x"))
    sockets = [Socket() for _ in range(20)]
    for user_id, socket in enumerate(sockets):
        hub.subscribe(user_id, socket)
    await settled()
    assert gc.get_freeze_count() > 0
    for user_id, socket in enumerate(sockets):
        hub.unsubscribe(user_id, socket)
    await settled()
    assert gc.get_freeze_count() == 0


async def test_a_closing_hub_settles_no_more():
    hub = Hub(Settings(database_url="sqlite:///x"))
    for user_id in range(20):
        hub.subscribe(user_id, Socket())
    await hub.close()
    await settled()
    assert gc.get_freeze_count() == 0
