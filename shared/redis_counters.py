"""Rate-limit counters in Redis: shared by every process on every host (``settings.redis_url``).

The runner hands each :class:`~shared.storage.effects.Hit` and ``Reset`` to one of these when the app
has Redis, and counts in the database otherwise (``shared.storage.ratelimits``). A fixed window per
key: ``SET key 0 EX window NX`` starts one, ``INCRBY`` counts, ``TTL`` says what is left of it, all
in one MULTI so the count each hit is sent back is its own.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from shared.config import Settings
from shared.ratelimit import Rule
from shared.storage.effects import Count, Hit, Reset

log = logging.getLogger("forum.ratelimit")


def namespace(settings: Settings) -> str:
    """The key prefix of one forum: its database, hashed. Two forums sharing a Redis (or a test run
    after another) never count each other's hits: user 5 of one database is not user 5 of the next."""
    return "forum:rl:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]


def _queue(pipe: Any, prefix: str, rule: Rule, effect: Hit | Reset) -> None:
    """The Redis commands for one counter effect (the same for the blocking and asyncio clients)."""
    key = f"{prefix}:{rule.name}:{effect.key}"
    if isinstance(effect, Reset):
        pipe.delete(key)
    else:
        pipe.set(key, 0, ex=rule.window, nx=True)   # start a window if none runs
        pipe.incrby(key, effect.by)
        pipe.ttl(key)


def _answer(rule: Rule, effect: Hit | Reset, replies: list[Any]) -> Count | None:
    if isinstance(effect, Reset):
        return None
    count, ttl = int(replies[-2] or 0), int(replies[-1])
    return Count(count, rule.limit, ttl if ttl > 0 else rule.window)


def _fail_open(rule: Rule, exc: Exception) -> Count:
    """Redis down: let requests through (logged) rather than answer 500."""
    log.warning("rate limit store unavailable, not limiting: %s", exc)
    return Count(0, rule.limit, 1)


class RedisCounters:
    """Counters in Redis, shared by every process on every host; the blocking client (Flask)."""

    def __init__(self, settings: Settings) -> None:
        import redis

        self.prefix = namespace(settings)
        self._redis = redis.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._error = redis.RedisError

    def perform(self, rule: Rule, effect: Hit | Reset) -> Count | None:
        pipe = self._redis.pipeline(transaction=True)
        _queue(pipe, self.prefix, rule, effect)
        try:
            return _answer(rule, effect, pipe.execute())
        except self._error as exc:
            return _fail_open(rule, exc)

    def close(self) -> None:
        self._redis.close()


class AsyncRedisCounters:
    """The same counters through ``redis.asyncio`` (Tornado)."""

    def __init__(self, settings: Settings) -> None:
        import redis.asyncio

        self.prefix = namespace(settings)
        self._redis = redis.asyncio.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._error = redis.RedisError

    async def perform(self, rule: Rule, effect: Hit | Reset) -> Count | None:
        pipe = self._redis.pipeline(transaction=True)
        _queue(pipe, self.prefix, rule, effect)
        try:
            return _answer(rule, effect, await pipe.execute())
        except self._error as exc:
            return _fail_open(rule, exc)

    async def close(self) -> None:
        await self._redis.aclose()
