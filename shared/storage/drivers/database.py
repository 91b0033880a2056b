"""One transaction on a pooled connection, blocking or as a coroutine; the runners drive these.

``transaction()`` borrows a connection, begins (writers only, see below), yields an object whose ``perform(query)`` runs one
:class:`~shared.storage.effects.Query`, commits when the block ends, rolls back on any exception and
returns the connection to the pool, or closes it when it can no longer be trusted: lost, timed out,
or left in the middle of a cancelled query (RELIABILITY 7). Both drivers of a kind speak DB-API, so
the only per-database knowledge is the :class:`~shared.storage.drivers.common.Dialect`. ``bound``
(``search_timeout``) is how long a ``Query(bounded=True)`` may run before the server stops it.

Connections stay in autocommit mode, and only a writing operation opens a transaction
(``START TRANSACTION`` / ``BEGIN IMMEDIATE``, then ``COMMIT``). A read-only operation is just its
SELECTs: one round trip for a one-query read such as authentication, where a read transaction costs
three. Each SELECT is then consistent on its own, but two SELECTs of one read no longer share a
snapshot. No read-only operation depends on that: the second query of a list (authors, ``liked``
flags, "does the group exist" when the page is empty) may only see a moment later, exactly as if
the page had been asked for a moment later.

The first statement on a borrowed connection is retried once on a fresh connection when the
connection turns out to be dead (it died while idle, e.g. the server restarted): nothing has
happened on it yet, so running it again is safe. For a writer that statement is the BEGIN.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.errors import ForumError, Unavailable
from shared.i18n import _l
from shared.storage.drivers.common import Dialect, shape, wants_rows
from shared.storage.drivers.pools import AsyncPool, SyncPool
from shared.storage.effects import Query


def _params(query: Query) -> Any:
    return [tuple(p) for p in query.params] if query.many else tuple(query.params)


class BlockingTransaction:
    def __init__(self, pool: SyncPool[Any], conn: Any, dialect: Dialect, writes: bool, bound: float = 0) -> None:
        self.pool, self.dialect, self.writes, self.bound = pool, dialect, writes, bound
        self.conn, self.broken, self.fresh = conn, False, True

    def perform(self, query: Query) -> Any:
        fresh, self.fresh = self.fresh, False
        try:
            return self._perform(query)
        except Unavailable:
            if not (fresh and self.broken):
                raise
        self.conn = self.pool.replace(self.conn)   # died while idle: retry once on a new connection
        self.broken = False
        return self._perform(query)

    def _perform(self, query: Query) -> Any:
        if query.many and not query.params:
            return 0  # executemany of nothing: PyMySQL would leave rowcount at -1
        try:
            cursor = self.conn.cursor()
            try:
                sql = self.dialect.statement(query, self.bound)
                if query.many:
                    cursor.executemany(sql, _params(query))
                else:
                    cursor.execute(sql, _params(query))
                rows = cursor.fetchall() if wants_rows(query) else ()
                return shape(query, cursor.description, rows, cursor.rowcount, cursor.lastrowid)
            finally:
                cursor.close()
        except Exception as exc:
            mapped = self.mapped(exc, query.bounded)
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            self.broken = True  # interrupted mid-query (gevent.Timeout, KeyboardInterrupt): state unknown
            raise

    def mapped(self, exc: BaseException, bounded: bool = False) -> ForumError | None:
        """The domain error for a driver error (None: not ours), noting whether the connection is lost."""
        err, broken = self.dialect.classify(exc, bounded)
        self.broken = self.broken or broken
        return err

    def finish(self, commit: bool) -> None:
        if not self.writes:
            return   # autocommit: each SELECT was its own transaction, there is nothing to end
        if commit:
            self.conn.commit()
        elif not self.broken:
            self.conn.rollback()


WRITER_QUEUED = _l("Too many writers are queued for the database; try again shortly.")


class BlockingDatabase:
    """A blocking pool (PyMySQL, sqlite3), shared by the threads of one process.

    ``writer_wait`` (SQLite): the process's writers take turns on a lock of its own, first come first
    served, for at most that many seconds. SQLite's busy handler polls with growing sleeps, so under a
    steady stream of short write transactions a waiting writer can keep waking while the lock is held
    and give up at the busy timeout; a queue in the process lets each writer in turn.
    """

    def __init__(self, dialect: Dialect, pool: SyncPool[Any], writer_wait: float | None = None,
                 bound: float = 0) -> None:
        self.dialect_rules = dialect
        self.bound = bound
        self.dialect = dialect.name
        self.pool = pool
        self.writer_wait = writer_wait
        self._writer = threading.Lock() if writer_wait is not None else None

    size = property(lambda self: self.pool.size)
    in_use = property(lambda self: self.pool.in_use)
    waiting = property(lambda self: self.pool.waiting)

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[BlockingTransaction]:
        if read_only or self._writer is None:
            with self._transaction(read_only) as tx:
                yield tx
            return
        if not self._writer.acquire(timeout=self.writer_wait or -1):
            raise Unavailable(WRITER_QUEUED)
        try:
            with self._transaction(read_only) as tx:
                yield tx
        finally:
            self._writer.release()

    @contextmanager
    def _transaction(self, read_only: bool) -> Iterator[BlockingTransaction]:
        tx = BlockingTransaction(self.pool, self.pool.acquire(), self.dialect_rules, writes=not read_only,
                                 bound=self.bound)
        try:
            if tx.writes:
                tx.perform(Query(self.dialect_rules.begin, returns="rowcount"))
            yield tx
        except BaseException:
            self._end(tx, commit=False)
            raise
        self._end(tx, commit=True)

    def _end(self, tx: BlockingTransaction, commit: bool) -> None:
        try:
            tx.finish(commit)
        except Exception as exc:
            tx.broken = True
            if commit:
                self.pool.release(tx.conn, broken=True)
                mapped = tx.mapped(exc)
                if mapped is None:
                    raise
                raise mapped from exc
        self.pool.release(tx.conn, broken=tx.broken)

    def ping(self) -> None:
        """For /readyz: one round trip, or Unavailable."""
        with self.transaction(read_only=True) as tx:
            tx.perform(Query("SELECT 1", returns="value"))

    def close(self) -> None:
        self.pool.close()


class CoroutineTransaction:
    def __init__(self, pool: AsyncPool[Any], conn: Any, dialect: Dialect, read_timeout: float,
                 writes: bool, bound: float = 0) -> None:
        self.pool, self.dialect, self.read_timeout, self.writes = pool, dialect, read_timeout, writes
        self.bound = bound
        self.conn, self.broken, self.fresh, self.timed_out = conn, False, True, False

    async def perform(self, query: Query) -> Any:
        fresh, self.fresh = self.fresh, False
        try:
            return await self._perform(query)
        except Unavailable:
            # A connection that died while idle is retried once; one that timed out is not: the
            # server is there but not answering (frozen), and a retry would only wait as long again.
            if not (fresh and self.broken) or self.timed_out:
                raise
        self.conn = await self.pool.replace(self.conn)   # died while idle: retry once on a new connection
        self.broken = False
        return await self._perform(query)

    async def _perform(self, query: Query) -> Any:
        if query.many and not query.params:
            return 0
        try:
            # aiomysql has no read timeout of its own: bound every round trip here, and a connection
            # left mid-query by the timeout (or by a cancelled request) is closed, never reused.
            async with asyncio.timeout(self.read_timeout):
                cursor = await self.conn.cursor()
                sql = self.dialect.statement(query, self.bound)
                if query.many:
                    await cursor.executemany(sql, _params(query))
                else:
                    await cursor.execute(sql, _params(query))
                rows = await cursor.fetchall() if wants_rows(query) else ()
                result = shape(query, cursor.description, rows, cursor.rowcount, cursor.lastrowid)
                # closed only after success: after a failure the connection is rolled back (a writer's)
                # or thrown away, and closing an aiosqlite cursor would first wait for the abandoned query
                await cursor.close()
                return result
        except Exception as exc:
            self.timed_out = isinstance(exc, TimeoutError)
            mapped = self.mapped(exc, query.bounded)
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            self.broken = True  # cancelled mid-query: the connection is in an unknown state
            raise

    def mapped(self, exc: BaseException, bounded: bool = False) -> ForumError | None:
        err, broken = self.dialect.classify(exc, bounded)
        self.broken = self.broken or broken
        return err

    async def finish(self, commit: bool) -> None:
        if not self.writes:
            return   # autocommit: each SELECT was its own transaction, there is nothing to end
        async with asyncio.timeout(self.read_timeout):
            if commit:
                await self.conn.commit()
            elif not self.broken:
                await self.conn.rollback()


class CoroutineDatabase:
    """A coroutine pool (aiomysql, aiosqlite), one per process, made after any fork (``writer_wait``:
    as for :class:`BlockingDatabase`)."""

    def __init__(self, dialect: Dialect, pool: AsyncPool[Any], read_timeout: float,
                 writer_wait: float | None = None, bound: float = 0) -> None:
        self.dialect_rules = dialect
        self.bound = bound
        self.dialect = dialect.name
        self.pool = pool
        self.read_timeout = read_timeout
        self.writer_wait = writer_wait
        self._writer = asyncio.Lock() if writer_wait is not None else None

    size = property(lambda self: self.pool.size)
    in_use = property(lambda self: self.pool.in_use)
    waiting = property(lambda self: self.pool.waiting)

    def transaction(self, read_only: bool = False) -> _Lease:
        return _Lease(self, read_only)

    async def _end(self, tx: CoroutineTransaction, commit: bool) -> None:
        """Commit or roll back; a failed rollback only costs the connection (the caller re-raises the
        error that caused it), a failed commit is the caller's error."""
        try:
            await tx.finish(commit)
        except BaseException as exc:
            tx.broken = True
            if commit:
                await self.pool.release(tx.conn, broken=True)
                mapped = tx.mapped(exc)
                if mapped is None:
                    raise
                raise mapped from exc
        await self.pool.release(tx.conn, broken=tx.broken)

    async def ping(self) -> None:
        async with self.transaction(read_only=True) as tx:
            await tx.perform(Query("SELECT 1", returns="value"))

    async def close(self) -> None:
        await self.pool.close()



