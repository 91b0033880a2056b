"""Rate limits, written once: the rules, the decisions, and two ways to count (one process or Redis).

The same trick as ``shared.storage``: a limit check is a small generator that *yields* counter
commands (:class:`Peek`, :class:`Hit`, :class:`Reset`) and decides from what it is sent back. A
blocking runner (:func:`run_sync`, Flask) and a coroutine runner (:func:`run_async`, Tornado) drive
the same generator against a store: :class:`MemoryStore` for one process, or Redis when
``settings.redis_url`` is set, so every process and both flavours share one count.

Counting is a fixed window per key: the first hit starts a window of ``rule.window`` seconds and
``Retry-After`` is what is left of it. Simple, cheap, and good enough to stop guessing passwords.

    limit = make_async_limiter(settings)
    await limit.run(check_login(login, address))     # 429 if already over
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from shared.config import Settings
from shared.errors import TooManyRequests

log = logging.getLogger("forum.ratelimit")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int       # this many in one window is allowed; one more is refused
    window: int      # seconds
    per: Literal["address", "user", "login"]


LOGIN_PER_LOGIN = Rule("login", 5, 15 * 60, "login")           # failures for one username/email
LOGIN_PER_ADDRESS = Rule("login-address", 20, 15 * 60, "address")  # failures from one client address
GUESTBOOK = Rule("guestbook", 5, 60, "address")
POSTING = Rule("posting", 30, 60, "user")

# Which write routes (method, path as in shared.routes) a throttle applies to.
ROUTE_RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/guestbook"): GUESTBOOK,
    ("POST", "/groups/{group_id}/posts"): POSTING,
    ("POST", "/posts/{post_id}/comments"): POSTING,
    ("POST", "/questions"): POSTING,
    ("POST", "/questions/{question_id}/answers"): POSTING,
}


# -- the commands a limit check yields -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Peek:
    """Read a counter without moving it: sent back ``(count, seconds_left)``."""

    key: str
    window: int


@dataclass(frozen=True, slots=True)
class Hit:
    """Add one to a counter (starting a window if none runs): sent back ``(count, seconds_left)``."""

    key: str
    window: int


@dataclass(frozen=True, slots=True)
class Reset:
    key: str


Command: TypeAlias = Peek | Hit | Reset
Check: TypeAlias = Generator[Command, Any, None]


def _key(rule: Rule, who: str) -> str:
    return f"forum:rl:{rule.name}:{who}"


def _login_keys(login: str, address: str) -> list[tuple[Rule, str]]:
    return [(LOGIN_PER_LOGIN, login.strip().lower()), (LOGIN_PER_ADDRESS, address)]


def check_login(login: str, address: str) -> Check:
    """Before checking a password: 429 if this login or this address already failed too often."""
    for rule, who in _login_keys(login, address):
        count, left = yield Peek(_key(rule, who), rule.window)
        if count >= rule.limit:
            raise TooManyRequests(left)


def login_failed(login: str, address: str) -> Check:
    """Count one failure against both the login and the address."""
    for rule, who in _login_keys(login, address):
        yield Hit(_key(rule, who), rule.window)


def login_succeeded(login: str) -> Check:
    """A right password clears that login's failures (the address keeps its count)."""
    yield Reset(_key(LOGIN_PER_LOGIN, login.strip().lower()))


def throttle(rule: Rule, who: str) -> Check:
    """Count one request; 429 once more than ``rule.limit`` arrive in one window."""
    count, left = yield Hit(_key(rule, who), rule.window)
    if count > rule.limit:
        raise TooManyRequests(left)


def throttle_route(method: str, path: str, user_id: int | None, address: str) -> Check:
    """The throttle for one request to a route of ``shared.routes``, if any applies."""
    rule = ROUTE_RULES.get((method, path))
    if rule is not None:
        who = str(user_id) if rule.per == "user" and user_id is not None else address
        yield from throttle(rule, who)


# -- stores ----------------------------------------------------------------------------------------

