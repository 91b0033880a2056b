"""``GET /api/v1/events``: the caller's notifications as Server-Sent Events (``shared/events.py``).

An open stream is a coroutine asleep on an ``asyncio.Event``: subscribed to the process's hub like a
WebSocket, it is woken when its user has news, reads what is new with one operation and writes it,
and otherwise writes a comment line every 15 s. While it sleeps it costs the loop a few objects and
a socket, so one process holds thousands; the hub's socket limit counts streams too (503 beyond).

Waking is all the hub does: what to send is read after the last id sent, so wake-ups that arrive
while a write is under way fold into one read, and a client that stops reading holds nothing but
its own coroutine (which gives up once a write has waited ``WRITE_TIMEOUT``).

The Tornado forum serves it, and so does the wsgi-container's Tornado front (in front of Flask) and
the notifier process beside gunicorn/uWSGI (``SocketApplication``).
"""

from __future__ import annotations

import asyncio
import logging

from tornado.iostream import StreamClosedError
from tornado.web import URLSpec, url

from async_app.handlers.api.base import ApiHandler
from shared import events, http
from shared.errors import Unavailable
from shared.i18n import _l
from shared.storage import notifications
from shared.storage.effects import Publish
from shared.storage.sessions import COOKIE_NAME, stream_caller

log = logging.getLogger("forum.events")

WRITE_TIMEOUT = 60.0   # seconds a write may wait for a client that does not read, then the stream ends


class EventsHandler(ApiHandler):
    def initialize(self, label: str | None = None) -> None:
        super().initialize(label)
        self.news = asyncio.Event()   # set by the hub (notify), by close and by a client that went away
        self.ended = False

    async def get(self) -> None:
        viewer = await self.admit()
        after = events.last_event_id(self.request.headers.get("Last-Event-ID"))
        hub = self.application.hub
        if hub.full():
            raise Unavailable(_l("This server holds as many streams as it can; try again shortly."), retry_after=10)
        for name, value in events.HEADERS.items():
            self.set_header(name, value)
        self.set_header("Content-Type", events.CONTENT_TYPE)
        hub.subscribe(viewer.require(), self)
        try:
            # subscribed before the first read, and the head goes out with that read's events: a client
            # that has the answer's head misses nothing it does next
            self.write(events.RETRY)
            after, count = await self.catch_up(after, None)
            while not self.ended:
                try:
                    await asyncio.wait_for(self.news.wait(), events.HEARTBEAT_SECONDS)
                except TimeoutError:
                    await self.send(events.KEEPALIVE)
                    continue
                self.news.clear()
                if not self.ended:
                    after, count = await self.catch_up(after, count)
        except StreamClosedError:
            pass   # the client went away
        except TimeoutError:   # a write waited too long: the client stopped reading
            log.warning("ending the event stream of user %s: it stopped reading", viewer.user_id)
            self.request.connection.stream.close()  # type: ignore[union-attr]
        finally:
            hub.unsubscribe(viewer.require(), self)

    async def catch_up(self, after: int | None, count: int | None) -> tuple[int, int]:
        """Send the notifications after ``after`` and the unread count if it is not ``count``;
        the id and the count to go on from."""
        while True:
            batch = await self.run(notifications.events_after(self.viewer, after))
            await self.send(events.render(batch, count))
            after, count = batch["last_id"], batch["count"]
            if not batch["more"]:
                return after, count

    async def send(self, chunk: bytes) -> None:
        self.write(chunk)
        await asyncio.wait_for(self.flush(), WRITE_TIMEOUT)

    async def find_viewer(self) -> None:
        """``?token=`` or the login cookie, besides the bearer header: ``EventSource`` sets no header."""
        self.viewer = await self.run(stream_caller(self.request.headers.get("Authorization", ""),
                                                   self.get_query_argument("token", None),
                                                   self.get_cookie(COOKIE_NAME)))
        self.current_user = self.viewer.user_id

    def notify(self, event: Publish) -> None:
        """Called by the hub on the loop: the user has news (a notification, or a changed count)."""
        self.news.set()

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Called by the hub (a graceful stop, a ban): end the stream; the client reconnects after ``retry``."""
        self.ended = True
        self.news.set()

    def on_connection_close(self) -> None:
        self.close()
        super().on_connection_close()


def events_url() -> URLSpec:
    """The stream's URLSpec, for every application that serves it."""
    label = http.BASE + "/events"
    return url(label + "$", EventsHandler, {"label": label}, name="events")
