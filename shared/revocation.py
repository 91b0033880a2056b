"""What each process remembers about who may still use their tokens: revocation without a query per request.

Every authenticated API request must know the user's current ``token_version`` (a password change,
a reset or an erased account bumps it: RELIABILITY 29) and whether a site ban is in force
(RELIABILITY 49). Asking the database every time was a fifth of a simple read's CPU on the event loop,
so each process keeps a small :class:`Standings` cache of ``user_id -> Standing``, owned by the
application like its keys and handed to ``shared.storage.sessions.authenticate`` explicitly.

A cache is only as good as its invalidation. Every operation that changes a standing (a new password,
a reset, an erased account, a site ban or its lift) yields ``Publish(user_id, close=True)``; after the
commit the runner forgets that user in its own process, then hands the revocation to the publisher,
and **the operation does not return (so its request does not answer) until every process that trusts
its cache has forgotten the user, or** :data:`LEASE` **seconds have passed** (:mod:`shared.notifier`):

- with Redis, ``PUBLISH`` says how many subscribers got the message; each one forgets, then pushes an
  acknowledgement onto a list the message names, and the writer pops that many (``BLPOP``);
- without Redis, gunicorn and uWSGI workers beside the notifier: the notifier relays the revocation to
  a listener thread in every worker, each acknowledges once it has forgotten, and the notifier answers
  the worker that sent it once all have;
- one process alone without Redis (Tornado with one process, ``wsgi-container``, ``flask-dev``): the
  runner's own forgetting is all there is to do, and the cache is trusted for good.

A listener that hangs (a stopped process, a stalled thread, a loop too busy to read) cannot
acknowledge, and cannot be made to forget. So trust is a **lease**: a listener pings its channel every
``LEASE / 4`` seconds (Redis ``PING`` on its subscription; a ping line to the notifier), and each
answer, which the channel delivers *after* every message sent before it, renews the cache's trust
until ``LEASE`` seconds after that ping was sent. A process whose listener missed a revocation has had
no answer to a ping that the channel took after the revocation, so its trust ends within ``LEASE``
seconds of the moment the channel took the revocation. The writer starts its ``LEASE`` of waiting only
after that moment (once ``PUBLISH`` has returned; the notifier counts from its relay), so when it
answers, having waited in vain, that process has stopped trusting, and asks the database on every
request until its listener catches up (it applies the revocation before the next answer to a ping).
A listener that loses its channel forgets everything and trusts nothing until it is back (messages
sent meanwhile are lost). Where no channel reaches every process (Tornado ``--processes N`` without Redis, a gunicorn
started without the launcher's notifier), nothing is trusted and every request asks the database.

What this does not cover: a writer that cannot hand the revocation to the channel, or gets no answer
from it in time (Redis or the notifier unreachable from it, or stalled, while the others still reach
it), answers after logging it, and the other processes forget the user when the entry expires
(``TTL``). Entries expire anyway, which bounds any such surprise, and a ban's end is kept with the
entry so that an ended ban stops counting on time without any event.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache

from shared import clock

SIZE = 10_000     # users remembered per process (a few hundred bytes each)
TTL = 300.0       # seconds an entry lives, even if no event ever arrives
# Seconds one answer to a listener's ping keeps the cache trusted, and the longest a writer waits for
# every process to acknowledge a revocation: the same number, so that a process which did not
# acknowledge has stopped trusting by the time the writer answers (see above).
LEASE = 2.0


@dataclass(frozen=True, slots=True)
class Standing:
    """A user's credentials as the database last said: the token version, and a site ban in force."""

    token_version: int
    banned: bool = False
    banned_until: datetime | None = None   # naive UTC; None with ``banned``: no end

    def admits(self, version: int) -> bool:
        """Whether a token of ``version`` still works: the current version, and no ban in force now."""
        if version != self.token_version:
            return False
        return not self.banned or (self.banned_until is not None and self.banned_until <= clock.now())


class Standings:
    """One process's cache of standings: bounded, expiring, and trusted only while revocations reach it.

    Thread-safe (Flask's gthread and uWSGI threads, the listener thread of a worker). A lookup that
    misses asks the database; what it read is kept only if no revocation arrived meanwhile
    (:meth:`ticket`), so a read that raced with a password change is never remembered.
    """

    def __init__(self, size: int = SIZE, ttl: float = TTL) -> None:
        self._cache: TTLCache[int, Standing] = TTLCache(size, ttl)
        self._lock = threading.Lock()
        self._trusted_until = 0.0   # on time.monotonic(); math.inf in a process alone
        self._revocations = 0       # moves with every forget and every loss of trust

    @property
    def trusted(self) -> bool:
        return time.monotonic() < self._trusted_until

    def trust(self, until: float = math.inf) -> None:
        """Trust what is remembered until ``until`` (``time.monotonic()``): a listener's lease, renewed by
        each answer to its pings; for good in a process alone. Never shortens an earlier lease.

        When trust begins (again), a read begun before is not remembered: it may predate a revocation
        sent while no listener was subscribed."""
        with self._lock:
            if time.monotonic() >= self._trusted_until:
                self._revocations += 1
            self._trusted_until = max(self._trusted_until, until)

    def distrust(self) -> None:
        """The channel went away: forget everything (events sent meanwhile are lost) and trust nothing
        until a new lease (:meth:`trust`)."""
        with self._lock:
            self._cache.clear()
            self._trusted_until = 0.0
            self._revocations += 1

    def get(self, user_id: int) -> Standing | None:
        """The remembered standing, or None: not remembered, expired, or the cache is not trusted now."""
        if not self.trusted:
            return None
        with self._lock:
            return self._cache.get(user_id)

    def ticket(self) -> int:
        """Taken before reading a standing from the database, given back to :meth:`remember`."""
        return self._revocations

    def remember(self, user_id: int, standing: Standing, ticket: int) -> None:
        """Keep what the database said, unless a revocation (or a loss of trust) came since ``ticket``."""
        with self._lock:
            if self.trusted and ticket == self._revocations:
                self._cache[user_id] = standing

    def forget(self, user_id: int) -> None:
        """A revocation: the user's next request asks the database again."""
        with self._lock:
            self._cache.pop(user_id, None)
            self._revocations += 1
