"""The two runners: drive one operation, blocking or as a coroutine. Nothing else drives one.

Both loops are the same; only the waiting differs. The runner owns the transactions, so no
operation can forget to commit, and a failure half-way through leaves nothing of that transaction
written. It performs every effect of :mod:`shared.storage.effects`:

- ``Query``: on the current transaction, which the first query after a boundary opens (so CPU work
  before it holds no connection); ``Transaction`` commits it and starts the next stretch.
- ``Compute``: inline (blocking) or in the loop's executor (coroutine). ``Hit``/``Reset``: on the
  counters (Redis), or in the database in a short transaction of their own. ``Fetch``: through the
  app's fetcher. None of these three runs while a writing transaction is open (RELIABILITY 46):
  the runner refuses with a ``RuntimeError``, a bug in the operation, caught by the tests; a
  read-only stretch simply gives its connection back first.
- ``Publish``: kept until its transaction has committed, then handed to ``services.publish`` (the
  WebSocket fan-out, :mod:`shared.notifier`), so nobody hears of a notification that was rolled back.
  A revocation (``Publish(user_id, close=True)``) first makes this process's ``services.standings``
  forget the user, and the operation returns (its request answers) only once the publisher has had
  every other process acknowledge it, or its deadline has passed (:mod:`shared.revocation`).
- ``Send``: becomes the INSERT of :func:`shared.storage.outbox.enqueue` and runs as a ``Query`` in the
  current transaction, so an e-mail exists exactly when the change that caused it committed.

Each effect's time goes to the current request's trace (:mod:`shared.xray`: the ``Server-Timing``
header, and the X-ray pages in debug).

The app's keys (:mod:`shared.keys`) are lent to the operation for as long as it runs (a runner
given none, such as ``forum migrate``'s, lends none: its operations sign nothing).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, TypeVar

from shared import keys, xray
from shared.config import Settings
from shared.errors import ForumError
from shared.keys import Keys
from shared.ratelimit import Rule, rules_from
from shared.revocation import Standings
from shared.storage import outbox, ratelimits
from shared.storage.effects import (
    NOTHING,
    Compute,
    Effect,
    Fetch,
    Hit,
    Op,
    Publish,
    Query,
    Reset,
    Send,
    Transaction,
)

T = TypeVar("T")
# A publisher may return something to await (the Tornado hub, for a revocation until every process has
# acknowledged it): run_async waits for it before the operation returns, run_sync's publishers block instead.
Publisher = Callable[[Publish], Awaitable[None] | None]
log = logging.getLogger("forum.storage")


class SyncTransaction(Protocol):
    def perform(self, query: Query) -> Any: ...


class AsyncTransaction(Protocol):
    async def perform(self, query: Query) -> Any: ...


class SyncDatabase(Protocol):
    """A blocking pool (PyMySQL, sqlite3): ``transaction()`` borrows a connection, commits or rolls back."""

    dialect: str

    def transaction(self, read_only: bool = False) -> AbstractContextManager[SyncTransaction]: ...

    def close(self) -> None: ...


class AsyncLease(Protocol):
    """One transaction of a coroutine pool: ``open()`` borrows a connection (and begins, for a writer),
    ``close()`` commits, ``close(error)`` rolls back; either gives the connection back."""

    async def open(self) -> AsyncTransaction: ...

    async def close(self, error: BaseException | None = None) -> None: ...


class AsyncDatabase(Protocol):
    """A coroutine pool (aiomysql, aiosqlite), the same shape as :class:`SyncDatabase`; its
    ``transaction()`` is an :class:`AsyncLease`."""

    dialect: str

    def transaction(self, read_only: bool = False) -> AsyncLease: ...

    async def close(self) -> None: ...


@cache
def default_rules() -> Mapping[str, Rule]:
    return rules_from(Settings())


@dataclass(frozen=True)
class Services:
    """What effects are performed against besides the database; each app makes one at start-up.

    ``counters`` is a Redis counter store (``shared.ratelimit``), blocking for ``run_sync`` and
    asyncio for ``run_async``; None counts in the database. ``fetch`` takes a :class:`Fetch` and
    gives a ``Reply`` (a coroutine function for ``run_async``). ``keys`` sign tokens and cursors.
    ``standings`` is the process's cache of who may still use their tokens (:mod:`shared.revocation`).
    """

    keys: Keys | None = None
    publish: Publisher | None = None
    counters: Any = None
    fetch: Any = None
    rules: Mapping[str, Rule] = field(default_factory=default_rules)
    standings: Standings | None = None


NO_SERVICES = Services()
OUTSIDE = (Compute, Hit, Reset, Fetch)   # effects that never run inside a writing transaction
COMMIT = Transaction()   # how the last commit of an operation is noted in the request's trace


def _outside_refused(effect: Effect) -> RuntimeError:
    return RuntimeError(f"{type(effect).__name__} inside a writing transaction: yield Transaction() before it")


def run_sync(db: SyncDatabase, op: Op[T], services: Services = NO_SERVICES) -> T:
    """Run ``op`` to completion on a blocking driver; announce each ``Publish`` after its commit."""
    if op is NOTHING:
        return None  # type: ignore[return-value]   # NOTHING is an Op[None]
    published: list[Publish] = []
    stack, tx, read_only = ExitStack(), None, False
    with keys.using(services.keys) if services.keys else nullcontext():
        try:
            effect = next(op)
            while True:
                started = time.perf_counter()   # each effect's time goes to the request's trace (xray)
                try:
                    if isinstance(effect, Send):     # a message is one more row of this transaction
                        effect = outbox.enqueue(effect)
                    if isinstance(effect, Query):
                        if tx is None:
                            tx = stack.enter_context(db.transaction(read_only=read_only))
                        result = tx.perform(effect)
                    elif isinstance(effect, Publish):
                        published.append(effect)
                        result = None
                    else:
                        if tx is not None:          # a boundary, or work that must not hold the transaction
                            if not (read_only or isinstance(effect, Transaction)):
                                raise _outside_refused(effect)
                            stack.close()
                            tx = None
                            _announce(published, services)
                        result = None
                        if isinstance(effect, Transaction):
                            read_only = effect.read_only
                        elif isinstance(effect, Compute):
                            result = effect.fn(*effect.args)
                        elif isinstance(effect, Hit | Reset):
                            result = _count_sync(db, services, effect)
                        elif isinstance(effect, Fetch):
                            result = services.fetch(effect)
                except ForumError as err:  # a mapped driver error or a refusal: the operation may handle it
                    xray.note(effect, started)
                    effect = op.throw(err)
                else:
                    xray.note(effect, started)
                    effect = op.send(result)
        except StopIteration as done:
            started = time.perf_counter()
            stack.close()                   # commit the last transaction
            if tx is not None and not read_only:
                xray.note(COMMIT, started)
            _announce(published, services)
            return done.value  # type: ignore[no-any-return]
        except BaseException:
            stack.__exit__(*sys.exc_info())   # roll it back
            raise


async def run_async(db: AsyncDatabase, op: Op[T], services: Services = NO_SERVICES) -> T:
    """The same loop with ``await``: queries on a coroutine driver, CPU work in the loop's executor."""
    if op is NOTHING:
        return None  # type: ignore[return-value]   # NOTHING is an Op[None]
    loop = asyncio.get_running_loop()
    published: list[Publish] = []
    # The open transaction's lease, opened and closed by hand: an AsyncExitStack around it cost a
    # reader page more than the borrowing itself (profiled).
    lease: AsyncLease | None = None
    tx, read_only = None, False
    with keys.using(services.keys) if services.keys else nullcontext():
        try:
            effect = next(op)
            while True:
                started = time.perf_counter()
                try:
                    if isinstance(effect, Send):
                        effect = outbox.enqueue(effect)
                    if isinstance(effect, Query):
                        if tx is None:
                            borrowed = db.transaction(read_only=read_only)
                            tx = await borrowed.open()
                            lease = borrowed   # only once open: a lease that failed to open holds nothing
                        result = await tx.perform(effect)
                    elif isinstance(effect, Publish):
                        published.append(effect)
                        result = None
                    else:
                        if tx is not None:
                            if not (read_only or isinstance(effect, Transaction)):
                                raise _outside_refused(effect)
                            ending, lease, tx = lease, None, None
                            if ending is not None:
                                await ending.close()   # commit
                            for sent in _announce(published, services):
                                await sent
                        result = None
                        if isinstance(effect, Transaction):
                            read_only = effect.read_only
                        elif isinstance(effect, Compute):
                            result = await loop.run_in_executor(None, effect.fn, *effect.args)
                        elif isinstance(effect, Hit | Reset):
                            result = await _count_async(db, services, effect)
                        elif isinstance(effect, Fetch):
                            result = await services.fetch(effect)
                except ForumError as err:
                    xray.note(effect, started)
                    effect = op.throw(err)
                else:
                    xray.note(effect, started)
                    effect = op.send(result)
        except StopIteration as done:
            started = time.perf_counter()
            ending, lease = lease, None
            if ending is not None:
                await ending.close()   # commit the last transaction
            if tx is not None and not read_only:
                xray.note(COMMIT, started)
            for sent in _announce(published, services):
                await sent
            return done.value  # type: ignore[no-any-return]
        except BaseException as error:
            if lease is not None:
                await lease.close(error)   # roll it back
            raise


