"""Two small connection pools, one for threads and one for coroutines, with the same bookkeeping.

Why our own: each borrower gets a connection to itself (a PyMySQL or sqlite3 connection must never be
used by two threads at once), waiting for one is bounded by ``pool_timeout`` and then answers 503
instead of hanging (aiomysql #553), and connections idle longer than ``max_idle`` are replaced before
the server's ``wait_timeout`` closes them under us (aiomysql #383, PyMySQL needs its own).
A pool opens nothing when it is made; the first borrower opens the first connection.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from shared import xray
from shared.errors import Unavailable
from shared.i18n import _l

C = TypeVar("C")

POOL_EXHAUSTED = _l("All database connections are busy; try again shortly.")


class _Books(Generic[C]):
    """Counting shared by both pools: idle connections (newest last), how many exist, are lent, wait."""

    def __init__(self, size: int, timeout: float, max_idle: float | None) -> None:
        self.size = size
        self.timeout = timeout
        self.max_idle = max_idle
        self.idle: list[tuple[C, float]] = []
        self.open = 0
        self.in_use = 0
        self.waiting = 0
        self.closed = False

    def can_lend(self) -> bool:
        return bool(self.idle) or self.open < self.size

    def lend(self) -> tuple[C | None, C | None]:
        """Take a slot: (a fresh-enough idle connection or None, a stale one to close or None)."""
        self.in_use += 1
        if not self.idle:
            self.open += 1
            return None, None
        conn, since = self.idle.pop()
        if self.max_idle is not None and time.monotonic() - since > self.max_idle:
            return None, conn
        return conn, None

    def give_back(self, conn: C, broken: bool) -> bool:
        """Return a slot; True when the caller must close ``conn`` instead of keeping it."""
        self.in_use -= 1
        if broken or self.closed:
            self.open -= 1
            return True
        self.idle.append((conn, time.monotonic()))
        return False

    def forget(self) -> None:
        """A lent slot whose connection could not be opened."""
        self.in_use -= 1
        self.open -= 1

    def drain(self) -> list[C]:
        self.closed = True
        conns = [conn for conn, _ in self.idle]
        self.open -= len(conns)
        self.idle.clear()
        return conns


class _Turn(Generic[C]):
    """A thread's place in the queue: the releaser lends it a slot, then wakes it."""

    def __init__(self) -> None:
        self.lent: tuple[C | None, C | None] | None = None
        self.ready = threading.Event()


class SyncPool(Generic[C]):
    """A thread-safe pool, first come, first served like :class:`AsyncPool` (whose docstring says why);
    ``connect`` and ``close`` are the driver's."""

    def __init__(self, connect: Callable[[], C], close: Callable[[C], None], *, size: int, timeout: float,
                 max_idle: float | None = None) -> None:
        self._connect, self._close = connect, close
        self._books: _Books[C] = _Books(size, timeout, max_idle)
        self._lock = threading.Lock()
        self._queue: deque[_Turn[C]] = deque()

    size = property(lambda self: self._books.size)
    in_use = property(lambda self: self._books.in_use)
    waiting = property(lambda self: self._books.waiting)

    def acquire(self) -> C:
        books = self._books
        with self._lock:
            if books.can_lend() and not self._queue:
                lent = books.lend()
            else:
                turn: _Turn[C] = _Turn()
                self._queue.append(turn)
                books.waiting += 1
                lent = None
        if lent is None:
            queued = time.perf_counter()
            turn.ready.wait(books.timeout)
            xray.waited(time.perf_counter() - queued)   # the request's Server-Timing "wait"
            with self._lock:   # lent under this lock, so a slot lent as the clock ran out is seen here
                books.waiting -= 1
                if turn.lent is None:
                    self._queue.remove(turn)
                    raise Unavailable(POOL_EXHAUSTED)
                lent = turn.lent
        conn, stale = lent
        if stale is not None:
            self._close(stale)
        if conn is not None:
            return conn
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                books.forget()
                self._serve_queue()
            raise

    def _serve_queue(self) -> None:
        """Lend free slots to the oldest waiting threads, in order (called holding the lock)."""
        while self._queue and self._books.can_lend():
            turn = self._queue.popleft()
            turn.lent = self._books.lend()
            turn.ready.set()

    def replace(self, conn: C) -> C:
        """A new connection in the same lent slot, for one found dead; if none can be made, the
        caller still holds the dead one and releases it as broken."""
        self._close(conn)
        return self._connect()

    def release(self, conn: C, *, broken: bool = False) -> None:
        with self._lock:
            discard = self._books.give_back(conn, broken)
            self._serve_queue()
        if discard:
            self._close(conn)

    def close(self) -> None:
        with self._lock:
            conns = self._books.drain()
        for conn in conns:
            self._close(conn)


