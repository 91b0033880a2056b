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
  Tornado notifier. Flask workers that hold no sockets publish with :class:`RedisPublisher`;
- gunicorn and uWSGI on one host without Redis: the notifier's hub listens on a Unix socket in a
  private directory (``settings.notifier_socket``, made by the launcher) and each worker keeps one
  connection to it and writes one line per event (:class:`SocketPublisher`). Why a Unix stream socket:
  no service to run, no port anyone else could publish on (the directory is the forum user's alone),
  one connection per worker rather than one per event, and the kernel's buffer (not a datagram
  queue of ten) absorbs a burst while the notifier is busy fanning out.

The message is small on purpose (``{"user_id": 7, "notification_id": 42}``): the side holding the
socket reads the notification and a fresh unread count itself, so what it sends is always what the
database says. Framework-free, like the rest of ``shared/``: the Tornado handler is a ``Subscriber``.

Live threads (API.md §11): a socket that sent ``{"type": "watch", "post_id": 12}`` is a watcher of the
topic ``post:12``. A new comment is published with its message already shaped
(``Publish(topic="post:12", message={"type": "comment", ...})``); each process encodes it once and
hands the same text to every watcher, with no read per socket: a thread watched by ten thousand
sockets costs one encoding, not ten thousand queries.

Revocations (:mod:`shared.revocation`) ride the same channel: ``Publish(user_id, close=True)`` closes
the user's sockets *and* makes every process forget what it remembered about the user's tokens, and
its publisher returns only once every process has acknowledged that it forgot (or after ``LEASE``
seconds). A :class:`Hub` forgets in its own ``standings``; a gunicorn or uWSGI worker, which holds no
hub, runs a :class:`RevocationListener` thread. Both acknowledge each revocation after forgetting and
ping their channel to keep their process's lease of trust:

- Redis: the revocation names a list (``"ack": "forum:revoked:…"``); ``PUBLISH`` counts the
  subscribers, each pushes onto the list, the publisher pops as many (``BLPOP``, up to ``LEASE``).
  The lease is renewed by the answer to a ``PING`` on the subscription.
- the notifier's Unix socket (no Redis): a worker's listener connection starts with :data:`LISTEN`
  and then sends ``{"ping": t}`` (answered ``{"pong": t}``) and ``{"ack": n}``; the notifier numbers
  each revocation it relays, and acknowledges it to the worker that sent it once every listener has
  acknowledged ``n`` (or ``LEASE`` seconds have passed).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import math
import re
import resource
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar

from shared.config import Settings
from shared.errors import BadRequest
from shared.i18n import _l
from shared.longlived import LongLived
from shared.revocation import LEASE, Standings
from shared.storage.effects import Publish

log = logging.getLogger("forum.notifier")

K = TypeVar("K")
V = TypeVar("V")
RECONNECT_SECONDS = 1.0
PUBLISH_TIMEOUT = 1.0    # seconds a publish may take before it is given up (and logged)
RESERVED_FILES = 100     # descriptors kept for everything but the sockets (see socket_capacity)
MAX_LINE = 1024 * 1024   # one event between processes: a comment's text and HTML fit many times over
LISTEN = b'{"listen": true}\n'   # a worker's first line on a connection that hears revocations
ACK = b'{"ack": true}\n'         # the notifier's answer: to LISTEN, and to each revocation a worker sent
FORWARD_BATCH = 128      # watchers handed a thread's message in one go (~3 ms) before the loop serves others
PING_EVERY = LEASE / 4   # a listener's pings: each answer renews its process's trust (shared.revocation)
ACK_EXPIRY = 60          # seconds a list of acknowledgements lives in Redis (a writer that gave up left it)
ACK_KEY = re.compile(r"forum:revoked:[0-9a-f]{16}:[0-9a-f]{32}")


def channel(settings: Settings) -> str:
    """The Redis channel of one forum: named after its database, so two forums (or two test runs)
    sharing a Redis never hear each other's user ids."""
    return "forum:notifications:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]


def ack_key(channel_name: str) -> str:
    """A new list for the acknowledgements of one revocation published on ``channel_name``."""
    return f"forum:revoked:{channel_name.rsplit(':', 1)[1]}:{uuid.uuid4().hex}"


TOPIC = re.compile(r"(post|question):[1-9][0-9]{0,18}")
MAX_WATCHES = 20   # topics one socket may watch: its memory stays bounded


