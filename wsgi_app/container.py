"""Flask inside Tornado: ``forum serve wsgi-container``.

Tornado's HTTPServer speaks HTTP on an event loop; ``WSGIContainer`` turns each request into a WSGI
call of the Flask app. A WSGI call blocks until the view returns, so it must not run on the event
loop: given an ``executor`` the container runs it on a thread pool and the loop stays free to accept
and read other requests (tornado #3299). Without one (``--no-executor``) every request runs on the
loop itself, one at a time: kept only as a labelled baseline for the comparison.

The same Tornado application serves ``/ws/notifications`` in front of the WSGI fallback (the socket
handler of :mod:`async_app.handlers.ws`, reading with a small coroutine pool of its own). The two
apps never import each other, so that application is handed in by the command line
(``shared.cli.wsgi_servers``), the one place that imports both. Flask views announce new
notifications to this process's hub, from their executor threads; with ``FORUM_REDIS_URL`` the hub
goes through Redis, so notifications made by other processes arrive too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import tornado.web
from flask import Flask
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerRequest
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets
from tornado.wsgi import WSGIContainer

from shared import http, i18n
from shared.config import ServeOptions, Settings
from shared.errors import PROBLEM_CONTENT_TYPE, ForumError, problem
from shared.notifier import Hub
from shared.stopping import ignore_repeated_sigterm
from shared.storage.drivers import CoroutineDatabase, open_async
from wsgi_app import create_app, db, settings_as_config

log = logging.getLogger("forum.wsgi-container")

# Makes the Tornado application that serves the socket in front of the given routes:
# (settings, its pool, its hub, routes) -> the application (async_app.handlers.ws.SocketApplication).
SocketApp = Callable[[Settings, CoroutineDatabase, Hub, list[Any]], tornado.web.Application]


class CountingWSGIContainer(WSGIContainer):
    """A WSGIContainer that knows how many requests it is still answering (for a graceful stop)."""

    def __init__(self, app: Any, executor: ThreadPoolExecutor | None) -> None:
        super().__init__(app, executor=executor)
        self.in_flight = 0

    async def handle_request(self, request: HTTPServerRequest) -> None:
        self.in_flight += 1
        try:
            await super().handle_request(request)
            # The answer is now queued on the connection, not necessarily sent: a long one may still
            # be in the stream's buffer. An empty write resolves once everything before it is written.
            if isinstance(request.connection, HTTP1Connection):
                with contextlib.suppress(StreamClosedError):   # the client has gone: nothing left to send
                    await request.connection.stream.write(b"")
        finally:
            self.in_flight -= 1


@tornado.web.stream_request_body
class WSGIFallback(tornado.web.RequestHandler):
    """Every request goes to the WSGI container, but a body over the limit is refused *before* it is read.

    ``FallbackHandler`` would hand requests over after Tornado has buffered the whole body; streaming
    the body in here lets us answer 413 from the ``Content-Length`` alone (RELIABILITY 14).
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, container: CountingWSGIContainer, max_body: int) -> None:
        self.container = container
        self.max_body = max_body
        self.chunks: list[bytes] = []

    def prepare(self) -> None:
        try:
            http.check_length(self.request.headers.get("Content-Length"), self.max_body)
        except ForumError as exc:   # 413 (or 400 for a malformed length), in the app's own words
            answer = problem(exc, i18n.from_accept_language(self.request.headers.get("Accept-Language")))
            self.set_status(answer.status)
            self.set_header("Content-Type", PROBLEM_CONTENT_TYPE)
            self.finish(orjson.dumps(answer.body))
            return
        self.request.connection.set_max_body_size(self.max_body)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def forward(self, *_args: str) -> None:
        """Hand the request, body complete, to the WSGI app; the container writes the answer."""
        self.request.body = b"".join(self.chunks)
        self.container(self.request)
        self._finished = True   # as FallbackHandler does: the container owns the connection now
        self.on_finish()

    get = head = post = delete = patch = put = options = forward  # type: ignore[assignment]


def serve(settings: Settings, options: ServeOptions, socket_app: SocketApp) -> int:
    """Run until SIGTERM or SIGINT; then finish the requests in flight and exit 0."""
    return asyncio.run(_serve(settings, options, socket_app))


async def _serve(settings: Settings, options: ServeOptions, socket_app: SocketApp) -> int:
    app: Flask = create_app(settings_as_config(settings))
    executor = None if options.no_executor else ThreadPoolExecutor(options.executor_threads, "wsgi")
    container = CountingWSGIContainer(app, executor)
    max_body = http.largest_body(settings)
    sockets_db = await open_async(settings)
    hub = Hub(settings)
    await hub.start()
    app.extensions["forum.publish"] = hub.publish   # read by wsgi_app.db.publisher()
    app.extensions["forum.alone"] = True   # one process: every revocation is made here (shared.revocation)
    # The WebSocket first, then everything else to Flask.
    tornado_app = socket_app(settings, sockets_db, hub, [
        (r".*", WSGIFallback, {"container": container, "max_body": max_body}),
    ])
    server = HTTPServer(tornado_app, max_body_size=max_body,
                        max_header_size=http.HEADER_READ_LIMIT)   # an over-long head gets the app's 431
    sockets = bind_sockets(options.port, options.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]

    # WSGIContainer logs each request to tornado.access; our AccessLog middleware already does.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)

    if executor is None:
        how = "Flask ON THE EVENT LOOP, no executor: the blocking baseline, one request at a time"
        log.warning("serving without an executor: every request blocks the event loop (a teaching baseline)")
    else:
        how = f"Flask on a {options.executor_threads}-thread executor"
    print(f"forum: wsgi-container serving on http://{options.host}:{port}/ ({how}; pid {os.getpid()})", flush=True)

    await stopping.wait()
    ignore_repeated_sigterm(loop)
    log.info("stopping: no new connections; finishing %d request(s) in flight", container.in_flight)
    server.stop()
    hub.close_sockets(1001, "server shutting down")   # sockets are not requests in flight
    deadline = time.monotonic() + settings.grace_period
    # Flask's requests, and the Tornado front's own (event streams just told to end by the hub)
    while (container.in_flight or getattr(tornado_app, "in_flight", 0)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await server.close_all_connections()
    if executor is not None:
        executor.shutdown(wait=True)
    db.close(app)
    await hub.close()
    await sockets_db.close()
    return 0
