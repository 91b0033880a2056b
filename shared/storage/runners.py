"""The two runners: drive one operation inside one transaction, blocking or as a coroutine.

Both loops are the same; only the waiting differs. The runner owns the transaction, so no
operation can forget to commit, and a failure half-way through leaves nothing written. ``Compute``
effects that come before the first query (hashing a new password, decoding an upload) run before
the transaction opens, so they never hold a connection or SQLite's write lock. ``Publish`` effects
are kept until the transaction has committed and only then handed to the caller's ``publish``
callback (the WebSocket fan-out, :mod:`shared.notifier`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol, TypeVar

from shared.errors import ForumError
from shared.storage.effects import READ_ONLY, Compute, Op, Publish, Query

T = TypeVar("T")
Publisher = Callable[[Publish], None]
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


class AsyncDatabase(Protocol):
    """A coroutine pool (aiomysql, aiosqlite), the same shape as :class:`SyncDatabase`."""

    dialect: str

    def transaction(self, read_only: bool = False) -> AbstractAsyncContextManager[AsyncTransaction]: ...

    async def close(self) -> None: ...


def run_sync(db: SyncDatabase, op: Op[T], publish: Publisher | None = None) -> T:
    """Run ``op`` to completion in one transaction on a blocking driver; then announce its ``Publish`` effects."""
    try:
        effect = next(op)
        read_only = effect is READ_ONLY
        if read_only:
            effect = op.send(None)
        while isinstance(effect, Compute):  # CPU work before the first query holds no transaction
            effect = op.send(effect.fn(*effect.args))
    except StopIteration as done:
        return done.value
    published: list[Publish] = []
    with db.transaction(read_only=read_only) as tx:
        while True:
            try:
                try:
                    if isinstance(effect, Query):
                        result = tx.perform(effect)
                    elif isinstance(effect, Compute):
                        result = effect.fn(*effect.args)
                    else:
                        _keep(effect, published)
                        result = None
                except ForumError as err:  # a mapped driver error: the operation may handle it
                    effect = op.throw(err)
                else:
                    effect = op.send(result)
            except StopIteration as done:
                value: T = done.value
                break
    _announce(published, publish)   # committed: now it is true
    return value


async def run_async(db: AsyncDatabase, op: Op[T], publish: Publisher | None = None) -> T:
    """Run ``op`` to completion in one transaction on a coroutine driver; CPU work goes to an executor."""
    loop = asyncio.get_running_loop()
    try:
        effect = next(op)
        read_only = effect is READ_ONLY
        if read_only:
            effect = op.send(None)
        while isinstance(effect, Compute):
            effect = op.send(await loop.run_in_executor(None, effect.fn, *effect.args))
    except StopIteration as done:
        return done.value
    published: list[Publish] = []
    async with db.transaction(read_only=read_only) as tx:
        while True:
            try:
                try:
                    if isinstance(effect, Query):
                        result = await tx.perform(effect)
                    elif isinstance(effect, Compute):
                        result = await loop.run_in_executor(None, effect.fn, *effect.args)
                    else:
                        _keep(effect, published)
                        result = None
                except ForumError as err:
                    effect = op.throw(err)
                else:
                    effect = op.send(result)
            except StopIteration as done:
                value: T = done.value
                break
    _announce(published, publish)
    return value


def _keep(effect: object, published: list[Publish]) -> None:
    """A ``Publish`` waits for the commit; the operation is sent None for it (and for READ_ONLY)."""
    if isinstance(effect, Publish):
        published.append(effect)


def _announce(published: list[Publish], publish: Publisher | None) -> None:
    """Hand committed ``Publish`` effects to the caller's publisher (no publisher: nobody listens).

    The write has already succeeded, so a fan-out failure is logged, never raised: the client still
    gets its answer, and the notification is in the list for the next read.
    """
    if publish is None:
        return
    for event in published:
        try:
            publish(event)
        except Exception:
            log.exception("could not publish %s", event)


def run_canned(op: Op[T], results: Iterator[Any] | list[Any],
               published: list[Publish] | None = None) -> tuple[T, list[Query]]:
    """Run ``op`` against canned results, with no database: for plan tests.

    Returns the operation's value and the queries it yielded, in order. A canned result that is an
    exception is thrown into the operation, as a runner does with a mapped driver error. ``Publish``
    effects are appended to ``published`` when a list is given.
    """
    answers = iter(results)
    published = [] if published is None else published
    seen: list[Query] = []
    result: Any = None
    try:
        effect = op.send(None)
        while True:
            if isinstance(effect, Compute):
                effect = op.send(effect.fn(*effect.args))
                continue
            if not isinstance(effect, Query):
                _keep(effect, published)
                effect = op.send(None)
                continue
            seen.append(effect)
            result = next(answers)
            effect = op.throw(result) if isinstance(result, BaseException) else op.send(result)
    except StopIteration as done:
        return done.value, seen


__all__ = ["AsyncDatabase", "Publisher", "SyncDatabase", "run_async", "run_canned", "run_sync"]