def encode(event: Publish, ack: str | int | None = None) -> str:
    """The event as one message between processes (only the fields its kind uses); a revocation may
    name where it is to be acknowledged (``ack``: a Redis list, or the notifier's relay number)."""
    if event.topic is not None:
        return json.dumps({"topic": event.topic, "message": event.message})
    if event.close:
        return json.dumps({"user_id": event.user_id, "close": True} | ({} if ack is None else {"ack": ack}))
    return json.dumps({"user_id": event.user_id, "notification_id": event.notification_id})


def decode(raw: bytes | str) -> Publish | None:
    """The event in a message; None (and a log line) for anything else on the channel."""
    try:
        data = json.loads(raw)
        if "topic" in data:
            if not (isinstance(data["topic"], str) and TOPIC.fullmatch(data["topic"])
                    and isinstance(data["message"], dict)):
                raise TypeError("a topic event needs a topic and a message")
            return Publish(topic=data["topic"], message=data["message"])
        if type(data["user_id"]) is not int:
            raise TypeError("ids must be integers")
        if data.get("close") is True:
            return Publish(data["user_id"], close=True)
        notification_id = data["notification_id"]
        if not (notification_id is None or type(notification_id) is int):
            raise TypeError("ids must be integers")
        return Publish(data["user_id"], notification_id)
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("ignoring a malformed notification message: %s", exc)
        return None


def acknowledgement(raw: bytes | str) -> str | int | None:
    """Where the revocation in ``raw`` asks to be acknowledged: a Redis list's key, a relay number, or None."""
    try:
        ack = json.loads(raw).get("ack")
    except (ValueError, AttributeError):
        return None
    return ack if (isinstance(ack, str) and ACK_KEY.fullmatch(ack)) or type(ack) is int else None


def watch_topic(message: Any) -> str:
    """The topic a client asks to watch: ``{"type": "watch", "post_id": 12}`` is ``post:12``.

    Anything else is a :class:`BadRequest` (the socket answers it with an error message and stays open).
    """
    if not isinstance(message, dict) or message.get("type") != "watch" or len(message) != 2:
        raise BadRequest(_l('expected {"type": "watch", "post_id": N} or {"type": "watch", "question_id": N}'))
    (key, value), = ((k, v) for k, v in message.items() if k != "type")
    topic = f"{key.removesuffix('_id')}:{value}" if key in ("post_id", "question_id") and type(value) is int else ""
    if not TOPIC.fullmatch(topic):
        raise BadRequest(_l("post_id or question_id must be a positive integer"))
    return topic


class Subscriber(Protocol):
    """One open WebSocket: told about its user's events, closed when the process stops."""

    def notify(self, event: Publish) -> None: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Watcher(Protocol):
    """A socket that watches threads: handed each new item's message, already encoded."""

    def forward(self, text: str) -> None: ...


