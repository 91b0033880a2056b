"""``GET /ws/notifications``: the unread count on connect, then each notification the moment it is made.

The caller is found *before* the upgrade (``?token=``, ``Authorization: Bearer`` or the login cookie):
an unknown caller gets a plain 401 problem+json and never a socket. Tornado's own ``check_origin``
is what we want (RELIABILITY 37): a browser page from another site is refused with 403, a client
that sends no ``Origin`` (not a browser) is let through.

Each socket subscribes to the process's :class:`shared.notifier.Hub`; on an event for its user it
checks its credential again (closing with 1008 when a ban, an erased account or a new password has
ended it: ``shared.storage.bans`` publishes ``Publish(user_id)`` for that), then reads the
notification and a fresh unread count (one read-only operation each) and sends them. A client may
send ``{"type": "watch", "post_id": N}`` (or ``question_id``): from then on it also gets each new
comment or answer of that thread, as the hub hands it over. Nothing else is expected from clients,
and a message over 64 KiB closes the socket with 1009.

Nothing the hub does waits for a client: each message is queued on the socket's write buffer, which
is bounded (``MAX_QUEUED_BYTES``); a client that stops reading fills it and is closed, while the
others get theirs.

Three Tornado applications host this handler: the Tornado forum itself, and — through
:class:`SocketApplication` — the wsgi-container process (in front of its WSGI fallback) and the
notifier process that serves the sockets of the gunicorn and uWSGI flavours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson
import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop
from tornado.iostream import StreamBufferFullError
from tornado.web import URLSpec, url

from async_app.handlers.api.events import events_url
from async_app.handlers.base import NotFoundHandler, ProblemMixin
from async_app.handlers.health import HealthHandler
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


def socket_settings(settings: Settings) -> dict[str, Any]:
    """Application settings for every app that hosts the socket. The server pings every 30 s
    (``ws_ping_interval``): well inside nginx's read timeout on /ws/ (ten pings, 300 s; RELIABILITY 23),
    and a dead peer is noticed within a minute or two."""
    return {"websocket_ping_interval": settings.ws_ping_interval, "websocket_max_message_size": MAX_MESSAGE_BYTES}


class SocketHost(Protocol):
    """What the handler needs from its application."""

    db: CoroutineDatabase
    hub: Hub
    services: Services
    forum_settings: Settings


class NotificationsSocket(ProblemMixin, tornado.websocket.WebSocketHandler):
    application: SocketHost   # type: ignore[assignment]
    label = "/ws/notifications"   # for metrics and the access log
    SUPPORTED_METHODS = ("GET",)  # anything else is 405 at once (before Tornado's XSRF check)

    def initialize(self) -> None:
        self.viewer: Viewer = ANONYMOUS
        self.watching: set[str] = set()   # topics: "post:12", "question:5"
        self.credential: Callable[[], Any] = lambda: session_viewer(None)   # how the caller signed in

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
        await super().get(*args, **kwargs)

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
        token = self.get_query_argument("token", None)
        scheme, _, bearer = self.request.headers.get("Authorization", "").partition(" ")
        if token is None and scheme.lower() == "bearer":
            token = bearer.strip()
        cookie = self.get_cookie(COOKIE_NAME)
        self.credential = (lambda: authenticate(token)) if token is not None else (lambda: session_viewer(cookie))
        viewer: Viewer = await self.run(self.credential())
        return viewer

    async def still_signed_in(self) -> bool:
        """The credential the socket opened with, checked again: a ban, an erased account or a new
        password ends it at once (RELIABILITY 49), and the operations that do so publish an event."""
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
        self.application.hub.subscribe(self.viewer.require(), self)
        IOLoop.current().spawn_callback(self.push, Publish(self.viewer.require()))

    def on_message(self, message: str | bytes) -> None:
        """``{"type": "watch", "post_id": N}`` (or ``question_id``): new items of that thread from now on,
        once the answer ``{"type": "watching", "post_id": N}`` has come.

        A message that is not one gets ``{"type": "error", "detail": ...}``; over 64 KiB Tornado closes (1009).
        """
        try:
            topic = watch_topic(orjson.loads(message))
            if topic not in self.watching and len(self.watching) >= MAX_WATCHES:
                raise BadRequest(_l("a socket watches at most %(num)d threads", num=MAX_WATCHES))
        except (orjson.JSONDecodeError, BadRequest) as exc:
            detail = exc.detail if isinstance(exc, BadRequest) else "messages are JSON"
            self.forward(orjson.dumps({"type": "error", "detail": detail}).decode())
            return
        self.watching.add(topic)
        self.application.hub.watch(topic, self)
        kind, _, thread_id = topic.partition(":")
        self.send({"type": "watching", f"{kind}_id": int(thread_id)})   # from now on, nothing is missed

    def on_close(self) -> None:
        if self.viewer.user_id is not None:
            self.application.hub.unsubscribe(self.viewer.user_id, self)
        for topic in self.watching:
            self.application.hub.unwatch(topic, self)

    def forward(self, text: str) -> None:
        """Called by the hub on the loop: queue ``text`` and return at once (never wait for this client)."""
        try:
            # The returned future resolves once the bytes are sent; nobody waits for it, so its
            # exception (the client went away meanwhile) is collected here rather than logged as lost.
            self.write_message(text).add_done_callback(lambda sent: sent.exception())
        except tornado.websocket.WebSocketClosedError:
            pass   # closing already: on_close unsubscribes it
        except StreamBufferFullError:
            log.warning("closing a socket of user %s: it stopped reading (%d bytes queued)",
                        self.viewer.user_id, MAX_QUEUED_BYTES)
            self.ws_connection.stream.close()  # type: ignore[union-attr]   # no close frame: it cannot be sent

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
