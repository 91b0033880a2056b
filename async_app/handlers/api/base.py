"""``ApiHandler``: what every handler of the JSON API shares, so that each resource handler stays short.

The route's rules come from ``shared.routes.ROUTES`` (the Flask app reads the same table), keyed by
method and the path template this URLSpec serves (its ``label``): who may call it, its success
status, its body limit and its throttle. A resource handler's method reads as the request goes::

    viewer = await self.admit()              # 405, 401, 404 for huge ids, 429
    self.answer(await self.run(posts.update_post(viewer, int(post_id), self.json_body())))

The body is streamed (``@stream_request_body``) so limits hold *before* buffering (RELIABILITY 14):
``prepare`` runs when the headers arrive and refuses a declared ``Content-Length`` over the route's
limit with 413; chunks beyond the limit are counted but never kept. Every other check waits for the
method, which Tornado calls once the body has arrived: an answer given earlier closes the connection.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import tornado.httputil
import tornado.web

from async_app.handlers.base import BaseHandler
from shared import http
from shared.auth import Viewer
from shared.errors import MethodNotAllowed
from shared.ratelimit import throttle_route
from shared.routes import ROUTES, Route
from shared.validation import check_id, parse_json

ROUTE_TABLE: dict[tuple[str, str], Route] = {(route.method, http.label(route)): route for route in ROUTES}

# A refused body is still read (and dropped) up to this size, so the client gets to read our 413
# instead of a reset connection; beyond it the connection is simply closed.
DRAIN_LIMIT = 16 * 1024 * 1024


@functools.cache
def _id_names(path: str) -> tuple[str, ...]:
    """What each id of a route's path names (``/posts/{post_id}`` → ``post``), for its 404."""
    return tuple(name.removesuffix("_id") for name in re.findall(r"{(\w+)}", path))


@tornado.web.stream_request_body
class ApiHandler(BaseHandler):
    def initialize(self, label: str | None = None) -> None:
        super().initialize(label)
        self.chunks: list[bytes] = []
        self.received = 0
        self.limit = 0

    def allowed_methods(self) -> list[str]:
        """The methods the route table declares for this path (for 405's ``Allow``)."""
        return [method for method, label in ROUTE_TABLE if label == self.label]

    @property
    def route(self) -> Route:
        """This request's route (known to exist once :meth:`admit` has returned)."""
        return ROUTE_TABLE[(self.request.method or "", self.label)]

    async def prepare(self) -> None:
        """Only what must be refused before the body arrives: a declared body over the limit (413)."""
        self.reading_body = True
        route = ROUTE_TABLE.get((self.request.method or "", self.label))
        self.limit = http.body_limit(route, self.application.forum_settings)
        self.request.connection.set_max_body_size(max(self.limit, DRAIN_LIMIT))  # type: ignore[union-attr]
        http.check_length(self.request.headers.get("Content-Length"), self.limit)

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received <= self.limit:
            self.chunks.append(chunk)

    async def admit(self) -> Viewer:
        """The route's rules once the body has arrived: method (405), caller (401), path ids (404),
        rate limit (429) — in this order in both flavours, so a client sees the same first error."""
        self.reading_body = False
        if (self.request.method, self.label) not in ROUTE_TABLE:
            raise MethodNotAllowed(self.allowed_methods())
        await self.find_viewer()
        route = self.route
        if route.who == "user":
            self.viewer.require()
        for value, name in zip(self.path_args, _id_names(route.path), strict=True):
            check_id(int(value), name)
        await self.run(throttle_route(route.method, route.path, self.viewer.user_id, self.client_address))
        return self.viewer

    async def not_served(self, *args: Any, **kwargs: Any) -> None:
        """A method this resource does not define: 405 from :meth:`admit`, like any other refusal.

        Tornado's own default answers 405 too, but as if the body were still arriving (Connection: close).
        """
        await self.admit()

    get = post = put = patch = delete = not_served

    @property
    def body(self) -> bytes:
        """The request body; 413 if a body without Content-Length outgrew the route's limit."""
        if self.received > self.limit:
            raise http.body_too_large(self.limit)
        return b"".join(self.chunks)

    def json_body(self) -> Any:
        """The decoded JSON body: 415 unless declared as JSON, 400 unless it is JSON."""
        http.require_json(self.request.headers.get("Content-Type"))
        return parse_json(self.body)

    def upload(self) -> bytes:
        """The uploaded file's bytes from the route's multipart field (422 when it is missing)."""
        content_type = self.request.headers.get("Content-Type")
        http.require_multipart(content_type, self.body)
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        try:
            tornado.httputil.parse_body_arguments(content_type or "", self.body, arguments, files)
        except tornado.httputil.HTTPInputError as exc:
            raise http.unreadable_upload() from exc
        sent = files.get(http.UPLOAD_FIELDS[self.route.path])
        if not sent:
            raise http.missing_upload(self.route)
        return sent[0].body

    @property
    def media_dir(self) -> str:
        """Where uploads are written (the operations that store images take it)."""
        return self.application.forum_settings.media_dir

    def answer(self, value: Any) -> None:
        """The operation's value as JSON with the route's success status (201 for creations, 204 empty)."""
        self.write_json(value, self.route.status)
