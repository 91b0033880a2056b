"""Keep Python's full garbage collections off the fan-out while thousands of sockets are open (issue #18).

CPython frees most objects by reference counting; its cyclic collector is for the rest, and it
looks at every container object it tracks. A young generation is cheap to look at, but each time the
objects that survived grow by a quarter it runs a *full* pass over all of them. An open socket is
about 42 such objects (its handler, stream, protocol, their dicts and coroutines), so at 10,000
sockets a full pass looks at ~420,000 objects and holds the event loop for about 300 ms. It fires
while sockets are opening, and often at the next burst of work: a comment fanned out to a thread's
watchers waits behind it (p99 1.9 s instead of 0.2 s; loadtests/RESULTS.md, "Fifth pass").

Those objects are not garbage: they live as long as their socket, and each full pass finds nothing
among them. ``gc.freeze()`` moves every object alive into a permanent generation the collector never
looks at (the standard library's answer to this; Instagram's for its pre-fork workers). So, once a
process holds many sockets (:data:`FROM_SOCKETS`), :class:`LongLived` *settles* a second after
sockets opened: a full collection of what is not frozen yet (what appeared since the last settle:
cheap), then a freeze of what is still alive.

What that costs: a frozen object freed by its reference count is freed as usual, but one that
becomes part of a garbage cycle after the freeze is kept until the collector looks again. Few do
(10,000 closed sockets left 558 such objects), and so that they are not kept for ever, once half as
many sockets have closed as were open at the last settle, the next settle unfreezes first: one full
pass, at a time decided here rather than by the growth of the heap.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

FROM_SOCKETS = 1000   # fewer open sockets: leave the collector as CPython sets it (a full pass is short)
DELAY = 1.0           # seconds after the first socket opened before settling: one settle per burst


class LongLived:
    """Told by the :class:`shared.notifier.Hub` as sockets open and close; settles on its loop."""

    def __init__(self, open_sockets: Callable[[], int]) -> None:
        self.open_sockets = open_sockets   # the hub's count
        self.frozen_sockets = 0     # open at the last settle
        self.closed = 0             # closed since then
        self._due: asyncio.TimerHandle | None = None

    def opened(self) -> None:
        """A socket opened: settle soon, if the process holds enough of them to matter."""
        if self.open_sockets() >= FROM_SOCKETS:
            self._schedule()

    def closed_one(self) -> None:
        """A socket closed: once half of those frozen have, look at everything again (their cycles)."""
        self.closed += 1
        if self.frozen_sockets and self.closed * 2 >= self.frozen_sockets:
            self._schedule()

    def _schedule(self) -> None:
        if self._due is None:
            self._due = asyncio.get_running_loop().call_later(DELAY, self.settle)

    def settle(self) -> None:
        """Collect what is garbage now, then freeze what is alive (after unfreezing, when due)."""
        self._due = None
        if self.frozen_sockets and self.closed * 2 >= self.frozen_sockets:
            gc.unfreeze()
        gc.collect()
        self.frozen_sockets = self.open_sockets()
        self.closed = 0
        if self.frozen_sockets >= FROM_SOCKETS:
            gc.freeze()

    def cancel(self) -> None:
        """The hub is closing: no settle after it."""
        if self._due is not None:
            self._due.cancel()
            self._due = None
