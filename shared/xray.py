"""Watch a request travel: where each request's time went, and (with ``FORUM_DEBUG``) every effect it ran.

Every answer of both apps carries a ``Server-Timing`` header, the standard one that the browsers'
developer tools show in a request's "Timing" tab::

    Server-Timing: db;dur=0.84;desc="database", wait;dur=0.00;desc="waiting for a connection",
                   compute;dur=0.00;desc="Compute (CPU work)", total;dur=2.10;desc="total"

The times are measured where they happen. The runners (:mod:`shared.storage.runners`) see every effect
an operation yields and :func:`note` each one with its time; the pools
(:mod:`shared.storage.drivers.pools`) say how long a borrower queued for a connection
(:func:`waited`). Both find the request's :class:`Trace` in a context variable, which each app sets
when a request comes in (:func:`begin`: Tornado in ``ForumApplication.find_handler``, Flask in the
``ServerTiming`` WSGI middleware), so no operation, handler or view passes anything along.

With ``FORUM_DEBUG`` on (never in production: the settings refuse it), a trace also keeps each effect
in order, and each process keeps its last :data:`KEPT` traces for the X-ray pages
(``/debug/requests``): each query with its time (its SQL text, never its parameters), each hop to the
executor, each publish, counter hit and fetch. Send the same request, with the same ``X-Request-Id``,
to a Tornado and a Flask flavour and open ``/debug/requests/<that id>`` on both, side by side: the
same effects in the same order, and only the waiting differs.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from shared.storage.effects import Compute, Fetch, Hit, Publish, Query, Reset, Transaction

KEPT = 100   # traces each process keeps for the X-ray pages (debug only)
NOT_KEPT = ("/debug/", "/static/")   # the X-ray pages and the stylesheet would only crowd the list
# A client may name its request (X-Request-Id) to find it on both flavours; only short plain names.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# How each app drives the same operations (shown on the X-ray page).
RUNNERS = {
    "tornado": "Tornado: run_async awaits each query on aiomysql/aiosqlite and sends Compute to the executor",
    "flask": "Flask: run_sync blocks this thread on each query (PyMySQL/sqlite3) and runs Compute inline",
}
METRICS = (("db", "database"), ("wait", "waiting for a connection"), ("compute", "Compute (CPU work)"))


@dataclass
class Step:
    """One effect as it ran: its name, what it did, when it began and how long it took (ms)."""

    kind: str
    detail: str
    at: float
    ms: float
    waited: float = 0.0   # of which queued for a pooled connection


@dataclass
class Trace:
    """One request: its time in the database, queued for a connection and in Compute (seconds)."""

    id: str
    method: str
    path: str
    flavour: str
    steps: list[Step] | None = None   # None: not kept (debug off)
    started: float = field(default_factory=time.perf_counter)
    begun: float = field(default_factory=time.time)   # wall clock, for ``when``
    db: float = 0.0
    wait: float = 0.0
    compute: float = 0.0
    total: float = 0.0
    status: int = 0
    queued: float = 0.0   # pool waits not yet counted out of a step's own time

    def note(self, effect: Any, started: float, seconds: float) -> None:
        waited, self.queued = self.queued, 0.0
        own = seconds - waited
        if isinstance(effect, Query | Transaction):
            self.db += own
        elif isinstance(effect, Compute):
            self.compute += own
        if self.steps is not None:
            self.steps.append(Step(type(effect).__name__, describe(effect), 1000 * (started - self.started),
                                   1000 * own, 1000 * waited))

    @property
    def when(self) -> str:
        """The local time it began (formatted only for the X-ray pages, not for every request)."""
        return time.strftime("%H:%M:%S", time.localtime(self.begun))

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


_current: ContextVar[Trace | None] = ContextVar("forum_trace", default=None)
_kept: deque[Trace] = deque(maxlen=KEPT)


def request_id(sent: str | None) -> str:
    """The client's ``X-Request-Id`` when it is short and plain, else a new random one."""
    return sent if sent and _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex[:16]


def begin(method: str, path: str, request_id: str, flavour: str, debug: bool) -> Trace:
    """Start the current request's trace (it keeps each effect only when ``debug``)."""
    trace = Trace(request_id, method, path, flavour, [] if debug else None)
    _current.set(trace)
    return trace


def current() -> Trace | None:
    return _current.get()


def end() -> None:
    """The request is over: a thread that serves the next one must not note into this one."""
    _current.set(None)


def note(effect: Any, started: float) -> None:
    """A runner performed ``effect``, which began at ``started`` (``time.perf_counter()``)."""
    trace = _current.get()
    if trace is not None:
        trace.note(effect, started, time.perf_counter() - started)


def waited(seconds: float) -> None:
    """A pool made the current request queue ``seconds`` for a connection."""
    trace = _current.get()
    if trace is not None:
        trace.wait += seconds
        trace.queued += seconds


def server_timing(trace: Trace) -> str:
    """The ``Server-Timing`` header value: database, connection wait, Compute and total, in ms."""
    values = {"db": trace.db, "wait": trace.wait, "compute": trace.compute}
    parts = [f'{name};dur={1000 * values[name]:.2f};desc="{desc}"' for name, desc in METRICS]
    return ", ".join([*parts, f'total;dur={1000 * trace.elapsed():.2f};desc="total"'])


def finish(trace: Trace, status: int) -> None:
    """The answer is out: keep the trace for the X-ray pages (debug only)."""
    trace.status = status
    trace.total = trace.elapsed()
    if trace.steps is not None and not trace.path.startswith(NOT_KEPT):
        _kept.appendleft(trace)


def describe(effect: Any) -> str:
    """What an effect did, for the X-ray page: SQL text without its parameters, never a key or token."""
    if isinstance(effect, Query):
        sql = " ".join(effect.sql.split())
        return f"{sql}  [{len(effect.params)} rows]" if effect.many else sql
    if isinstance(effect, Transaction):
        return "begin a read-only stretch (no transaction)" if effect.read_only else "commit"
    if isinstance(effect, Compute):
        return getattr(effect.fn, "__qualname__", repr(effect.fn))
    if isinstance(effect, Hit | Reset):
        return f"counter {effect.rule}"
    if isinstance(effect, Fetch):
        return f"GET {effect.target.scheme}://{effect.target.host}:{effect.target.port}"
    if isinstance(effect, Publish):
        return f"to user {effect.user_id}'s sockets, after the commit"
    return ""


# -- what the X-ray pages show (formatted here once, so both template sets print the same strings) --

def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f}"


def summary(trace: Trace) -> dict[str, Any]:
    return {"id": trace.id, "when": trace.when, "method": trace.method, "path": trace.path,
            "status": trace.status, "db": _ms(trace.db), "wait": _ms(trace.wait), "compute": _ms(trace.compute),
            "total": _ms(trace.total), "effects": len(trace.steps or []), "runner": RUNNERS[trace.flavour]}


def recent() -> list[dict[str, Any]]:
    """This process's kept requests, newest first."""
    return [summary(trace) for trace in list(_kept)]


def details(request_id: str) -> dict[str, Any] | None:
    """The newest kept request with this id and its effects in order, or None."""
    for trace in list(_kept):
        if trace.id == request_id:
            steps = [{"number": number, "kind": s.kind, "detail": s.detail, "at": f"{s.at:.2f}", "ms": f"{s.ms:.2f}",
                      "waited": f"{s.waited:.2f}" if s.waited else ""}
                     for number, s in enumerate(sorted(trace.steps or [], key=lambda s: s.at), 1)]
            return {**summary(trace), "steps": steps}
    return None
