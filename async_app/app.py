"""The Tornado application: named URLSpecs for every route, and what the handlers share.

Like Tornado's ``demos/blog``, an ``Application`` subclass holds the process's resources — the
database pool, the rate limiter, the link-preview HTTP client — made once per process, after any
fork, and reached from handlers as ``self.application.db`` and so on.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import tornado.web
from tornado.web import URLSpec

from async_app.handlers.api import url_specs
from async_app.handlers.api.linkpreview import make_client
from async_app.handlers.base import BaseHandler, NotFoundHandler, ProblemMixin
from async_app.handlers.health import HealthHandler, MetricsHandler, ReadyHandler
from shared import metrics
from shared.config import Settings
from shared.linkpreview import allow_list
from shared.ratelimit import make_async_limiter
from shared.storage.drivers import CoroutineDatabase

access_log = logging.getLogger("tornado.access")
STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


class FileHandler(ProblemMixin, tornado.web.StaticFileHandler):
    """Static files and uploaded media; ``nosniff`` so an upload is never run as another type."""

    label = "/static/{path}"

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


class MediaHandler(FileHandler):
    label = "/media/{path}"


class ForumApplication(tornado.web.Application):
    def __init__(self, settings: Settings, db: CoroutineDatabase) -> None:
        self.forum_settings = settings
        self.db = db
        self.limiter = make_async_limiter(settings)
        self.http_client = make_client(allow_list(settings))
        self.in_flight = 0   # requests started and not finished: what a graceful stop waits for
        media_url = "/" + settings.media_url.strip("/") + "/"
        handlers: list[Any] = [
            URLSpec(r"/healthz$", HealthHandler, {"label": "/healthz"}, name="healthz"),
            URLSpec(r"/readyz$", ReadyHandler, {"label": "/readyz"}, name="readyz"),
            URLSpec(r"/metrics$", MetricsHandler, {"label": "/metrics"}, name="metrics"),
            *url_specs(),
            URLSpec(media_url + "(.*)", MediaHandler, {"path": settings.media_dir}, name="media"),
        ]
        super().__init__(
            handlers,
            default_handler_class=NotFoundHandler,
            static_path=STATIC_DIR,
            static_url_prefix="/static/",
            static_handler_class=FileHandler,
            serve_traceback=False,
        )

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Called once per finished request: count it for /metrics and write the access line."""
        status = handler.get_status()
        seconds = handler.request.request_time()
        metrics.observe(getattr(handler, "label", metrics.UNMATCHED), handler.request.method or "", status, seconds)
        address = handler.client_address if isinstance(handler, BaseHandler) else handler.request.remote_ip
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        if access_log.isEnabledFor(level):
            access_log.log(level, "%d %s %s (%s) %.2fms", status, handler.request.method, handler.request.uri,
                           address, 1000 * seconds)

    async def close(self) -> None:
        """Release what the application made (the pool is the server's: it closes it last)."""
        self.http_client.close()
        await self.limiter.store.close()


def make_app(settings: Settings, db: CoroutineDatabase) -> ForumApplication:
    return ForumApplication(settings, db)