def _counter_op(rule: Rule, effect: Hit | Reset) -> Op[Any]:
    if isinstance(effect, Reset):
        return ratelimits.reset(rule.name, effect.key)
    return ratelimits.hit(rule.name, rule.limit, rule.window, effect.key, effect.by)


def _count_sync(db: SyncDatabase, services: Services, effect: Hit | Reset) -> Any:
    """A counter effect: in Redis when the app has it, else its own short transaction in the database."""
    rule = services.rules[effect.rule]
    if services.counters is not None:
        return services.counters.perform(rule, effect)
    return run_sync(db, _counter_op(rule, effect), services)


async def _count_async(db: AsyncDatabase, services: Services, effect: Hit | Reset) -> Any:
    rule = services.rules[effect.rule]
    if services.counters is not None:
        return await services.counters.perform(rule, effect)
    return await run_async(db, _counter_op(rule, effect), services)


def _announce(published: list[Publish], services: Services) -> list[Awaitable[None]]:
    """Hand committed ``Publish`` effects to the app's publisher (no publisher: nobody listens); a
    revocation is forgotten in this process first, so its very next request asks the database.
    Returns what the publisher gave back to await (``run_async`` does; never an error, only a wait).

    The write has already succeeded, so a fan-out failure is logged, never raised: the client still
    gets its answer, and the notification is in the list for the next read.
    """
    pending: list[Awaitable[None]] = []
    for event in published:
        if event.close and event.user_id is not None and services.standings is not None:
            services.standings.forget(event.user_id)
        if services.publish is not None:
            try:
                sent = services.publish(event)
            except Exception:
                log.exception("could not publish %s", event)
            else:
                if sent is not None:
                    pending.append(sent)
    published.clear()
    return pending


