"""The effects an operation may yield, and nothing else: the one language every rule is written in.

A forum operation is a short chain of round trips: read, decide, write. We write it once as a
generator that *yields* each effect and is sent back its result. A blocking runner
(:func:`shared.storage.runners.run_sync`) and a coroutine runner (:func:`run_async`) drive the same
generator, so the rules and the SQL exist exactly once. This is how psycopg drives its protocol
with one set of generators and two waiting strategies.

    def rename(user_id: int, nickname: str) -> Op[int]:
        n = yield Query("UPDATE users SET nickname = %s WHERE id = %s", (nickname, user_id), "rowcount")
        return n

The vocabulary:

===================  ==========================================================  ==================
effect               what the runner does                                        sent back
===================  ==========================================================  ==================
``Query``            one SQL round trip, inside the current transaction           rows, row, value...
``Transaction``      commits what came before; what follows runs in a new one     None
``Compute``          CPU work (argon2, Pillow, Markdown): in an executor          its return value
``Hit`` / ``Reset``  a rate-limit counter, counted first and atomically           :class:`Count`
``Fetch``            one outbound HTTP GET to a vetted address                    :class:`Reply`
``Publish``          after the commit, to the sockets of a user or a thread       None
``Send``             one e-mail, into the ``outbox`` table in this transaction    None
===================  ==========================================================  ==================

Only ``Query``, ``Publish`` and ``Send`` belong inside a transaction. ``Compute``, ``Hit``/``Reset`` and
``Fetch`` never run while a writing transaction is open (the runner refuses: that would hold
SQLite's only write lock, or a pooled connection, for as long as a hash or a network call takes);
an operation that needs one after writing ends its transaction first with ``yield Transaction()``.
A read-only stretch holds no transaction, so the runner just gives its connection back first.

A forgotten ``yield`` makes the query silently do nothing: the tests run every operation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeAlias, TypeVar
from urllib.parse import urlsplit

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

    ``bounded=True``: a SELECT that may run at most ``search_timeout`` seconds, after which the server
    itself stops it (MariaDB ``max_statement_time``, MySQL ``MAX_EXECUTION_TIME``) and the operation
    is thrown :class:`~shared.errors.TimedOut`; the connection stays fit for the pool. For a statement
    whose cost the user's input decides (search words) and no SQL shape bounds. SQLite runs it unbounded.
    """

    sql: str
    params: Sequence[Any] = ()
    returns: Returns = "rows"
    many: bool = False
    bounded: bool = False


@dataclass(frozen=True, slots=True)
class Transaction:
    """A boundary: commit what came before; the queries that follow run in a new transaction.

    ``read_only=True`` opens none at all: each SELECT runs on its own in autocommit (one round trip
    instead of three for a one-query read), readers never queue behind SQLite's one writer, and
    CPU work may follow without holding anything. The transaction itself is opened lazily, by the
    first ``Query`` after the boundary, so ``Compute`` steps before it hold no connection.
    """

    read_only: bool = False


@dataclass(frozen=True, slots=True)
class Compute:
    """CPU-heavy work (argon2, Pillow, Markdown) the runner must keep off the event loop.

    The blocking runner calls ``fn(*args)`` inline; the coroutine runner sends it to an executor.
    """

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """Count ``by`` against ``rule``'s counter for ``key`` (a window starts with the first hit).

    Counted *first*, atomically, then decided: fifty simultaneous attempts get fifty different counts,
    so at most ``limit`` of them are let through. ``by=-1`` gives one back (a login that succeeded
    does not count against its address). The rule's limit and window are settings, looked up by name.
    """

    rule: str
    key: str
    by: int = 1


@dataclass(frozen=True, slots=True)
class Reset:
    """Forget ``rule``'s counter for ``key`` (a right password clears that account's failures)."""

    rule: str
    key: str


@dataclass(frozen=True, slots=True)
class Count:
    """What a :class:`Hit` is sent back: the count in the current window and the rule's limit."""

    count: int
    limit: int
    retry_after: int     # seconds left in the window

    @property
    def over(self) -> bool:
        return self.count > self.limit


@dataclass(frozen=True, slots=True)
class Target:
    """Where an outbound request goes: the URL, and its scheme, host and port once parsed."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def path(self) -> str:
        """What goes on the request line: path and query, never the fragment."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class Fetch:
    """One outbound GET; the runner's fetcher resolves and vets the host, then connects to that address.

    ``timeout`` is what is left of the whole operation's time for it.
    """

    target: Target
    timeout: float


@dataclass(frozen=True, slots=True)
class Reply:
    """What a :class:`Fetch` is sent back."""

    status: int
    headers: Mapping[str, str]   # lower-case names
    body: bytes                  # at most the fetcher's byte limit


@dataclass(frozen=True, slots=True)
class Publish:
    """Tell the open sockets that something changed, once the transaction commits. Three kinds:

    - ``Publish(user_id, notification_id)``: ``user_id``'s notifications changed. ``notification_id``
      names a new one to push; None means only the unread count moved (some were marked read). The
      side holding the socket reads the notification itself, so it sends what the database says.
    - ``Publish(topic="post:12", message={...})``: a new item in a thread, for every socket watching
      ``topic``. The message is sent as it is (one shape for thousands of watchers, no reads).
    - ``Publish(user_id, close=True)``: close that user's sockets (a ban, a logout everywhere).

    The runner collects these and hands them to its ``publish`` callback after the commit, so nobody
    is told about anything that was rolled back.
    """

    user_id: int | None = None
    notification_id: int | None = None
    topic: str | None = None
    message: Mapping[str, Any] | None = None
    close: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    """One e-mail: the runner writes it to the ``outbox`` table inside the current transaction.

    So a message exists exactly when the change that caused it committed; the sender
    (:mod:`shared.mail`) delivers it later, with retries. ``template`` names its wording in
    :mod:`shared.emails` and ``params`` fill it (JSON values). The recipient is ``to`` when given
    (a new address being verified), else ``user_id``'s address, and then only when it is verified;
    ``notification=True`` also asks that the user wants notification e-mail one at a time.
    """

    template: str
    params: Mapping[str, Any]
    user_id: int
    to: str | None = None
    notification: bool = False


READ_ONLY = Transaction(read_only=True)

Effect: TypeAlias = Query | Transaction | Compute | Hit | Reset | Fetch | Publish | Send
Op: TypeAlias = Generator[Effect, Any, T]


def _nothing() -> Op[None]:
    yield from ()


# The operation with nothing to do, such as the throttle of a route no rule applies to (every read).
# A runner given it returns None at once, lending no keys and opening nothing, so a request that needs
# no operation runs none. It is run to its end here, once: ``yield from NOTHING`` inside another
# operation then simply goes on, from any thread.
NOTHING: Op[None] = _nothing()
next(NOTHING, None)


def read_only(fn: Callable[P, Op[T]]) -> Callable[P, Op[T]]:
    """Mark an operation that never writes: it starts with ``yield Transaction(read_only=True)``.

    The price of no transaction: several SELECTs of one read-only operation do not share a snapshot,
    so a read-only operation must not depend on one (none does; see the drivers' notes).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Op[T]:
        yield READ_ONLY
        return (yield from fn(*args, **kwargs))

    return wrapper
