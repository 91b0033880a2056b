"""Four WSGI middlewares of our own, written as plain WSGI so a reader can see what a middleware is.

WSGI (PEP 3333) has two sides. The *server* (gunicorn, uWSGI, Tornado's WSGIContainer, Werkzeug's
development server) turns HTTP into a call ``application(environ, start_response)``; the
*application* (our Flask app) answers by calling ``start_response(status, headers)`` and returning
an iterable of body bytes. A *middleware* is both at once: an application to the server, a server to
the application it wraps. Nothing more than a callable wrapping a callable:

    application = AccessLog(ServerTiming(TrustedProxies(RequestLimits(flask_app.wsgi_app, settings), settings), settings))

Flask's own ``app.wsgi_app`` is the documented place to put them (``create_app`` does it).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared import http, i18n, xray
from shared.config import Settings
from shared.errors import BadRequest, ForumError, problem
from shared.i18n import _l
from wsgi_app.responses import problem_response

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

access_log = logging.getLogger("forum.access")


class TrustedProxies:
    """Take the client address from ``X-Real-IP`` / ``X-Forwarded-For`` only when nginx sent them.

    Behind a proxy every request comes from the proxy's address; the proxy says who the client was
    in a header. Any client can send that header too, so it is believed only when the connection
    itself comes from a proxy we trust (``settings.trusted_proxies``, none unless configured): the rule
    of ``shared.http.client_address``, which the Tornado app follows too. ``REMOTE_ADDR`` is then
    rewritten, so everything after (rate limits, logs) sees the real client.
    """

    def __init__(self, app: WSGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")

        def header(name: str) -> str | None:
            value: str | None = environ.get("HTTP_" + name.upper().replace("-", "_"))
            return value

        environ["forum.peer"] = peer   # the connection's own peer (the pages' Secure-cookie rule asks about it)
        environ["REMOTE_ADDR"] = http.client_address(peer, header, self.settings)
        return self.app(environ, start_response)


class RequestLimits:
    """The limits on a request's head and body that the WSGI servers each apply differently, applied once.

    Header fields over ``http.MAX_HEADER_BYTES`` together get the app's 431, as on Tornado.

    A body sent without ``Content-Length`` (``Transfer-Encoding: chunked``) has no length that WSGI
    (PEP 3333) could pass on. gunicorn and Werkzeug's server de-chunk it and say so with
    ``wsgi.input_terminated``, Tornado's WSGIContainer hands it over read, and uWSGI only through its
    own ``uwsgi.chunked_read()``; Werkzeug then reads it up to the route's limit and quietly stops
    there (a cut-off body: 400 instead of 413). So it is read here, at most one byte more than the
    largest route takes, and passed on with its ``Content-Length``, as nginx passes it: the app's
    usual length check then answers 413 with the route's own limit. A body that cannot be read (a
    broken chunk size) is a 400, never the server's exception.
    """

    def __init__(self, app: WSGIApp, settings: Settings) -> None:
        self.app = app
        self.most = http.largest_body(settings) + 1   # one byte more than any route takes

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        try:
            http.check_headers((name[5:], str(value)) for name, value in environ.items() if name.startswith("HTTP_"))
            if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get("CONTENT_LENGTH"):
                body = self.read_unsized(environ)
                environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
                environ.pop("HTTP_TRANSFER_ENCODING")
                environ.pop("wsgi.input_terminated", None)
        except ForumError as exc:
            locale = i18n.from_accept_language(environ.get("HTTP_ACCEPT_LANGUAGE"))
            return problem_response(problem(exc, locale))(environ, start_response)
        return self.app(environ, start_response)

    def read_unsized(self, environ: WSGIEnviron) -> bytes:
        """The de-chunked body, up to ``self.most`` bytes; 400 if the server cannot read it."""
        read: Callable[[int], bytes] = environ["wsgi.input"].read
        if "uwsgi.version" in environ:   # uWSGI's router passes the chunks on for the app to read
            import uwsgi

            def read(size: int) -> bytes:
                return uwsgi.chunked_read() or b""
        chunks: list[bytes] = []
        size = 0
        try:
            while size < self.most and (chunk := read(min(64 * 1024, self.most - size))):
                chunks.append(chunk)
                size += len(chunk)
        except Exception as exc:   # each server has its own: gunicorn's InvalidChunkSize, OSError ...
            raise BadRequest(_l("The request body could not be read.")) from exc
        return b"".join(chunks)[:self.most]


class AccessLog:
    """Give each request an id, time it, and write one access-log line when its body is sent.

    The id (the client's ``X-Request-Id`` when it sends a plain one) is in ``environ`` for the app's
    own log lines, so an error's traceback and its access line can be matched up.

    The line is written when the server *closes* the body iterable (PEP 3333 promises that call),
    so the time includes streaming the body, not just running the view.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request_id = xray.request_id(environ.get("HTTP_X_REQUEST_ID"))   # the client's, when short and plain
        environ["forum.request_id"] = request_id
        started = time.perf_counter()
        status = ["-"]

        def start_response_noting_status(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        body = self.app(environ, start_response_noting_status)

        def log_line() -> None:
            access_log.info(
                "%s %s %s %s %.1fms id=%s server=%s", environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"), status[0], (time.perf_counter() - started) * 1000, request_id, environ.get("SERVER_SOFTWARE", "-"))

        return _ClosingBody(body, log_line)


class ServerTiming:
    """Trace each request (:mod:`shared.xray`): where its time went, in a ``Server-Timing`` header.

    The trace lives in a context variable while the app runs, on the thread (or greenlet) that runs
    the request, so the runner and the pool note into it without being handed anything. The header
    joins the others in ``start_response``, once the view has returned: the database, the wait for a
    connection and Compute are all counted by then. With ``FORUM_DEBUG`` the trace is kept for the
    X-ray pages (``/debug/requests``).
    """

    def __init__(self, app: WSGIApp, settings: Settings) -> None:
        self.app = app
        self.debug = settings.debug

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        trace = xray.begin(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                           environ["forum.request_id"], "flask", self.debug)

        def start_response_timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("Server-Timing", xray.server_timing(trace)))
            xray.finish(trace, int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start_response_timed)
        finally:
            xray.end()


class _ClosingBody:
    """The wrapped app's body, passed through unchanged; ``close()`` also runs ``on_close``."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self.body = body
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()