class AsyncPool(Generic[C]):
    """The same pool for coroutines, strictly first come, first served.

    A released connection goes straight to the oldest waiter, and a newcomer queues behind anyone
    already waiting. With an ``asyncio.Condition`` (aiomysql's pool, and ours before) the woken
    waiter only runs on a later loop turn: a newcomer that runs first takes the connection, and the
    waiter, finding none, goes back to the *end* of the queue. Under load a few unlucky requests are
    overtaken again and again: a p99 many times the p50 (``loadtests/RESULTS.md``, "Hot-path work").
    ``close`` is awaited so shutdown is clean (no "Event loop is closed").
    """

    def __init__(self, connect: Callable[[], Awaitable[C]], close: Callable[[C], Awaitable[None]], *,
                 size: int, timeout: float, max_idle: float | None = None) -> None:
        self._connect, self._close = connect, close
        self._books: _Books[C] = _Books(size, timeout, max_idle)
        self._queue: deque[asyncio.Future[tuple[C | None, C | None]]] = deque()
        self._closing: set[asyncio.Future[None]] = set()

    size = property(lambda self: self._books.size)
    in_use = property(lambda self: self._books.in_use)
    waiting = property(lambda self: self._books.waiting)

    async def acquire(self) -> C:
        books = self._books
        if books.can_lend() and not self._queue:
            conn, stale = books.lend()
        else:
            conn, stale = await self._wait_turn()
        if stale is not None:
            await self._close(stale)
        if conn is not None:
            return conn
        try:
            return await self._connect()
        except BaseException:
            books.forget()
            self._serve_queue()
            raise

    async def _wait_turn(self) -> tuple[C | None, C | None]:
        """Queue until a slot is lent to us, at most ``timeout`` seconds (then 503)."""
        books = self._books
        turn: asyncio.Future[tuple[C | None, C | None]] = asyncio.get_running_loop().create_future()
        self._queue.append(turn)
        books.waiting += 1
        queued = time.perf_counter()
        try:
            async with asyncio.timeout(books.timeout):
                return await turn
        except TimeoutError:
            if turn.done() and not turn.cancelled():
                return turn.result()   # lent to us just as the clock ran out: take it
            raise Unavailable(POOL_EXHAUSTED) from None
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._hand_back(*turn.result())  # cancelled after a slot was lent: never strand it
            raise
        finally:
            xray.waited(time.perf_counter() - queued)   # the request's Server-Timing "wait"
            books.waiting -= 1
            if not turn.done():
                turn.cancel()
            if turn in self._queue:
                self._queue.remove(turn)

    def _serve_queue(self) -> None:
        """Lend free slots to the oldest waiters, in order; a waiter already given up is skipped."""
        while self._queue and self._books.can_lend():
            turn = self._queue.popleft()
            if not turn.done():
                turn.set_result(self._books.lend())

    def _hand_back(self, conn: C | None, stale: C | None) -> None:
        """Undo a lend whose borrower is gone: keep the connection, or free the slot."""
        if stale is not None:
            self._close_later(stale)
        if conn is not None:
            self._give_back(conn, broken=False)
        else:
            self._books.forget()
            self._serve_queue()

    async def replace(self, conn: C) -> C:
        """:meth:`SyncPool.replace` for coroutines (the dead connection is closed in the background)."""
        self._close_later(conn)
        return await self._connect()

    async def release(self, conn: C, *, broken: bool = False) -> None:
        """Return ``conn``; a broken one is closed in the background, so a cancelled request is not
        held up while its abandoned query finishes (aiosqlite) or its socket says goodbye (aiomysql)."""
        self._give_back(conn, broken)

    def _give_back(self, conn: C, broken: bool) -> None:
        if self._books.give_back(conn, broken):
            self._close_later(conn)
        self._serve_queue()

    def _close_later(self, conn: C) -> None:
        closing = asyncio.ensure_future(self._close(conn))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for conn in self._books.drain():
            await self._close(conn)
        await asyncio.gather(*self._closing, return_exceptions=True)


Pool = SyncPool[Any] | AsyncPool[Any]