class MemoryStore:
    """Counters for one process (a lock, because Flask may serve from threads)."""

    MAX_KEYS = 100_000   # bounded memory: expired windows are swept when the table grows this big

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}   # key -> (count, window ends at)
        self._lock = threading.Lock()

    def perform(self, command: Command) -> Any:
        now = time.monotonic()
        with self._lock:
            if isinstance(command, Reset):
                self._counts.pop(command.key, None)
                return None
            count, ends = self._counts.get(command.key, (0, now + command.window))
            if ends <= now:
                count, ends = 0, now + command.window
            if isinstance(command, Hit):
                count += 1
                if len(self._counts) >= self.MAX_KEYS:
                    self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                self._counts[command.key] = (count, ends)
            return count, max(1, int(ends - now + 0.999))


def _queue(pipe: Any, command: Command) -> None:
    """The Redis commands for one counter command (the same for the blocking and asyncio clients)."""
    if isinstance(command, Reset):
        pipe.delete(command.key)
    elif isinstance(command, Peek):
        pipe.get(command.key)
        pipe.ttl(command.key)
    else:
        pipe.set(command.key, 0, ex=command.window, nx=True)   # start a window if none runs
        pipe.incr(command.key)
        pipe.ttl(command.key)


def _answer(command: Command, replies: list[Any]) -> Any:
    if isinstance(command, Reset):
        return None
    count, ttl = int(replies[-2] or 0), int(replies[-1])
    return count, ttl if ttl > 0 else command.window


_FAIL_OPEN: Any = (0, 1)   # Redis down: let requests through (logged) rather than answer 500


class RedisStore:
    """Counters in Redis, shared by every process; for the blocking client (Flask)."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._error = redis.RedisError

    def perform(self, command: Command) -> Any:
        pipe = self._redis.pipeline(transaction=True)
        _queue(pipe, command)
        try:
            return _answer(command, pipe.execute())
        except self._error as exc:
            log.warning("rate limit store unavailable, not limiting: %s", exc)
            return _FAIL_OPEN

    def close(self) -> None:
        self._redis.close()


class AsyncRedisStore:
    """The same counters through ``redis.asyncio`` (Tornado)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._error = redis.RedisError

    async def perform(self, command: Command) -> Any:
        pipe = self._redis.pipeline(transaction=True)
        _queue(pipe, command)
        try:
            return _answer(command, await pipe.execute())
        except self._error as exc:
            log.warning("rate limit store unavailable, not limiting: %s", exc)
            return _FAIL_OPEN

    async def close(self) -> None:
        await self._redis.aclose()


class AsyncMemoryStore(MemoryStore):
    """The in-process counters behind the coroutine interface (no I/O, so no waiting)."""

    async def perform(self, command: Command) -> Any:  # type: ignore[override]
        return super().perform(command)

    async def close(self) -> None:
        return None


# -- runners ---------------------------------------------------------------------------------------

class Limiter:
    """Drives limit checks against a blocking store."""

    def __init__(self, store: MemoryStore | RedisStore) -> None:
        self.store = store

    def run(self, check: Check) -> None:
        """Run one check; raises :class:`TooManyRequests` (429 with Retry-After) when over."""
        try:
            command = next(check)
            while True:
                command = check.send(self.store.perform(command))
        except StopIteration:
            return


class AsyncLimiter:
    """The same loop with ``await`` (Tornado)."""

    def __init__(self, store: AsyncMemoryStore | AsyncRedisStore) -> None:
        self.store = store

    async def run(self, check: Check) -> None:
        try:
            command = next(check)
            while True:
                command = check.send(await self.store.perform(command))
        except StopIteration:
            return


def make_limiter(settings: Settings) -> Limiter:
    """Redis when ``redis_url`` is set (counts shared by all processes), else this process's memory."""
    return Limiter(RedisStore(settings.redis_url) if settings.redis_url else MemoryStore())


def make_async_limiter(settings: Settings) -> AsyncLimiter:
    return AsyncLimiter(AsyncRedisStore(settings.redis_url) if settings.redis_url else AsyncMemoryStore())
