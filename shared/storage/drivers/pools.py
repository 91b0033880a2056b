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
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from shared.errors import Unavailable

C = TypeVar("C")

POOL_EXHAUSTED = "All database connections are busy; try again shortly."


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


class SyncPool(Generic[C]):
    """A thread-safe pool; ``connect`` and ``close`` are the driver's."""

    def __init__(self, connect: Callable[[], C], close: Callable[[C], None], *, size: int, timeout: float,
                 max_idle: float | None = None) -> None:
        self._connect, self._close = connect, close
        self._books: _Books[C] = _Books(size, timeout, max_idle)
        self._cond = threading.Condition()

    size = property(lambda self: self._books.size)
    in_use = property(lambda self: self._books.in_use)
    waiting = property(lambda self: self._books.waiting)

    def acquire(self) -> C:
        books = self._books
        deadline = time.monotonic() + books.timeout
        with self._cond:
            books.waiting += 1
            try:
                while not books.can_lend():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Unavailable(POOL_EXHAUSTED)
                    self._cond.wait(remaining)
                conn, stale = books.lend()
            finally:
                books.waiting -= 1
        if stale is not None:
            self._close(stale)
        if conn is not None:
            return conn
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                books.forget()
                self._cond.notify()
            raise

    def release(self, conn: C, *, broken: bool = False) -> None:
        with self._cond:
            discard = self._books.give_back(conn, broken)
            self._cond.notify()
        if discard:
            self._close(conn)

    def close(self) -> None:
        with self._cond:
            conns = self._books.drain()
        for conn in conns:
            self._close(conn)


class AsyncPool(Generic[C]):
    """The same pool for coroutines; ``close`` is awaited so shutdown is clean (no "Event loop is closed")."""

    def __init__(self, connect: Callable[[], Awaitable[C]], close: Callable[[C], Awaitable[None]], *,
                 size: int, timeout: float, max_idle: float | None = None) -> None:
        self._connect, self._close = connect, close
        self._books: _Books[C] = _Books(size, timeout, max_idle)
        self._cond = asyncio.Condition()
        self._closing: set[asyncio.Future[None]] = set()

    size = property(lambda self: self._books.size)
    in_use = property(lambda self: self._books.in_use)
    waiting = property(lambda self: self._books.waiting)

    async def acquire(self) -> C:
        books = self._books
        books.waiting += 1
        try:
            async with self._cond:
                try:
                    async with asyncio.timeout(books.timeout):
                        await self._cond.wait_for(books.can_lend)
                except TimeoutError:
                    self._cond.notify()  # pass on a wake-up we may have taken as the clock ran out
                    raise Unavailable(POOL_EXHAUSTED) from None
                # lent outside the timeout, so a timeout can never strand a lent slot (aiomysql #553)
                conn, stale = books.lend()
        finally:
            books.waiting -= 1
        if stale is not None:
            await self._close(stale)
        if conn is not None:
            return conn
        try:
            return await self._connect()
        except BaseException:
            books.forget()
            await self._wake()
            raise

    async def release(self, conn: C, *, broken: bool = False) -> None:
        """Return ``conn``; a broken one is closed in the background, so a cancelled request is not
        held up while its abandoned query finishes (aiosqlite) or its socket says goodbye (aiomysql)."""
        if self._books.give_back(conn, broken):
            closing = asyncio.ensure_future(self._close(conn))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        await self._wake()

    async def _wake(self) -> None:
        async with self._cond:
            self._cond.notify()

    async def close(self) -> None:
        for conn in self._books.drain():
            await self._close(conn)
        await asyncio.gather(*self._closing, return_exceptions=True)


Pool = SyncPool[Any] | AsyncPool[Any]