class _Lease:
    """``async with db.transaction(read_only)``, or its ``open()`` and ``close()`` by name (``run_async``):
    a connection borrowed (a writer takes its turn first, with ``writer_wait``) and a transaction begun
    (writers only), then committed or rolled back.

    A class rather than an ``@asynccontextmanager``: every operation enters one, and the generator
    machinery (two nested ones, and the runner's exit stack around them) was a few per cent of a
    reader page's CPU, profiled.
    """

    __slots__ = ("db", "read_only", "tx", "queued")

    def __init__(self, db: CoroutineDatabase, read_only: bool) -> None:
        self.db, self.read_only = db, read_only
        self.queued = False   # holds the writers' lock

    async def open(self) -> CoroutineTransaction:
        """Borrow the connection and begin (a writer); on failure nothing is left borrowed or queued."""
        db = self.db
        if not self.read_only and db._writer is not None:
            try:
                async with asyncio.timeout(db.writer_wait):
                    await db._writer.acquire()
            except TimeoutError:
                raise Unavailable(WRITER_QUEUED) from None
            self.queued = True
        try:
            tx = CoroutineTransaction(db.pool, await db.pool.acquire(), db.dialect_rules, db.read_timeout,
                                      writes=not self.read_only, bound=db.bound)
            if tx.writes:
                try:
                    await tx.perform(Query(db.dialect_rules.begin, returns="rowcount"))
                except BaseException:
                    await db._end(tx, commit=False)
                    raise
        except BaseException:
            self._let_writers_on()
            raise
        self.tx = tx
        return tx

    async def close(self, error: BaseException | None = None) -> None:
        """Commit, or roll back when an ``error`` ends the transaction; give the connection back."""
        try:
            await self.db._end(self.tx, commit=error is None)
        finally:
            self._let_writers_on()

    async def __aenter__(self) -> CoroutineTransaction:
        return await self.open()

    async def __aexit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        await self.close(error)

    def _let_writers_on(self) -> None:
        if self.queued:
            self.queued = False
            assert self.db._writer is not None
            self.db._writer.release()