def run_canned(op: Op[T], results: Iterator[Any] | list[Any],
               published: list[Publish] | None = None) -> tuple[T, list[Effect]]:
    """Run ``op`` against canned results, with no database: for plan tests.

    Returns the operation's value and the effects that were answered (queries, counter hits,
    fetches), in order. A canned result that is an exception is thrown into the operation, as a
    runner does with a mapped driver error. ``Compute`` runs inline; ``Publish`` effects are
    appended to ``published`` when a list is given; ``Send`` is answered 1 (one message queued).
    """
    answers = iter(results)
    published = [] if published is None else published
    seen: list[Effect] = []
    try:
        effect = op.send(None)
        while True:
            if isinstance(effect, Compute):
                effect = op.send(effect.fn(*effect.args))
            elif isinstance(effect, Send):      # one message queued; not a query the test cans
                effect = op.send(1)
            elif isinstance(effect, Publish | Transaction):
                if isinstance(effect, Publish):
                    published.append(effect)
                effect = op.send(None)
            else:
                seen.append(effect)
                result = next(answers)
                effect = op.throw(result) if isinstance(result, BaseException) else op.send(result)
    except StopIteration as done:
        return done.value, seen


__all__ = ["NO_SERVICES", "AsyncDatabase", "AsyncLease", "Publisher", "Services", "SyncDatabase", "run_async",
           "run_canned", "run_sync"]
