"""``GET /api/v1/events``: a user's notifications as Server-Sent Events, the same on every flavour.

The stream carries what the WebSocket carries, one SSE event per message: ``event: notification``
(its ``id:`` is the notification's id) and ``event: unread_count`` (its ``id:`` is the newest
notification the client has been shown, so a client always has a place to resume from). The data
line is the WebSocket's JSON message itself. A client that reconnects sends ``Last-Event-ID`` (a
browser's ``EventSource`` does it by itself) and first gets every notification after that id, then
live ones: nothing made while it was away is lost.

How each flavour waits for the next event is its own affair (a coroutine woken by the hub; a
generator woken by Redis or polling the database); what it sends is written here once, and so is
what caps the streams of blocking workers: each open stream holds a gunicorn sync worker (or a
thread) for as long as it lasts, so only so many may be open at once (:class:`StreamSlots`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import orjson

from shared.config import Settings
from shared.errors import BadRequest, Unavailable
from shared.i18n import _l
from shared.notifier import channel, decode
from shared.validation import MAX_ID

log = logging.getLogger("forum.events")

CONTENT_TYPE = "text/event-stream; charset=utf-8"
# No proxy may keep the stream back (nginx reads X-Accel-Buffering), nor transform or cache it.
HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
RETRY_MS = 1000          # how long a client waits before it reconnects (the "retry:" line)
HEARTBEAT_SECONDS = 15   # a comment line this often: proxies see traffic, and a gone client is noticed
# A blocking worker learns that its client has gone only when a write fails (the second after the
# peer closed), and until then the stream holds the whole worker: it writes its comment line sooner.
BLOCKING_HEARTBEAT_SECONDS = 2
POLL_SECONDS = 1.0       # without Redis, a blocking worker looks for new notifications this often
KEEPALIVE = b": keepalive\n\n"
RETRY = f"retry: {RETRY_MS}\n\n".encode()   # first on every stream, and last on one the server ends
BUSY_RETRY_AFTER = 5     # seconds, in the 503 of a server whose stream slots are all taken


def last_event_id(header: str | None) -> int | None:
    """The id a client resumes after (``Last-Event-ID``); None for a new stream, 400 for anything
    that is not one of our ids (an empty header, which a browser never sends, counts as none)."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise BadRequest(_l("Last-Event-ID: not an event id of this stream"))
    return int(value)


