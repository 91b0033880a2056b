"""``GET /ws/notifications``: the unread count on connect, then each notification the moment it is made.

The caller is found *before* the upgrade (``?token=``, ``Authorization: Bearer`` or the login cookie):
an unknown caller gets a plain 401 problem+json and never a socket. Tornado's own ``check_origin``
is what we want (RELIABILITY 37): a browser page from another site is refused with 403, a client
that sends no ``Origin`` (not a browser) is let through.

Each socket subscribes to the process's :class:`shared.notifier.Hub`; on an event for its user it
checks its credential again (closing with 1008 when it has ended: see :meth:`NotificationsSocket.still_signed_in`;
a ban, an erased account or a new password close the user's sockets at once), then reads the
notification and a fresh unread count (one read-only operation each) and sends them. A client may
send ``{"type": "watch", "post_id": N}`` (or ``question_id``): from then on it also gets each new
comment or answer of that thread, as the hub hands it over. Nothing else is expected from clients,
and a message over 64 KiB closes the socket with 1009.

Nothing the hub does waits for a client: each message is queued on the socket's write buffer, which
is bounded (``MAX_QUEUED_BYTES``); a client that stops reading fills it and is closed, while the
others get theirs.

What an idle socket costs (RELIABILITY 51: 19,000 of them in one process under 300 MB). Tornado keeps
the handler alive as long as the socket, and with it everything the handshake made: the request's
header fields and query, the HTTP/1 objects that parsed them, the answer's headers, the request's
trace. :meth:`NotificationsSocket.forget_handshake` lets go of them once the socket is open (and the
trace ends before the upgrade), and one
:class:`Heartbeat` per process pings every socket instead of Tornado's ping task per socket (a task,
a coroutine and a timer each). :class:`FrameReader` reads the frames in a task of their own, so the
handshake's coroutines end with it, and gives the stream write queues that exist only while a write
is pending (:class:`LazyDeque`). What is left per socket is the kernel's socket, Tornado's stream and
protocol objects, the handler, the frame loop's coroutines, and its place in the hub:
``loadtests/RESULTS.md`` ("Long connections") has the measurements.

Three Tornado applications host this handler: the Tornado forum itself, and — through
:class:`SocketApplication` — the wsgi-container process (in front of its WSGI fallback) and the
notifier process that serves the sockets of the gunicorn and uWSGI flavours.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import struct
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson
import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.iostream import StreamBufferFullError, StreamClosedError
from tornado.web import URLSpec, url

from async_app.handlers.api.events import events_url
from async_app.handlers.base import NotFoundHandler, ProblemMixin
from async_app.handlers.health import HealthHandler
from shared import xray
from shared.auth import ANONYMOUS, Viewer
from shared.config import Settings
from shared.errors import BadRequest, ForumError, Unauthorized, Unavailable
from shared.i18n import _l
from shared.keys import Keys
from shared.notifier import MAX_WATCHES, Hub, watch_topic
from shared.storage.drivers import CoroutineDatabase
from shared.storage.effects import Publish
from shared.storage.notifications import get_notification, unread_count
from shared.storage.runners import Services, run_async
from shared.storage.sessions import COOKIE_NAME, authenticate, session_viewer

log = logging.getLogger("forum.ws")

MAX_MESSAGE_BYTES = 64 * 1024   # larger: close with 1009 (RELIABILITY 37)
MAX_QUEUED_BYTES = 256 * 1024   # unsent bytes one socket may hold before it is closed as stalled
PINGS_PER_PAUSE = 500           # the heartbeat lets the loop serve others after this many pings


def socket_settings(settings: Settings) -> dict[str, Any]:
    """Application settings for every app that hosts the socket (the pings are the :class:`Heartbeat`'s,
    so Tornado's own ``websocket_ping_interval`` stays off)."""
    return {"websocket_max_message_size": MAX_MESSAGE_BYTES}


class Heartbeat:
    """Every ``ws_ping_interval`` seconds (30), one pass over the process's sockets: a socket that did
    not answer the previous ping is closed, the others are pinged again. The pings keep an idle socket
    alive through nginx (its read timeout on /ws/ is ten intervals, 300 s; RELIABILITY 23), and a dead
    peer is noticed within one or two intervals.

    Tornado's ``websocket_ping_interval`` does the same with a task per socket, sleeping between its
    pings: about 1.5 KB of every socket's memory. One timer costs nothing per socket, and the pass
    pauses every ``PINGS_PER_PAUSE`` sockets so that requests are served meanwhile.
    """

    def __init__(self, hub: Hub, interval: float) -> None:
        self.hub = hub
        self.timer = PeriodicCallback(self.beat, interval * 1000) if interval > 0 else None
        # The sockets pinged that have not answered yet. Kept here rather than as a flag on each socket:
        # an attribute added to an open socket's handler costs its __dict__ a larger table (1.6 KB).
        self.waiting: set[Any] = set()

    def start(self) -> None:
        """Idempotent: called as each socket opens (the loop is running by then); it stops itself
        when no socket is left."""
        if self.timer is not None and not self.timer.is_running():
            self.timer.start()

    async def beat(self) -> None:
        sockets = [s for group in self.hub.subscribers.values() for s in group]
        if not sockets and self.timer is not None:
            self.timer.stop()
        for n, socket in enumerate(sockets, 1):
            if isinstance(socket, NotificationsSocket):
                socket.heartbeat()
            if n % PINGS_PER_PAUSE == 0:
                await asyncio.sleep(0)


class LazyDeque:
    """A deque made only while something is queued: what :class:`FrameReader` gives a socket's stream
    for its two write queues (the bytes not sent yet, and the futures of the writes).

    ``IOStream`` makes both as ``collections.deque()`` when a connection starts, and an empty deque is
    760 bytes (CPython allocates its first block of 64 slots at once): 1.5 KB of an idle socket's
    memory for queues that are empty nearly all the time. This is 56 bytes until a write is pending,
    and lets go of its deque when the last item leaves. Only what ``tornado.iostream`` calls is here.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: deque[Any] | None = deque(items) or None

    def append(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)

    def popleft(self) -> Any:
        if self._items is None:
            raise IndexError("pop from an empty deque")
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def clear(self) -> None:
        self._items = None

    def __getitem__(self, index: int) -> Any:
        if self._items is None:
            raise IndexError("deque index out of range")
        return self._items[index]

    def __len__(self) -> int:
        return 0 if self._items is None else len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(()) if self._items is None else iter(self._items)


class FrameReader(tornado.websocket.WebSocketProtocol13):
    """Tornado's protocol, reading frames in a task of its own once the socket is open.

    Tornado reads a socket's frames at the bottom of the request's coroutines: the request's task runs
    ``_execute``, which awaits the handler's ``get()``, which awaits ``accept_connection``, then
    ``_accept_connection``, then the frame loop, for as long as the socket is open. Each suspended
    coroutine keeps its frame (its locals, ``_execute``'s many) alive. Here the frame loop runs as its
    own task, so the handshake's coroutines finish with the handshake and only the loop and the read
    it waits for are left. What the frame loop does is unchanged. The stream's two write queues become
    :class:`LazyDeque` at the same moment.
    """

    async def _receive_frame_loop(self) -> None:
        stream: Any = self.stream   # its write queues, made again lazily (LazyDeque), with what they hold
        stream._write_futures = LazyDeque(stream._write_futures)
        stream._write_buffer._buffers = LazyDeque(stream._write_buffer._buffers)
        # No reference is kept (an attribute added to the protocol would cost it a larger __dict__): the
        # task is held by the read it waits for, which the stream holds, which the loop watches.
        asyncio.ensure_future(super()._receive_frame_loop()).add_done_callback(self._frames_done)

    def _frames_done(self, frames: asyncio.Task[None]) -> None:
        """What ``accept_connection`` did when the loop was its own: a cancelled loop (the server
        stopping) aborts the connection; an error is logged like any request's."""
        if frames.cancelled():
            self._abort()
        elif (error := frames.exception()) is not None:
            log.error("a socket's frame loop failed", exc_info=error)
            self._abort()


class SocketHost(Protocol):
    """What the handler needs from its application."""

    db: CoroutineDatabase
    hub: Hub
    heartbeat: Heartbeat
    services: Services
    forum_settings: Settings


class NotificationsSocket(ProblemMixin, tornado.websocket.WebSocketHandler):
    application: SocketHost   # type: ignore[assignment]
    label = "/ws/notifications"   # for metrics and the access log
    SUPPORTED_METHODS = ("GET",)  # anything else is 405 at once (before Tornado's XSRF check)

    # Per socket, and small: the class's defaults stand until a socket needs its own.
    viewer: Viewer = ANONYMOUS
    token: str | None = None                 # how the caller signed in: a token, else the login cookie
    cookie: str | None = None

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Authenticate, then upgrade. Until the upgrade this is a plain request, so a refusal is a
        problem+json answer (ProblemMixin): 400 for a request that is no WebSocket handshake, 503 when
        the process holds all the sockets its open-file limit allows (RELIABILITY 51), 401 for a
        missing or bad credential, 503 when the pool is exhausted."""
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise BadRequest(_l("This is a WebSocket endpoint: the request must ask to upgrade to websocket."))
        if self.application.hub.full():   # the descriptors left serve the sockets we hold and plain requests
            raise Unavailable(_l("This server holds as many sockets as it can; try again shortly."), retry_after=10)
        self.viewer = await self.find_viewer()
        self.viewer.require()
        # The request's trace (shared.xray) ends here, before the answer: every callback the socket
        # schedules from now on copies the current context, and would carry the trace for hours.
        xray.end()
        await super().get(*args, **kwargs)

    def get_websocket_protocol(self) -> tornado.websocket.WebSocketProtocol | None:
        """Tornado's protocol 13 (the only one it speaks), as a :class:`FrameReader`."""
        protocol = super().get_websocket_protocol()
        if isinstance(protocol, tornado.websocket.WebSocketProtocol13):
            return FrameReader(self, False, protocol.params)
        return protocol

    def check_origin(self, origin: str) -> bool:
        """Tornado's rule (the page's own host and port; no Origin: not a browser), and the notifier's:
        the site's pages on the same host name and ``settings.site_port``, the port the launcher gave
        gunicorn or uWSGI (their pages connect here, to another port)."""
        if super().check_origin(origin):
            return True
        site_port = self.application.forum_settings.site_port
        parsed = urlsplit(origin)
        return bool(site_port) and parsed.port == site_port and parsed.hostname == self.request.host_name

    async def find_viewer(self) -> Viewer:
        """Browsers cannot set headers on a WebSocket: the token comes in the query, or the cookie does."""
        self.token = self.get_query_argument("token", None)
        scheme, _, bearer = self.request.headers.get("Authorization", "").partition(" ")
        if self.token is None and scheme.lower() == "bearer":
            self.token = bearer.strip()
        if self.token is None:
            self.cookie = self.get_cookie(COOKIE_NAME)
        viewer: Viewer = await self.run(self.credential())
        return viewer

    def credential(self) -> Any:
        """The operation that checks how the caller signed in."""
        return authenticate(self.token) if self.token is not None else session_viewer(self.cookie)

    async def still_signed_in(self) -> bool:
        """The credential the socket opened with, checked again before anything is sent to it.

        Not redundant with ``Publish(user_id, close=True)`` (which the hub turns into a close of every
        socket of the user, at once: a ban, an erased account, a new password; RELIABILITY 49): that
        covers what changes a user's standing, while a login cookie logged out (``end_session``, one
        session among several, publishes nothing) or expired, and a token past its expiry, end only
        one credential; they are noticed here, at the socket's next event."""
        try:
            viewer: Viewer = await self.run(self.credential())
        except Unauthorized:
            return False
        return viewer.user_id == self.viewer.user_id

    async def run(self, op: Any) -> Any:
        return await run_async(self.application.db, op, self.application.services)

    def open(self, *args: str, **kwargs: str) -> None:
        # The socket's queue is Tornado's own write buffer, bounded: a client that stops reading fills
        # it, and the next write closes that socket instead of growing without limit (RELIABILITY 51).
        self.ws_connection.stream.max_write_buffer_size = MAX_QUEUED_BYTES  # type: ignore[union-attr]
        self.forget_handshake()
        self.application.hub.subscribe(self.viewer.require(), self)
        self.application.heartbeat.start()
        IOLoop.current().spawn_callback(self.push, Publish(self.viewer.require()))

    def forget_handshake(self) -> None:
        """Let go of what only the handshake needed: Tornado keeps the handler (and so its request) for
        as long as the socket is open, hours, and this is about a third of an idle socket's memory.

        Kept: the method, the path and the client's address (for a log line about this socket).
        """
        request = self.request
        request.headers.clear()   # the header fields (Tornado's get(), suspended until the socket closes, holds them)
        request.uri, request.query = request.path, ""   # the token, once more, in the query
        request.arguments, request.query_arguments = {}, {}
        request.connection = request.server_connection = None   # the HTTP/1 objects that parsed it all
        self._headers.clear()     # the answer's: 101, Upgrade, Sec-WebSocket-Accept, ...
        self.ui = None  # type: ignore[assignment]   # templates' namespace, as Tornado's _break_cycles does

    def heartbeat(self) -> None:
        """Called by :class:`Heartbeat`: cut a socket that did not answer the last ping (a client that
        reads answers at once), ping the others."""
        waiting = self.application.heartbeat.waiting
        if self in waiting:
            self.drop("no answer to the last ping")
            return
        waiting.add(self)
        try:
            self.ping()
        except tornado.websocket.WebSocketClosedError:
            pass   # closing already: on_close unsubscribes it
        except StreamBufferFullError:
            self.drop(f"{MAX_QUEUED_BYTES} bytes queued")

    def on_pong(self, data: bytes) -> None:
        self.application.heartbeat.waiting.discard(self)

    def on_message(self, message: str | bytes) -> None:
        """``{"type": "watch", "post_id": N}`` (or ``question_id``): new items of that thread from now on,
        once the answer ``{"type": "watching", "post_id": N}`` has come.

        A message that is not one gets ``{"type": "error", "detail": ...}``; over 64 KiB Tornado closes (1009).
        """
        try:
            topic = watch_topic(orjson.loads(message))
            watching = self.application.hub.watching(self)
            if topic not in watching and len(watching) >= MAX_WATCHES:
                raise BadRequest(_l("a socket watches at most %(num)d threads", num=MAX_WATCHES))
        except (orjson.JSONDecodeError, BadRequest) as exc:
            detail = exc.detail if isinstance(exc, BadRequest) else "messages are JSON"
            self.forward(orjson.dumps({"type": "error", "detail": detail}).decode())
            return
        self.application.hub.watch(topic, self)
        kind, _, thread_id = topic.partition(":")
        self.send({"type": "watching", f"{kind}_id": int(thread_id)})   # from now on, nothing is missed

    def on_close(self) -> None:
        if self.viewer.user_id is not None:
            self.application.hub.unsubscribe(self.viewer.user_id, self)
        self.application.hub.unwatch_all(self)
        self.application.heartbeat.waiting.discard(self)

    def forward(self, text: str) -> None:
        """Called by the hub on the loop: queue ``text`` and return at once (never wait for this client).

        The frame goes straight to the stream, built once for every watcher of a thread (:func:`text_frame`).
        ``write_message`` frames the text again for each socket and wraps each write in a task of its own:
        measured on 5,000 sockets, 50-100 µs of the loop's CPU a socket against 18-27 µs for this
        (``loadtests/RESULTS.md``, "Long connections").
        """
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            return   # closing already: on_close unsubscribes it
        try:
            connection.stream.write(text_frame(text))  # type: ignore[union-attr]
        except StreamClosedError:
            pass     # the client went away meanwhile: on_close unsubscribes it
        except StreamBufferFullError:
            self.drop(f"{MAX_QUEUED_BYTES} bytes queued")

    def drop(self, why: str) -> None:
        """Close the socket of a client that stopped reading, with no close frame: it would not be read
        either. Its ``on_close`` takes it out of the hub."""
        connection = self.ws_connection
        if connection is not None:   # None once it is closed
            log.warning("closing a socket of user %s: it stopped reading (%s)", self.viewer.user_id, why)
            connection.stream.close()  # type: ignore[union-attr]

    def notify(self, event: Publish) -> None:
        """Called by the hub on the loop: push without making the hub wait for the database."""
        IOLoop.current().spawn_callback(self.push, event)

    async def push(self, event: Publish) -> None:
        """The new notification (if the event names one), then the unread count as it is now; but first
        the credential, so a user who was banned meanwhile is disconnected (1008) instead."""
        try:
            if not await self.still_signed_in():
                self.close(1008, "credentials revoked")
                return
            if event.notification_id is not None:
                note = await self.run(get_notification(self.viewer, event.notification_id))
                if note is not None:
                    self.send({"type": "notification", "notification": note})
            count = await self.run(unread_count(self.viewer))
            self.send({"type": "unread_count", "count": count["count"]})
        except ForumError as exc:   # the database is unavailable: the client reads the list later
            log.warning("could not push to user %s: %s", self.viewer.user_id, exc.detail)

    def send(self, message: dict[str, Any]) -> None:
        self.forward(orjson.dumps(message).decode())


@functools.lru_cache(maxsize=16)
def text_frame(text: str) -> bytes:
    """``text`` as a server's WebSocket frame (RFC 6455: final, text, unmasked, uncompressed).

    The hub hands every watcher of a thread the same ``str``, so the cache builds its frame once per
    message (the lookup compares the very object) and every stream is given the same bytes. No socket
    here negotiates compression (``get_compression_options`` is Tornado's default, None).
    """
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n <= 0xFFFF:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


def socket_url() -> URLSpec:
    return url(r"/ws/notifications$", NotificationsSocket, name="notifications_socket")


class SocketApplication(tornado.web.Application):
    """A Tornado application that serves the socket and the event stream in front of ``routes``.

    The notifier process of the gunicorn/uWSGI flavours passes ``/healthz`` only; the wsgi-container
    passes its WSGI fallback, so Flask answers everything else from the same port.
    """

    def __init__(self, settings: Settings, db: CoroutineDatabase, hub: Hub, routes: list[Any]) -> None:
        self.forum_settings = settings
        self.db = db
        self.hub = hub
        self.heartbeat = Heartbeat(hub, settings.ws_ping_interval)
        self.services = Services(keys=Keys.from_settings(settings))   # the sockets only read: keys suffice
        self.in_flight = 0   # HealthHandler counts requests, as in the forum's application
        super().__init__([socket_url(), events_url(), *routes], default_handler_class=NotFoundHandler,
                         **socket_settings(settings))

    async def close(self) -> None:
        await self.hub.close()


def notifier_app(settings: Settings, db: CoroutineDatabase) -> SocketApplication:
    """The notifier process: ``/ws/notifications`` and ``/healthz``, fed by Redis or, on one host
    without it, by the workers' lines on its Unix socket (``settings.notifier_socket``)."""
    hub = Hub(settings, inbox=settings.notifier_socket)
    return SocketApplication(settings, db, hub, [url(r"/healthz$", HealthHandler, {"label": "/healthz"})])