class Hub:
    """The sockets of this process by user, and the way events reach them (directly, or via Redis).

    Lives on one event loop; :meth:`publish` is the one method other threads may call.
    """

    def __init__(self, settings: Settings, inbox: str = "") -> None:
        self.redis_url = settings.redis_url
        self.inbox = inbox   # the notifier's Unix socket, where the workers beside it send events (no Redis)
        self._inbox_server: asyncio.Server | None = None
        self.channel = channel(settings)
        self.subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self.watchers: dict[str, set[Watcher]] = defaultdict(set)
        self.topics: dict[Watcher, set[str]] = defaultdict(set)   # the other way round
        self.open_sockets = 0
        self.long_lived = LongLived(lambda: self.open_sockets)   # their objects, out of the full GC passes
        self.capacity = socket_capacity(settings)
        self._refused_at = -math.inf
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._sending: set[asyncio.Task[Any]] = set()   # publishes in flight (a task needs a reference)
        self.standings: Standings | None = None   # the app's cache, told of revocations (shared.revocation)
        self._listening: set[asyncio.StreamWriter] = set()   # workers' connections that hear revocations
        # revocations relayed to them, by number: the listeners yet to acknowledge, and who waits for them
        self._relays: dict[int, tuple[set[asyncio.StreamWriter], asyncio.Future[None]]] = {}
        self._relay_numbers = itertools.count(1)

    async def start(self) -> None:
        """Bind to the running loop and, with Redis, listen to the channel before the server announces
        itself (so an event published right after start-up is not missed)."""
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        if self.inbox:
            self._inbox_server = await asyncio.start_unix_server(self._read_inbox, path=self.inbox, limit=MAX_LINE)
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
        """Deliver every event on the channel to this process's sockets, acknowledge each revocation once
        forgotten, and ping every ``PING_EVERY`` seconds: each answer renews the lease of ``standings``
        (:mod:`shared.revocation`). Reconnect when Redis goes away, trusting nothing meanwhile."""
        import redis

        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    if self.standings is not None:
                        log.info("revocations reach this process through Redis")
                    pinged = -math.inf
                    while True:
                        if time.monotonic() - pinged >= PING_EVERY:
                            pinged = time.monotonic()
                            await pubsub.ping(repr(pinged))
                        message = await pubsub.get_message(timeout=max(0.0, pinged + PING_EVERY - time.monotonic()))
                        if message is None:
                            continue
                        if message["type"] == "pong" and self.standings is not None:
                            self.standings.trust(float(message["data"]) + LEASE)
                        elif message["type"] == "message" and (event := decode(message["data"])):
                            self.deliver(event)
                            if event.close and isinstance(ack := acknowledgement(message["data"]), str):
                                await self._redis.rpush(ack, 1)
                                await self._redis.expire(ack, ACK_EXPIRY)
            except (redis.RedisError, OSError, ValueError) as exc:
                if self.standings is not None:       # ... and no longer
                    self.standings.distrust()
                log.warning("lost the notification channel (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _read_inbox(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One worker's connection: a line of JSON per event, delivered to this process's sockets.

        A connection that starts with :data:`LISTEN` hears every revocation instead (and sends pings and
        acknowledgements); a revocation a worker sends is acknowledged to it once every listening worker
        has acknowledged it (:meth:`_relay`)."""
        try:
            while line := await reader.readline():
                if line == LISTEN:
                    self._listening.add(writer)
                    writer.write(ACK)
                elif writer in self._listening:
                    self._heard(writer, line)
                elif event := decode(line):
                    self.deliver(event)
                    if event.close:
                        await self._relay(event)
                        writer.write(ACK)
        except (ValueError, ConnectionError) as exc:   # a line over MAX_LINE, a worker that died mid-line
            log.warning("dropping a worker's notification connection: %s", exc)
        finally:
            self._listening.discard(writer)
            writer.close()

    def _heard(self, listener: asyncio.StreamWriter, line: bytes) -> None:
        """A listening worker's line: a ping (answered after every revocation already written to it, so
        the answer renews its lease) or the acknowledgement of a relayed revocation."""
        try:
            said = json.loads(line)
            if "ping" in said:
                listener.write(b'{"pong": %s}\n' % json.dumps(float(said["ping"])).encode())
            elif (relay := self._relays.get(said["ack"])) is not None:
                waiting, applied = relay
                waiting.discard(listener)
                if not waiting and not applied.done():
                    applied.set_result(None)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("ignoring a malformed line from a listening worker: %s", exc)

    async def _relay(self, event: Publish) -> None:
        """Hand a revocation to every listening worker; return once each has acknowledged it, or after
        ``LEASE`` seconds (a worker that lags that long has stopped trusting by then)."""
        if not self._listening:
            return
        number = next(self._relay_numbers)
        line = (encode(event, ack=number) + "\n").encode()
        waiting = set(self._listening)
        for listener in waiting:
            if listener.transport.get_write_buffer_size() > MAX_LINE:   # a worker that stopped reading:
                listener.close()   # it reconnects, and trusts nothing it remembered meanwhile
            else:
                listener.write(line)
        applied = asyncio.get_running_loop().create_future()
        self._relays[number] = (waiting, applied)
        try:
            await asyncio.wait_for(applied, LEASE)
        except TimeoutError:
            _missing(len(waiting))
        finally:
            del self._relays[number]

    def subscribe(self, user_id: int, subscriber: Subscriber) -> None:
        if subscriber not in self.subscribers[user_id]:
            self.subscribers[user_id].add(subscriber)
            self.open_sockets += 1
            self.long_lived.opened()

    def unsubscribe(self, user_id: int, subscriber: Subscriber) -> None:
        if _discard(self.subscribers, user_id, subscriber):
            self.open_sockets -= 1
            self.long_lived.closed_one()

    def full(self) -> bool:
        """Whether a new socket must be refused: each holds a file descriptor, and a process out of them
        cannot accept anything, not even ``/healthz`` (RELIABILITY 51). Logged at most every ten seconds."""
        if self.open_sockets < self.capacity:
            return False
        now = time.monotonic()
        if now - self._refused_at > 10:
            self._refused_at = now
            log.warning("refusing new sockets: %d open, as many as this process may hold (open-file limit %d)",
                        self.open_sockets, _open_file_limit())
        return True

    def watch(self, topic: str, watcher: Watcher) -> None:
        self.watchers[topic].add(watcher)
        self.topics[watcher].add(topic)

    def watching(self, watcher: Watcher) -> set[str] | frozenset[str]:
        """The topics ``watcher`` watches (kept here, not on the socket: an attribute added to an open
        socket's handler costs its ``__dict__`` a new, larger table, 1.6 KB; issue #18)."""
        return self.topics.get(watcher, frozenset())

    def unwatch(self, topic: str, watcher: Watcher) -> None:
        _discard(self.watchers, topic, watcher)
        _discard(self.topics, watcher, topic)

    def unwatch_all(self, watcher: Watcher) -> None:
        for topic in self.topics.pop(watcher, ()):
            _discard(self.watchers, topic, watcher)

    def deliver(self, event: Publish) -> None:
        """Hand ``event`` to this process's sockets (on the loop): the watchers of its topic, or its
        user's sockets."""
        if event.topic is not None:
            # once, for every watcher; compact UTF-8 like the sockets' other messages (orjson's)
            text = json.dumps(event.message, separators=(",", ":"), ensure_ascii=False)
            self._forward(list(self.watchers.get(event.topic, ())), text, 0)
        elif event.user_id is None:
            return
        elif event.close:
            if self.standings is not None:
                self.standings.forget(event.user_id)
            self.close_user(event.user_id)
        else:
            for subscriber in list(self.subscribers.get(event.user_id, ())):
                subscriber.notify(event)

    def _forward(self, watchers: list[Watcher], text: str, start: int) -> None:
        """``text`` to one batch of watchers, then the next batch in a later turn of the loop: ten
        thousand sockets are written in slices, and ``/healthz`` and the rest are answered in between.
        Each watcher still gets a thread's messages in order (the batches of two events take turns)."""
        for watcher in watchers[start:start + FORWARD_BATCH]:
            watcher.forward(text)
        if start + FORWARD_BATCH < len(watchers):
            asyncio.get_running_loop().call_soon(self._forward, watchers, text, start + FORWARD_BATCH)

    def close_user(self, user_id: int, code: int = 1008, reason: str = "signed out") -> int:
        """Close every socket of ``user_id`` in this process (a ban, a logout everywhere); how many.

        Other processes close theirs when the event reaches them: publish ``Publish(user_id, close=True)``.
        """
        sockets = list(self.subscribers.get(user_id, ()))
        for subscriber in sockets:
            subscriber.close(code, reason)
        return len(sockets)

    def publish(self, event: Publish) -> asyncio.Task[None] | None:
        """The runners' publisher: safe from the loop and from executor threads alike.

        Before :meth:`start` (an app under test) there is no loop to hand over to: the caller is on it.
        On the loop, a revocation returns its task: ``run_async`` awaits it, so every other process has
        forgotten the user (or stopped trusting) before the request that made it answers. An executor
        thread (``wsgi-container``) waits for a revocation itself, as ``run_sync``'s publishers do.
        """
        if self.loop is None or threading.get_ident() == self._loop_thread:
            return self._publish(event)
        if event.close:
            asyncio.run_coroutine_threadsafe(self._revoke(event), self.loop).result(PUBLISH_TIMEOUT + 2 * LEASE)
        else:
            self.loop.call_soon_threadsafe(self._publish, event)
        return None

    def _publish(self, event: Publish) -> asyncio.Task[None] | None:
        """Deliver here or send to Redis; a revocation's task, to await, when it has more to reach."""
        if self._redis is None:
            self.deliver(event)
            return self._track(self._relay(event)) if event.close and self._listening else None
        task = self._track(self._send(event))
        return task if event.close else None

    async def _revoke(self, event: Publish) -> None:
        if (task := self._publish(event)) is not None:
            await task

    def _track(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return task

    async def _send(self, event: Publish) -> None:
        """One PUBLISH; for a revocation, then as many acknowledgements as it had subscribers, for at
        most ``LEASE`` seconds (a process that lags longer has stopped trusting by then)."""
        import redis

        ack = ack_key(self.channel) if event.close else None
        try:
            receivers = await asyncio.wait_for(self._redis.publish(self.channel, encode(event, ack)), PUBLISH_TIMEOUT)
            if ack is not None:   # LEASE seconds from now at least, unless every receiver acknowledged
                async with asyncio.timeout(LEASE + PUBLISH_TIMEOUT):
                    acknowledged, deadline = 0, time.monotonic() + LEASE
                    while acknowledged < receivers and (left := deadline - time.monotonic()) > 0:
                        acknowledged += await self._redis.blpop([ack], timeout=left) is not None
                    await self._redis.delete(ack)
                _missing(receivers - acknowledged)
        except (redis.RedisError, OSError, TimeoutError) as exc:
            log.warning("could not publish a notification to Redis: %s", exc)

    def close_sockets(self, code: int = 1001, reason: str = "server shutting down") -> int:
        """Close every socket (1001 "going away" on a graceful stop); returns how many there were."""
        sockets = [s for group in self.subscribers.values() for s in group]
        for subscriber in sockets:
            subscriber.close(code, reason)
        return len(sockets)

    async def close(self) -> None:
        self.long_lived.cancel()
        if self._inbox_server is not None:
            self._inbox_server.close()
        if self._listener is not None:
            self._listener.cancel()
        if self._sending:
            await asyncio.wait(self._sending, timeout=2)
        if self._redis is not None:
            await self._redis.aclose()


def _missing(unacknowledged: int) -> None:
    if unacknowledged > 0:
        log.warning("%d process(es) did not acknowledge a revocation within %.1f s; they trust nothing they"
                    " remember until they catch up", unacknowledged, LEASE)


def _discard(table: dict[K, set[V]], key: K, socket: V) -> bool:
    """Take ``socket`` out of ``table[key]``, and the key with its last socket (no empty sets linger);
    whether it was there."""
    sockets = table.get(key)
    if sockets is None or socket not in sockets:
        return False
    sockets.discard(socket)
    if not sockets:
        del table[key]
    return True


def _open_file_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def socket_capacity(settings: Settings) -> int:
    """How many sockets one process may hold: ``ws_max_sockets``, else the open-file limit less what the
    rest needs (the pool, Redis, listening sockets, plain requests in flight: ``RESERVED_FILES``)."""
    return settings.ws_max_sockets or max(0, _open_file_limit() - RESERVED_FILES - settings.pool_size)


class RedisPublisher:
    """The publisher of Flask workers that hold no sockets (gunicorn, uWSGI): one PUBLISH per event; a
    revocation then waits for its acknowledgements, as :meth:`Hub._send` does on the loop."""

    def __init__(self, settings: Settings) -> None:
        import redis

        self.channel = channel(settings)
        # the timeout leaves room for the longest wait for an acknowledgement (BLPOP)
        self._redis = redis.Redis.from_url(settings.redis_url, socket_timeout=LEASE + 1, socket_connect_timeout=1)
        self._error = redis.RedisError

    def __call__(self, event: Publish) -> None:
        ack = ack_key(self.channel) if event.close else None
        try:
            receivers = self._redis.publish(self.channel, encode(event, ack))
            if ack is not None:
                acknowledged, deadline = 0, time.monotonic() + LEASE
                while acknowledged < receivers and (left := deadline - time.monotonic()) > 0:
                    acknowledged += self._redis.blpop([ack], timeout=left) is not None
                self._redis.delete(ack)
                _missing(receivers - acknowledged)
        except (self._error, OSError) as exc:
            log.warning("could not publish a notification to Redis: %s", exc)


class SocketPublisher:
    """The publisher of Flask workers beside a notifier without Redis: one line per event on the
    notifier's Unix socket, over one connection per process (made again if the notifier restarted)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()   # gthread and uWSGI threads share the connection
        self._sock: socket.socket | None = None

    def __call__(self, event: Publish) -> None:
        line = (encode(event) + "\n").encode()
        with self._lock:
            for _attempt in range(2):   # a connection the notifier closed is noticed on the first write
                try:
                    if self._sock is None:
                        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        self._sock.settimeout(1)   # a notifier too busy to read for a second loses the event
                        self._sock.connect(self.path)
                    self._sock.sendall(line)
                    if event.close:   # a revocation: wait until every worker has acknowledged it
                        self._sock.settimeout(LEASE + 1)
                        _read_line(self._sock)
                        self._sock.settimeout(1)
                    return
                except OSError as exc:
                    error = exc
                    if self._sock is not None:
                        self._sock.close()
                    self._sock = None
            log.warning("could not hand a notification to the notifier at %s: %s", self.path, error)


def _read_line(sock: socket.socket) -> bytes:
    """One line from a blocking socket (the notifier's short answers), within the socket's timeout."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            raise ConnectionResetError("the notifier closed the connection")
        line += chunk
    return line


def _send_line(sock: socket.socket, line: bytes) -> None:
    sock.settimeout(LEASE)   # a notifier that reads nothing for that long: the listener starts over
    sock.sendall(line + b"\n")


class RevocationListener:
    """A gunicorn or uWSGI worker's ear for revocations: a daemon thread that makes the worker's
    ``standings`` forget each revoked user, acknowledges it, and keeps the cache's lease of trust by
    pinging its channel every ``PING_EVERY`` seconds (:mod:`shared.revocation`).

    It listens on Redis when configured, else on a connection to the notifier's Unix socket (the
    notifier relays every revocation to such connections). Whenever the connection drops, trust ends
    and every request asks the database until the listener is back.
    """

    def __init__(self, settings: Settings, standings: Standings) -> None:
        self.settings = settings
        self.standings = standings
        self.stopped = threading.Event()   # a worker's listener runs as long as the worker; tests stop theirs

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="forum-revocations", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        listen = self._listen_redis if self.settings.redis_url else self._listen_notifier
        while not self.stopped.is_set():
            try:
                listen()
            except Exception as exc:   # Redis or the notifier went away (or restarted): forget, then retry
                log.warning("revocations: lost the channel (%s); asking the database until it is back", exc)
            self.standings.distrust()
            self.stopped.wait(RECONNECT_SECONDS)

    def _forget(self, raw: bytes | str) -> str | int | None:
        """Forget the user a revocation names; where to acknowledge it (None: not a revocation)."""
        event = decode(raw)
        if event is None or not event.close or event.user_id is None:
            return None
        self.standings.forget(event.user_id)
        return acknowledgement(raw)

    def _renew(self, pinged: bytes | float) -> None:
        """An answer to the ping sent at ``pinged``: every revocation sent before it has been applied."""
        self.standings.trust(float(pinged) + LEASE)

    def _listen_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.settings.redis_url, socket_connect_timeout=2, socket_timeout=LEASE + 1)
        try:
            pubsub = client.pubsub()
            pubsub.subscribe(channel(self.settings))
            if pubsub.get_message(timeout=5) is None:   # the subscription's confirmation
                raise TimeoutError("Redis did not confirm the subscription")
            log.info("revocations reach this worker through Redis")
            pinged = -math.inf
            while not self.stopped.is_set():
                if time.monotonic() - pinged >= PING_EVERY:
                    pinged = time.monotonic()
                    pubsub.ping(repr(pinged))
                message = pubsub.get_message(timeout=max(0.0, pinged + PING_EVERY - time.monotonic()))
                if message is None:
                    continue
                if message["type"] == "pong":
                    self._renew(message["data"])
                elif message["type"] == "message" and isinstance(ack := self._forget(message["data"]), str):
                    client.rpush(ack, 1)
                    client.expire(ack, ACK_EXPIRY)
        finally:
            client.close()

    def _listen_notifier(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            sock.connect(self.settings.notifier_socket)
            sock.sendall(LISTEN)
            if _read_line(sock) != ACK:
                raise ConnectionError("the notifier did not accept the listener")
            log.info("revocations reach this worker through the notifier")
            pinged, pending = -math.inf, b""
            while not self.stopped.is_set():
                if time.monotonic() - pinged >= PING_EVERY:
                    pinged = time.monotonic()
                    _send_line(sock, b'{"ping": %s}' % json.dumps(pinged).encode())
                sock.settimeout(max(0.001, pinged + PING_EVERY - time.monotonic()))   # until the next ping
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    raise ConnectionResetError("the notifier closed the connection")
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    said = json.loads(line)
                    if "pong" in said:
                        self._renew(said["pong"])
                    elif type(ack := self._forget(line)) is int:
                        _send_line(sock, b'{"ack": %d}' % ack)


def worker_publisher(settings: Settings) -> RedisPublisher | SocketPublisher | None:
    """What a Flask worker publishes with: Redis when configured, else the notifier's Unix socket when
    the launcher started one beside the workers, else nothing (no socket could hear it)."""
    if settings.redis_url:
        return RedisPublisher(settings)
    return SocketPublisher(settings.notifier_socket) if settings.notifier_socket else None
