"""Two WSGI middlewares of our own, written as plain WSGI so a reader can see what a middleware is.

WSGI (PEP 3333) has two sides. The *server* (gunicorn, uWSGI, Tornado's WSGIContainer, Werkzeug's
development server) turns HTTP into a call ``application(environ, start_response)``; the
*application* (our Flask app) answers by calling ``start_response(status, headers)`` and returning
an iterable of body bytes. A *middleware* is both at once: an application to the server, a server to
the application it wraps. Nothing more than a callable wrapping a callable:

    application = AccessLog(TrustedProxies(flask_app.wsgi_app, trusted))

Flask's own ``app.wsgi_app`` is the documented place to put them (``create_app`` does it).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

access_log = logging.getLogger("forum.access")

# A client may send its own request id (to follow one request through logs); we keep it only when
# it is short and plain, so nothing odd reaches the logs.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class TrustedProxies:
    """Take the client address from ``X-Real-IP`` / ``X-Forwarded-For`` only when nginx sent them.

    Behind a proxy every request comes from the proxy's address; the proxy says who the client was
    in a header. Any client can send that header too, so we believe it only when the connection
    itself comes from a proxy we trust (``settings.trusted_proxies``, loopback by default). Then
    ``REMOTE_ADDR`` is rewritten and everything after (rate limits, logs) sees the real client.
    """

    def __init__(self, app: WSGIApp, trusted: str) -> None:
        self.app = app
        self.trusted = {str(ipaddress.ip_address(a.strip())) for a in trusted.split(",") if a.strip()}

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR") in self.trusted:
            client = self._client(environ)
            if client:
                environ["forum.proxy_addr"] = environ["REMOTE_ADDR"]
                environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)

    @staticmethod
    def _client(environ: WSGIEnviron) -> str | None:
        # nginx (deploy/nginx) sets X-Real-IP and *replaces* X-Forwarded-For with one address; if a
        # chain arrives anyway, the last entry is the one our proxy added.
        candidates = [environ.get("HTTP_X_REAL_IP", ""), environ.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1]]
        for raw in candidates:
            try:
                return str(ipaddress.ip_address(raw.strip()))
            except ValueError:
                continue
        return None


class AccessLog:
    """Give each request an id, time it, and write one access-log line when its body is sent.

    The line is written when the server *closes* the body iterable (PEP 3333 promises that call),
    so the time includes streaming the body, not just running the view.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = sent if _CLIENT_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        environ["forum.request_id"] = request_id
        started = time.perf_counter()
        status = ["-"]

        def start_response_with_id(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            headers.append(("X-Request-Id", request_id))
            return start_response(code, headers, exc_info)

        body = self.app(environ, start_response_with_id)

        def log_line() -> None:
            access_log.info(
                "%s %s %s %s %.1fms id=%s server=%s", environ.get("REMOTE_ADDR", "-"), environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"), status[0], (time.perf_counter() - started) * 1000, request_id, environ.get("SERVER_SOFTWARE", "-"))

        return _ClosingBody(body, log_line)


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
