"""What each process remembers about who may still use their tokens: revocation without a query per request.

Every authenticated API request must know the user's current ``token_version`` (a password change,
a reset or an erased account bumps it: RELIABILITY 29) and whether a site ban is in force
(RELIABILITY 49). Asking the database every time was a fifth of a simple read's CPU on the event loop,
so each process keeps a small :class:`Standings` cache of ``user_id -> Standing``, owned by the
application like its keys and handed to ``shared.storage.sessions.authenticate`` explicitly.

A cache is only as good as its invalidation. Every operation that changes a standing (a new password,
a reset, an erased account, a site ban or its lift) yields ``Publish(user_id, close=True)``; after the
commit the runner forgets that user in its own process at once, and the publisher carries the event
to every other process (:mod:`shared.notifier`: Redis, or the notifier's Unix socket), whose listener
forgets them too. But the other process applies it a moment after the writer has answered: the
contract suite caught a banned user's token answered once more by another gunicorn worker. RELIABILITY
49 says "at once", so the cache is *trusted* only where no other process can revoke: one process
alone (Tornado with one process and no Redis, ``wsgi-container``, ``flask-dev``). Everywhere else
every request asks the database, as before; the channels still carry the event, so the caches stay
forgotten for the day a delivery is acknowledged by every process before the answer.

Entries also expire (``ttl`` seconds), which bounds any surprise, and a ban's end is kept with the
entry so that an ended ban stops counting on time without any event.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache

from shared import clock

SIZE = 10_000     # users remembered per process (a few hundred bytes each)
TTL = 300.0       # seconds an entry lives, even if no event ever arrives


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
        self._trusted = False
        self._revocations = 0   # moves with every forget and every change of trust

    @property
    def trusted(self) -> bool:
        return self._trusted

    def trust(self, trusted: bool) -> None:
        """Start (or stop) trusting the cache: a channel that reaches this process came up (or went down).

        Either way what was remembered is forgotten: events may have been missed while nobody listened.
        """
        with self._lock:
            self._cache.clear()
            self._trusted = trusted
            self._revocations += 1

    def get(self, user_id: int) -> Standing | None:
        """The remembered standing, or None: not remembered, expired, or the cache is not trusted now."""
        if not self._trusted:
            return None
        with self._lock:
            return self._cache.get(user_id)

    def ticket(self) -> int:
        """Taken before reading a standing from the database, given back to :meth:`remember`."""
        return self._revocations

    def remember(self, user_id: int, standing: Standing, ticket: int) -> None:
        """Keep what the database said, unless a revocation (or a change of trust) came since ``ticket``."""
        with self._lock:
            if self._trusted and ticket == self._revocations:
                self._cache[user_id] = standing

    def forget(self, user_id: int) -> None:
        """A revocation: the user's next request asks the database again."""
        with self._lock:
            self._cache.pop(user_id, None)
            self._revocations += 1
