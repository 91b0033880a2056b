"""Waiting for something another process does, where there is no event to wait on.

A test that drives threads or coroutines of its own waits on their events (``threading.Event``,
``asyncio.Event``). What a server, nginx or MySQL does in its own process can only be looked at:
:func:`wait_until` looks until it is true. The timeout only bounds a hang; nothing asserts how long
the wait took (timings belong in the benchmarks, loadtests/).
"""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_SECONDS = 30.0


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Return once ``condition()`` is true; fail naming ``what`` when it is still false after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
