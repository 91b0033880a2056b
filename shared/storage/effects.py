"""The effects an operation may yield, and nothing else.

A forum operation is a short chain of round trips: read, decide, write. We write it once as a
generator that *yields* each effect and is sent back its result. A blocking runner
(:func:`shared.storage.runners.run_sync`) and a coroutine runner (:func:`run_async`) drive the same
generator, so the rules and the SQL exist exactly once. This is how psycopg drives its protocol
with one set of generators and two waiting strategies.

    def rename(user_id: int, nickname: str) -> Op[int]:
        n = yield Query("UPDATE users SET nickname = %s WHERE id = %s", (nickname, user_id), "rowcount")
        return n

A forgotten ``yield`` makes the query silently do nothing: the tests run every operation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeAlias, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

Returns = Literal["rows", "row", "value", "rowcount", "lastrowid"]


@dataclass(frozen=True, slots=True)
class Query:
    """One SQL statement, always with bound parameters.

    ``sql`` uses ``%s`` placeholders (the adapters translate them for SQLite); ``returns`` says what
    the operation is sent back: all rows as dicts, one row or None, the first column of the first row
    or None, the affected row count, or the new row's id. With ``many=True`` ``params`` is a sequence
    of parameter tuples (``executemany``) and the result is the row count.
    """

    sql: str
    params: Sequence[Any] = ()
    returns: Returns = "rows"
    many: bool = False


@dataclass(frozen=True, slots=True)
class Compute:
    """CPU-heavy work (argon2) the runner must keep off the event loop.

    The blocking runner calls ``fn(*args)`` inline; the coroutine runner sends it to an executor.
    """

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Publish:
    """Tell ``user_id``'s open WebSockets that their notifications changed, once the transaction commits.

    ``notification_id`` names a new notification to push; None means only the unread count moved
    (some were marked read). The runner collects these and hands them to its ``publish`` callback
    after the commit, so nobody is told about a notification that was rolled back.
    """

    user_id: int
    notification_id: int | None = None


class _ReadOnly:
    """Marker yielded first by a read-only operation (see :func:`read_only`)."""

    def __repr__(self) -> str:
        return "READ_ONLY"


READ_ONLY = _ReadOnly()

Effect: TypeAlias = Query | Compute | Publish | _ReadOnly
Op: TypeAlias = Generator[Effect, Any, T]


def read_only(fn: Callable[P, Op[T]]) -> Callable[P, Op[T]]:
    """Mark an operation that never writes.

    The runner then opens no transaction at all: each SELECT runs on its own in autocommit (one round
    trip instead of three for a one-query read such as authentication), and readers never queue
    behind SQLite's one writer. The price: several SELECTs of one read-only operation do not share a
    snapshot, so a read-only operation must not depend on one (none does; see the drivers' notes).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Op[T]:
        yield READ_ONLY
        return (yield from fn(*args, **kwargs))

    return wrapper
