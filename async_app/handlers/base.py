"""The base of every Tornado handler: who is asking, running an operation, and problem+json errors.

Every error a client can see leaves through :meth:`BaseHandler.write_error`, Tornado's one exit for
exceptions: a ``ForumError`` raised anywhere (a handler, an operation, a driver) becomes its
``problem()`` answer, Tornado's own ``HTTPError`` (a 405, an undecodable argument) becomes the
matching problem, and anything else a generic 500 with no traceback (logged here, never sent).
"""

from __future__ import annotations

import logging
from asyncio import Future
from typing import TYPE_CHECKING, Any

import orjson
import tornado.web

from shared import http, i18n, xray
from shared.auth import ANONYMOUS, Viewer
from shared.errors import (
    PROBLEM_CONTENT_TYPE,
    ForumError,
    MethodNotAllowed,
    NotFound,
    Problem,
    problem,
    problem_for_status,
)
from shared.storage.effects import Op
from shared.storage.runners import run_async
from shared.storage.sessions import authenticate

if TYPE_CHECKING:
    from async_app.app import ForumApplication

log = logging.getLogger("forum.tornado")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class ProblemMixin(tornado.web.RequestHandler):
    """Every error as problem+json, for our handlers and for Tornado's static file handler alike."""

    reading_body = False   # True while a streamed body is still arriving (see api.base.ApiHandler)

    def write_problem(self, answer: Problem) -> None:
        self.clear()   # drop headers a half-done answer may have set
        if self.reading_body:   # Tornado will close the connection rather than read the rest: say so
            self.set_header("Connection", "close")
        self.set_status(answer.status)
        for name, value in answer.headers.items():
            self.set_header(name, value)
        self.set_header("Content-Type", PROBLEM_CONTENT_TYPE)
        self.finish(orjson.dumps(answer.body))

    def flush(self, include_footers: bool = False) -> Future[None]:
        """The answer's head goes out with the first flush: it carries the request's ``Server-Timing``
        (``shared.xray``; the trace was begun in ``ForumApplication.find_handler``)."""
        trace = xray.current()
        if trace is not None and not self._headers_written:
            self.set_header("Server-Timing", xray.server_timing(trace))
        return super().flush(include_footers)

    def allowed_methods(self) -> list[str]:
        """The methods this handler implements (for 405's ``Allow``)."""
        base = tornado.web.RequestHandler
        return [m for m in METHODS if getattr(type(self), m.lower()) is not getattr(base, m.lower())]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        # detail and field messages in the client's language; type, title and status never change
        locale = i18n.from_accept_language(self.request.headers.get("Accept-Language"))
        if isinstance(exc, ForumError) or status_code >= 500:
            answer = problem(exc or Exception(), locale)
        elif status_code == 405:
            answer = problem(MethodNotAllowed(self.allowed_methods()), locale)
        else:
            answer = problem_for_status(status_code, locale=locale)
        self.write_problem(answer)

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        """A ForumError is an answer, not a failure: only unexpected exceptions get a traceback in the log."""
        if isinstance(value, ForumError):
            if value.status >= 500:
                log.warning("%s %s: %s", self.request.method, self.request.uri, value.detail)
            return
        super().log_exception(typ, value, tb)


class BaseHandler(ProblemMixin):
    application: ForumApplication
    label = "unmatched"   # the route template, for metrics and logs (set by the URLSpec's kwargs)

    def initialize(self, label: str | None = None) -> None:
        if label is not None:
            self.label = label
        self.viewer: Viewer = ANONYMOUS
        self.application.in_flight += 1

    def on_finish(self) -> None:
        self.application.in_flight -= 1

    @property
    def client_address(self) -> str:
        """The client's address (see ``shared.http.client_address``): rate-limit key and log field."""
        return http.client_address(self.request.remote_ip or "", self.request.headers.get,
                                   self.application.forum_settings)

    async def find_viewer(self) -> None:
        """Find the caller from ``Authorization: Bearer``; a token that is presented must be valid (401)."""
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            self.viewer = await self.run(authenticate(token.strip(), self.application.standings))
            self.current_user = self.viewer.user_id

    async def run(self, op: Op[Any]) -> Any:
        """Run one shared operation on this process's pool with the application's services (keys,
        counters, fetcher); what it publishes after the commit goes to the WebSockets."""
        return await run_async(self.application.db, op, self.application.services)

    def query(self) -> dict[str, str]:
        """The query string as ``{name: first value}`` (what operations take); bad UTF-8 is a 400."""
        return {name: self.decode_argument(values[0], name=name)
                for name, values in self.request.query_arguments.items()}

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        if status == 204:
            self.finish()
            return
        self.set_header("Content-Type", JSON_CONTENT_TYPE)
        self.finish(orjson.dumps(value))

    def compute_etag(self) -> None:
        """No ETag: the Flask flavour sends none, and a client must not be able to tell them apart."""
        return None

    def check_xsrf_cookie(self) -> None:
        """The API authenticates with a bearer token, never a cookie, so there is no XSRF to check."""


class NotFoundHandler(BaseHandler):
    """The application's ``default_handler_class``: any path no route matches is a problem+json 404."""

    async def prepare(self) -> None:
        raise NotFound("route")
