"""One handler class for the routes of ``shared.routes``: HTTP in, a shared operation, JSON out.

Each path gets its own URLSpec with this handler and the routes declared for it (``{method: Route}``),
so a route is never written twice: the table says which operation a method calls, who may call it
and what it takes. The handler's whole job is in :meth:`OperationHandler.get`.

The body is streamed (``@stream_request_body``) so limits hold *before* buffering (RELIABILITY 14):
``prepare`` runs when the headers arrive and refuses a declared ``Content-Length`` over the route's
limit with 413; chunks beyond the limit are counted but never kept.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any

import tornado.httputil
import tornado.web

from async_app.handlers.base import BaseHandler
from shared import http
from shared.errors import BadRequest, Invalid, MethodNotAllowed, PayloadTooLarge
from shared.ratelimit import throttle_route
from shared.routes import Route
from shared.storage.effects import Op
from shared.validation import check_id, parse_json

# A refused body is still read (and dropped) up to this size, so the client gets to read our 413
# instead of a reset connection; beyond it the connection is simply closed.
DRAIN_LIMIT = 16 * 1024 * 1024


@functools.cache
def operation(name: str) -> Callable[..., Op[Any]]:
    """The shared operation a route names (``"posts:get_post"`` → ``shared.storage.posts.get_post``)."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f"shared.storage.{module}"), function)  # type: ignore[no-any-return]


@tornado.web.stream_request_body
class OperationHandler(BaseHandler):
    def initialize(self, label: str | None = None, routes: dict[str, Route] | None = None) -> None:
        super().initialize(label)
        self.routes = routes or {}
        self.chunks: list[bytes] = []
        self.received = 0
        self.limit = 0

    def allowed_methods(self) -> list[str]:
        return list(self.routes)

    @property
    def route(self) -> Route:
        return self.routes[self.request.method or ""]

    async def prepare(self) -> None:
        """Only what must be refused before the body arrives (413): an answer given now closes the
        connection, so everything else (405, the caller, 401) waits for the method."""
        self.reading_body = True
        self.limit = http.body_limit(self.routes.get(self.request.method or ""), self.application.forum_settings)
        self.request.connection.set_max_body_size(max(self.limit, DRAIN_LIMIT))  # type: ignore[union-attr]
        http.check_length(self.request.headers.get("Content-Length"), self.limit)

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received <= self.limit:
            self.chunks.append(chunk)

    @property
    def body(self) -> bytes:
        """The request body; 413 if a body without Content-Length outgrew the route's limit."""
        if self.received > self.limit:
            raise PayloadTooLarge(f"The request body may have at most {self.limit} bytes.")
        return b"".join(self.chunks)

    def json_body(self) -> Any:
        """The decoded JSON body: 415 unless declared as JSON, 400 unless it is JSON."""
        http.require_json(self.request.headers.get("Content-Type"))
        return parse_json(self.body)

    def upload(self) -> bytes:
        """The uploaded file's bytes from the route's multipart field (422 when it is missing)."""
        content_type = self.request.headers.get("Content-Type")
        http.require_multipart(content_type)
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        try:
            tornado.httputil.parse_body_arguments(content_type or "", self.body, arguments, files)
        except tornado.httputil.HTTPInputError as exc:
            raise BadRequest("The multipart body could not be read.") from exc
        field = http.UPLOAD_FIELDS[self.route.path]
        if not files.get(field):
            raise Invalid.one(field, "required: send the image as this multipart field")
        return files[field][0].body

    async def get(self, *path_ids: str) -> None:
        """Every method: path ids, then the body or query the route takes, the throttle, the operation."""
        self.reading_body = False   # Tornado calls the method once the whole body has arrived
        if self.request.method not in self.routes:
            raise MethodNotAllowed(self.allowed_methods())
        await self.find_viewer()
        route = self.route
        if route.who == "user":
            self.viewer.require()
        names = re.findall(r"{(\w+)}", route.path)
        args: list[Any] = [self.viewer]
        args += [check_id(int(value), name.removesuffix("_id")) for value, name in zip(path_ids, names, strict=True)]
        settings = self.application.forum_settings
        await self.application.limiter.run(
            throttle_route(route.method, route.path, self.viewer.user_id, self.client_address))
        if route.takes == "body":
            args.append(self.json_body())
        elif route.takes == "query":
            args.append(self.query())
        elif route.takes == "upload":
            args += [self.upload(), settings.media_dir]
        self.write_json(await self.call(route, args), route.status)

    post = put = patch = delete = get

    async def call(self, route: Route, args: list[Any]) -> Any:
        """Run the route's operation; subclasses wrap this (login's limits) or replace it."""
        return await self.run(operation(route.op)(*args))
