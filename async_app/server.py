"""Serving the Tornado app: bind, fork if asked, THEN open the pool; stop gracefully on SIGTERM/SIGINT.

The order matters (RELIABILITY 2, 16): sockets are bound once in the parent and inherited by the
children; every database connection is opened after the fork, so no two processes share one.

With ``--processes N`` the parent only watches its children (``tornado.process.fork_processes``
restarts one that crashes). A signal to the parent must reach them too, so the children hold the
read end of a "lifeline" pipe: the parent closes its write end on SIGTERM/SIGINT (or by dying), every
child sees end-of-file and stops gracefully, and the parent exits 0 when they all have.

A graceful stop (RELIABILITY 21): stop accepting, close every WebSocket with 1001 "going away" (a
socket is never "in flight": it would hold the stop for the whole grace period), let requests in
flight finish for up to ``grace_period`` seconds, close the remaining connections, the pool, and
exit 0.

``forum serve notifier`` runs the same loop with an application that serves only
``/ws/notifications`` and ``/healthz``: the WebSockets of the gunicorn and uWSGI flavours, fed by Redis.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

import tornado.netutil
import tornado.process
from tornado.httpserver import HTTPServer

from async_app.app import ForumApplication, make_app
from async_app.handlers.ws import SocketApplication, notifier_app
from shared import http
from shared.config import ConfigError, ServeOptions, Settings
from shared.errors import ForumError
from shared.stopping import ignore_repeated_sigterm
from shared.storage.drivers import CoroutineDatabase, check_schema_async, open_async

log = logging.getLogger("forum.tornado")


async def open_checked(settings: Settings) -> CoroutineDatabase:
    """The process's pool, once the schema is known to be current (else SchemaError, naming `forum migrate`)."""
    db = await open_async(settings)
    try:
        await check_schema_async(db)
    except BaseException:
        await db.close()
        raise
    return db


async def _preflight(settings: Settings) -> None:
    """Before forking: check the schema once, so a stale database is one line and not one per child."""
    db = await open_checked(settings)
    await db.close()


async def serve_process(settings: Settings, sockets: list[socket.socket], announce: bool,
                        lifeline: int | None = None, name: str = "tornado", alone: bool = True,
                        make: Callable[[Settings, CoroutineDatabase], ForumApplication | SocketApplication] = make_app,
                        ) -> int:
    """One serving process, from opening its pool to its graceful stop.

    ``alone``: no other process serves this forum, so every revocation is made here and what the
    app remembers about tokens can be trusted without Redis (with Redis: while the hub keeps its lease,
    shared.revocation).
    """
    db = await open_checked(settings)
    app = make(settings, db)
    await app.hub.start()   # listening to Redis (when set) before we say we are ready
    if isinstance(app, ForumApplication):
        app.start_mail()    # the outbox's sender (the notifier process sends no mail)
        if alone and not settings.redis_url:   # with Redis, the hub keeps a lease while it keeps up
            app.standings.trust()
    # max_header_size: a head over the app's limit is read, so that it gets the app's 431 (async_app/app.py)
    server = HTTPServer(app, max_body_size=http.largest_body(settings), max_header_size=http.HEADER_READ_LIMIT,
                        idle_connection_timeout=60, body_timeout=60)
    server.add_sockets(sockets)

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    if lifeline is not None:
        def parent_stopping() -> None:   # the lifeline became readable: end-of-file
            loop.remove_reader(lifeline)
            stopping.set()

        loop.add_reader(lifeline, parent_stopping)

    if announce:
        host, port = sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"forum: {name} serving on http://{shown}:{port}/ (pid {os.getpid()})", flush=True)

    await stopping.wait()
    ignore_repeated_sigterm(loop)
    server.stop()                                   # no new connections
    app.hub.close_sockets(1001, "server shutting down")
    deadline = loop.time() + settings.grace_period
    while app.in_flight > 0 and loop.time() < deadline:
        await asyncio.sleep(0.05)
    if app.in_flight > 0:
        log.warning("grace period over: dropping %d request(s) in flight", app.in_flight)
    try:
        await asyncio.wait_for(server.close_all_connections(), timeout=5)
    except TimeoutError:
        log.warning("some connections did not close in time")
    await app.close()
    await db.close()
    return 0


