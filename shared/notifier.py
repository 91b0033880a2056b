"""The fan-out behind ``/ws/notifications``: from the transaction that made a notification to the sockets.

An operation yields ``Publish(user_id, notification_id)``; after the commit the runner hands it to a
publisher (``run_sync(db, op, publish=...)`` / ``run_async(..., publish=...)``). Where it goes next
depends on where the recipient's WebSocket may be:

- one process holds every socket (``forum serve tornado`` with one process, ``wsgi-container``):
  the :class:`Hub` hands the event straight to that user's subscribers on the event loop (Flask
  views run on executor threads, so the hand-over is ``loop.call_soon_threadsafe``);
- several processes (Tornado ``--processes N``, gunicorn and uWSGI workers, the notifier process):
  with ``settings.redis_url`` every publisher sends the event to one Redis pub/sub channel and every
  :class:`Hub` listens to it, so a like served by a gunicorn worker reaches a socket held by the
  Tornado notifier. Flask workers that hold no sockets publish with :class:`RedisPublisher`.

The message is small on purpose (``{"user_id": 7, "notification_id": 42}``): the side holding the
socket reads the notification and a fresh unread count itself, so what it sends is always what the
database says. Framework-free, like the rest of ``shared/``: the Tornado handler is a ``Subscriber``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from typing import Any, Protocol

from shared.config import Settings
from shared.storage.effects import Publish

log = logging.getLogger("forum.notifier")

RECONNECT_SECONDS = 1.0


def channel(settings: Settings) -> str:
    """The Redis channel of one forum: named after its database, so two forums (or two test runs)
    sharing a Redis never hear each other's user ids."""
    return "forum:notifications:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]


def encode(event: Publish) -> str:
    return json.dumps({"user_id": event.user_id, "notification_id": event.notification_id})


def decode(raw: bytes | str) -> Publish | None:
    """The event in a Redis message; None (and a log line) for anything else on the channel."""
    try:
        data = json.loads(raw)
        notification_id = data["notification_id"]
        if type(data["user_id"]) is not int or not (notification_id is None or type(notification_id) is int):
            raise TypeError("ids must be integers")
        return Publish(data["user_id"], notification_id)
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("ignoring a malformed notification message: %s", exc)
        return None


class Subscriber(Protocol):
    """One open WebSocket: told about its user's events, closed when the process stops."""

    def notify(self, event: Publish) -> None: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Hub:
    """The sockets of this process by user, and the way events reach them (directly, or via Redis).

    Lives on one event loop; :meth:`publish` is the one method other threads may call.
    """

    def __init__(self, settings: Settings) -> None:
        self.redis_url = settings.redis_url
        self.channel = channel(settings)
        self.subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._sending: set[asyncio.Task[Any]] = set()   # publishes in flight (a task needs a reference)

    async def start(self) -> None:
        """Bind to the running loop and, with Redis, listen to the channel before the server announces
        itself (so an event published right after start-up is not missed)."""
        self.loop = asyncio.get_running_loop()
        if not self.redis_url:
            return
        import redis.asyncio

        # No socket timeout: a subscriber connection is idle for as long as nobody is notified.
        self._redis = redis.asyncio.Redis.from_url(self.redis_url, socket_connect_timeout=2)
        self._listener = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        except TimeoutError:
            log.warning("Redis at %s does not answer yet; notifications will arrive once it does", self.redis_url)

    async def _listen(self) -> None:
        """Deliver every event on the channel to this process's sockets; reconnect when Redis goes away."""
        import redis

        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message" and (event := decode(message["data"])):
                            self.deliver(event)
            except (redis.RedisError, OSError) as exc:
                log.warning("lost the notification channel (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_SECONDS)

    def subscribe(self, user_id: int, subscriber: Subscriber) -> None:
        self.subscribers[user_id].add(subscriber)

    def unsubscribe(self, user_id: int, subscriber: Subscriber) -> None:
        sockets = self.subscribers.get(user_id)
        if sockets is not None:
            sockets.discard(subscriber)
            if not sockets:
                del self.subscribers[user_id]

    def deliver(self, event: Publish) -> None:
        """Tell this process's sockets of ``event.user_id`` (on the loop)."""
        for subscriber in list(self.subscribers.get(event.user_id, ())):
            subscriber.notify(event)

    def publish(self, event: Publish) -> None:
        """The runners' publisher: safe from the loop and from executor threads alike.

        Before :meth:`start` (an app under test) there is no loop to hand over to: the caller is on it.
        """
        if self.loop is None:
            self._publish(event)
        else:
            self.loop.call_soon_threadsafe(self._publish, event)

    def _publish(self, event: Publish) -> None:
        if self._redis is None:
            self.deliver(event)
            return
        task = asyncio.create_task(self._send(event))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, event: Publish) -> None:
        import redis

        try:
            await self._redis.publish(self.channel, encode(event))
        except (redis.RedisError, OSError) as exc:
            log.warning("could not publish a notification to Redis: %s", exc)

    def close_sockets(self, code: int = 1001, reason: str = "server shutting down") -> int:
        """Close every socket (1001 "going away" on a graceful stop); returns how many there were."""
        sockets = [s for group in self.subscribers.values() for s in group]
        for subscriber in sockets:
            subscriber.close(code, reason)
        return len(sockets)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        if self._sending:
            await asyncio.wait(self._sending, timeout=2)
        if self._redis is not None:
            await self._redis.aclose()


class RedisPublisher:
    """The publisher of Flask workers that hold no sockets (gunicorn, uWSGI): one PUBLISH per event."""

    def __init__(self, settings: Settings) -> None:
        import redis

        self.channel = channel(settings)
        self._redis = redis.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._error = redis.RedisError

    def __call__(self, event: Publish) -> None:
        try:
            self._redis.publish(self.channel, encode(event))
        except (self._error, OSError) as exc:
            log.warning("could not publish a notification to Redis: %s", exc)


def worker_publisher(settings: Settings) -> RedisPublisher | None:
    """What a Flask worker publishes with: Redis when configured, else nothing (no socket could hear it)."""
    return RedisPublisher(settings) if settings.redis_url else None