def event(kind: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One SSE event: ``id:`` (when given), ``event:`` and one ``data:`` line of compact JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"


def render(batch: dict[str, Any], count_sent: int | None) -> bytes:
    """What :func:`shared.storage.notifications.events_after` found: each notification, oldest first,
    then the unread count (carrying the id to resume after), unless nothing has changed since the
    count ``count_sent`` went out (a poll that found nothing sends nothing)."""
    out = [event("notification", {"type": "notification", "notification": note}, note["id"])
           for note in batch["notifications"]]
    if out or batch["count"] != count_sent:
        out.append(event("unread_count", {"type": "unread_count", "count": batch["count"]}, batch["last_id"]))
    return b"".join(out)


class StreamSlots:
    """How many event streams the blocking workers of one server hold together, counted across processes.

    A directory the launcher makes (``settings.sse_slots_dir``) holds ``max_streams`` files; a stream
    holds an exclusive ``flock`` on one of them for as long as it is open. A lock is the kernel's:
    it goes with the process that held it, so a worker killed mid-stream (gunicorn's ``timeout``,
    uWSGI's ``harakiri``) frees its slot at once, and nothing has to be counted down. ``flock`` locks
    belong to the open file, so two threads of one gthread worker count as two streams.
    """

    def __init__(self, directory: str, max_streams: int) -> None:
        self.directory = directory
        self.max_streams = max_streams

    def take(self) -> IO[bytes]:
        """A free slot (close it to give it back), or 503 with ``Retry-After`` when all are taken."""
        for number in range(self.max_streams):
            slot = open(os.path.join(self.directory, f"stream-{number}"), "ab")  # noqa: SIM115  (held open)
            try:
                fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                slot.close()
                continue
            return slot
        log.warning("refusing an event stream: all %d stream slots are taken (FORUM_SSE_MAX_STREAMS); "
                    "each open stream holds a worker", self.max_streams)
        raise Unavailable(_l("All %(count)d event streams this server allows are open: each holds a worker. "
                             "Try again shortly.", count=self.max_streams), retry_after=BUSY_RETRY_AFTER)


class ProcessStreams:
    """How many event streams the threads of this one process hold (``settings.sse_streams_per_process``).

    A gunicorn gthread worker's main thread accepts connections while its threads are busy and queues
    them for the next free thread; the cap across processes (:class:`StreamSlots`) does not see which
    worker holds which stream, and a worker whose threads all stream leaves what it accepted waiting
    until a stream ends. At most ``threads - 1`` streams here, so one thread always serves the rest
    (and the 503 that says so). uWSGI threads accept for themselves: no such queue, no cap.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held = 0

    def take(self, limit: int) -> Callable[[], None]:
        """Hold one of ``limit`` streams (call the answer, once or more, to give it back), or 503."""
        with self._lock:
            if self.held >= limit:
                log.warning("refusing an event stream: this process holds %d (FORUM_SSE_STREAMS_PER_PROCESS); "
                            "one thread stays free for other requests", self.held)
                raise Unavailable(_l("This worker holds all the %(count)d event streams it may: each holds a "
                                     "thread. Try again shortly.", count=limit), retry_after=BUSY_RETRY_AFTER)
            self.held += 1
        given_back = threading.Event()

        def release() -> None:
            with self._lock:
                if not given_back.is_set():
                    given_back.set()
                    self.held -= 1
        return release


PROCESS_STREAMS = ProcessStreams()   # one per process: a forked worker starts at 0


def take_stream(settings: Settings) -> Callable[[], None]:
    """Room for one more blocking stream: in this process first, then across the server; 503 (with
    ``Retry-After``) when either is full. Call the answer when the stream closes."""
    held: list[Callable[[], None]] = []

    def release() -> None:
        for give_back in held:
            give_back()
    try:
        if settings.sse_streams_per_process:
            held.append(PROCESS_STREAMS.take(settings.sse_streams_per_process))
        if settings.sse_max_streams:
            held.append(StreamSlots(settings.sse_slots_dir, settings.sse_max_streams).take().close)
    except BaseException:
        release()
        raise
    return release


class Wakeup:
    """What a blocking stream waits on between events: with Redis, a subscription to the notification
    channel, so its user's events wake it at once; without Redis, the clock (it looks every
    ``POLL_SECONDS``: a query a second per stream, the price of one host without a broker).

    The hub of an event loop does this for all its streams at once; here each stream listens for itself,
    which is what a blocking worker can do (a gevent worker too: its sockets are cooperative).
    """

    def __init__(self, settings: Settings, user_id: int) -> None:
        self.user_id = user_id
        self.pubsub: Any = None
        if not settings.redis_url:
            return
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        try:
            pubsub = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2).pubsub(
                ignore_subscribe_messages=True)
            pubsub.subscribe(channel(settings))
            self.pubsub = pubsub
        except self._errors as exc:
            log.warning("event stream: Redis does not answer (%s); polling the database instead", exc)

    def wait(self, seconds: float) -> bool:
        """Wait at most ``seconds``; whether the user may have news (then read what is new)."""
        if self.pubsub is None:
            time.sleep(min(seconds, POLL_SECONDS))
            return True
        deadline = time.monotonic() + seconds
        try:
            while (left := deadline - time.monotonic()) > 0:
                message = self.pubsub.get_message(timeout=left)
                if message and (news := decode(message["data"])) and news.user_id == self.user_id:
                    return True
        except self._errors as exc:
            log.warning("event stream: lost Redis (%s); polling the database instead", exc)
            self.close()
            return True
        return False

    def close(self) -> None:
        if self.pubsub is not None:
            self.pubsub.close()
            self.pubsub = None