def return_large_buffers() -> None:
    """Make the C allocator give every large block (128 KiB and more) back to the system when it is
    freed, as it does for the first one (glibc's ``M_MMAP_THRESHOLD``, fixed at its default).

    A password hash (argon2id, 19 MiB: ``shared.auth``) is such a block, made on an executor thread.
    Left to itself glibc raises its threshold after the first one is freed, and serves the next ones
    from the thread's heap, which it keeps: about 20 MB of an idle process's memory after a few logins,
    19 MB more for each thread that hashed at the same moment (issue #18, where an idle process's
    memory is counted). Python's own objects are unaffected (its allocator maps its arenas itself).
    Only on glibc; elsewhere nothing is done.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-3, 128 * 1024)   # M_MMAP_THRESHOLD (malloc.h); setting it ends the dynamic threshold


def _run(coro: Any) -> int:
    """Run the process's loop: uvloop when installed (its loop is faster), else asyncio's own."""
    return_large_buffers()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[no-any-return]
    return uvloop.run(coro)  # type: ignore[no-any-return]


def _fork(processes: int) -> int:
    """Fork ``processes`` children and return the read end of their lifeline (the parent never returns)."""
    read_end, write_end = os.pipe()

    def stop_children(signum: int, frame: Any) -> None:
        os.close(write_end)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    signal.signal(signal.SIGTERM, stop_children)
    signal.signal(signal.SIGINT, stop_children)
    tornado.process.fork_processes(processes, max_restarts=10)   # returns only in a child
    signal.signal(signal.SIGTERM, signal.SIG_DFL)                 # before the fd can be reused
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.close(write_end)
    return read_end


def serve(settings: Settings, options: ServeOptions) -> int:
    """``forum serve tornado``: returns the exit code (0 after a graceful stop, 1 if it cannot start)."""
    logging.getLogger().setLevel(settings.log_level.upper())
    sockets = tornado.netutil.bind_sockets(options.port, options.host)
    processes = options.processes or tornado.process.cpu_count()   # 0: one per CPU
    if processes > 1 and not settings.redis_url:
        log.warning("%d processes and FORUM_REDIS_URL is not set: a WebSocket hears only the notifications "
                    "made by the process that holds it, and every request with a token asks the database "
                    "whether it was revoked", processes)
    try:
        if processes > 1:
            _run(_preflight(settings))
            lifeline = _fork(processes)
            return _run(serve_process(settings, sockets, tornado.process.task_id() == 0, lifeline, alone=False))
        return _run(serve_process(settings, sockets, announce=True))
    except (ConfigError, ForumError) as exc:   # SchemaError is a ConfigError: one line, exit 1
        print(f"forum: {exc}", file=sys.stderr, flush=True)
        return 1


def serve_notifier(settings: Settings, options: ServeOptions) -> int:
    """``forum serve notifier``: one process holding the WebSockets of the pre-fork WSGI flavours.

    Their workers publish to Redis, or (one host, no Redis) to this process's Unix socket
    ``notifier_socket``; with neither it would never hear anything: that is refused at start.
    """
    logging.getLogger().setLevel(settings.log_level.upper())
    if not (settings.redis_url or settings.notifier_socket):
        print("forum: the notifier needs FORUM_REDIS_URL or FORUM_NOTIFIER_SOCKET (where the WSGI workers publish)",
              file=sys.stderr)
        return 2
    sockets = tornado.netutil.bind_sockets(options.port, options.host)
    try:
        return _run(serve_process(settings, sockets, announce=True, name="notifier", make=notifier_app))
    except (ConfigError, ForumError) as exc:
        print(f"forum: {exc}", file=sys.stderr, flush=True)
        return 1
