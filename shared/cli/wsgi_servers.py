"""``forum serve flask-dev | wsgi-container | gunicorn | uwsgi``: the Flask app under four WSGI servers.

The same WSGI application (:mod:`wsgi_app.wsgi`) runs under each; only the server differs:

- ``flask-dev``: Werkzeug's development server, one thread per request. For debugging only
  (:mod:`wsgi_app.devserver`, in this process).
- ``wsgi-container``: Tornado's HTTPServer with Flask on a thread pool (:mod:`wsgi_app.container`,
  in this process).
- ``gunicorn``: a master process that pre-forks workers (``deploy/gunicorn.conf.py``).
- ``uwsgi``: uWSGI's master and workers behind its HTTP router (``deploy/uwsgi.ini``).

gunicorn and uWSGI run as child processes of this launcher: it checks the schema first, passes the
settings down as ``FORUM_*`` variables, prints the ready line once ``/healthz`` answers, and forwards
SIGTERM/SIGINT (as SIGTERM, the graceful stop of both) and exits 0 when the server has stopped.

A pre-fork WSGI worker answers one request at a time and cannot hold a WebSocket open for hours, so
for gunicorn and uWSGI the launcher also starts ``forum serve notifier`` (a small Tornado process
serving only ``/ws/notifications``) on its own port, and names it in the ready line. The workers
reach it through Redis when ``FORUM_REDIS_URL`` is set, else through a Unix socket in a private
directory the launcher makes (``FORUM_NOTIFIER_SOCKET``; one host only). The pages are told the
notifier's port (``FORUM_LIVE_PORT``, which the launcher sets unless you did) and the notifier lets
the site's pages in (``FORUM_SITE_PORT``). Behind nginx (``--nginx``) one site serves both: nginx
sends ``/ws/`` to the notifier and the pages connect to their own origin.

Every WSGI flavour's launcher also starts the outbox's mail sender beside the server
(:func:`start_mail_sender`: ``forum deliver --every``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.cli import processes
from shared.cli.processes import forum_command, free_port
from shared.config import ServeOptions, Settings
from shared.storage.drivers import check_schema, open_sync

log = logging.getLogger("forum.serve")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
STARTUP_TIMEOUT = 60.0


def serve(settings: Settings, options: ServeOptions) -> int:
    """Start one flavour and block until it has stopped; 0 after a clean stop."""
    check_migrated(settings)
    if options.flavour in ("gunicorn", "uwsgi"):   # their mail sender is one more child (run_server)
        return serve_flavour(settings, options)
    with mail_sender(settings):
        return serve_flavour(settings, options)


def start_mail_sender(settings: Settings) -> subprocess.Popen[bytes]:
    """The outbox's sender for the whole deployment: ``forum deliver --every`` beside the server.

    A process of its own, like the notifier: not in a gunicorn or uWSGI worker (there are several,
    restarted at will) nor in their masters (which fork, and must hold no connection: RELIABILITY
    16), and not in this launcher either, which then holds nothing. Its one line (where e-mail goes)
    goes to our stderr: stdout carries only the ready line.
    """
    argv = forum_command("deliver", "--every", f"{settings.mail_interval:g}")
    return processes.start(argv, env=child_env(settings), stdout=sys.stderr.fileno())


@contextlib.contextmanager
def mail_sender(settings: Settings) -> Iterator[None]:
    """The sender beside a server this process runs itself (flask-dev, wsgi-container, uWSGI behind nginx)."""
    child = start_mail_sender(settings)
    try:
        yield
    finally:
        processes.stop(child, grace=settings.grace_period + 5)


def serve_flavour(settings: Settings, options: ServeOptions) -> int:
    if options.flavour == "flask-dev":
        from wsgi_app.devserver import serve as serve_flask_dev

        return serve_flask_dev(settings, options)
    if options.flavour == "wsgi-container":   # Flask behind Tornado, with the Tornado app's WebSocket
        from async_app.handlers.ws import SocketApplication
        from wsgi_app.container import serve as serve_container

        return serve_container(settings, options, SocketApplication)
    # --port 0: a free one, chosen now (the child binds it a moment later)
    port = options.port or free_port(options.host)
    if options.flavour == "gunicorn":
        return run_server("gunicorn", gunicorn_command(options, [f"{options.host}:{port}"]), port, settings, options)
    if options.flavour == "uwsgi":
        return run_server("uwsgi", uwsgi_command(options, http=f"{options.host}:{port}"), port, settings, options)
    raise ValueError(f"not a WSGI flavour: {options.flavour}")


def check_migrated(settings: Settings) -> None:
    """Refuse to start on a database without the current schema (a one-line message naming `forum migrate`).

    The pool is opened here in the launcher and closed again before any server forks.
    """
    pool = open_sync(settings)
    try:
        check_schema(pool)
    finally:
        pool.close()


# -- gunicorn and uWSGI ------------------------------------------------------------------------------

def _bin(name: str) -> str:
    """The server's executable next to this Python (the virtualenv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def gunicorn_command(options: ServeOptions, bind: list[str]) -> list[str]:
    """gunicorn with deploy/gunicorn.conf.py; flags from ``forum serve`` win over the file."""
    argv = [_bin("gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "--worker-class", options.worker_class,
            "--threads", str(options.threads)]
    if options.worker_class == "gthread" and options.threads <= 1:
        # One thread: a connection at a time, as a sync worker, else its main thread would queue
        # connections behind an event stream (no keep-alive then: it would hold the one connection).
        argv += ["--worker-connections", "1", "--keep-alive", "0"]
    for address in bind:
        argv += ["--bind", address]
    if options.workers:
        argv += ["--workers", str(options.workers)]
    return argv


def uwsgi_command(options: ServeOptions, http: str | None = None, socket_path: str | None = None) -> list[str]:
    """uWSGI with deploy/uwsgi.ini: speaking HTTP itself (``http``, its HTTP router) or the binary uwsgi
    protocol on a unix socket (``socket_path``, for nginx's ``uwsgi_pass``)."""
    argv = [_bin("uwsgi"), "--ini", str(DEPLOY / "uwsgi.ini"), "--virtualenv", sys.prefix,
            "--processes", str(max(1, options.processes)), "--threads", str(max(1, options.threads))]
    if http:
        argv += ["--http", http]
    if socket_path:
        argv += ["--socket", socket_path]
    return argv


def regrace_uwsgi(master: subprocess.Popen[bytes], grace: float) -> None:
    """After SIGTERM: send uWSGI's workers their graceful stop (SIGHUP) again each second, until the
    master exits or ``grace`` runs out.

    uWSGI 2.0 (2.0.30 and its master branch) stops gracefully by sending each worker SIGHUP once and
    then waiting for all of them, past every mercy. A worker still loading the app (``lazy-apps``: a
    worker just started, or restarted after a crash) has not installed its SIGHUP handler yet, ignores
    the signal, and the master waits for it for ever (a CI run caught it; tests/wsgi/test_servers.py
    makes it happen). Once loaded, the worker takes the repeated signal as the first; a worker that had
    it already is finishing its request and exits after it, as before.
    """
    def resend() -> None:
        deadline = time.monotonic() + grace
        while master.poll() is None and time.monotonic() < deadline:
            time.sleep(1.0)
            for pid in processes.children(master.pid, "uWSGI worker"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)

    threading.Thread(target=resend, name="uwsgi-regrace", daemon=True).start()


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a server process: our settings as ``FORUM_*`` variables (flags given to
    ``forum serve`` reach the workers this way) and the project on the import path (uWSGI's embedded
    Python must find it as ``python -m`` does)."""
    env = dict(os.environ)
    for f in dataclasses.fields(Settings):
        if f.name != "extra":
            env[f"FORUM_{f.name.upper()}"] = str(getattr(settings, f.name))
    env.pop("FORUM_CONFIG", None)  # already merged into the values above
    env["PYTHONUNBUFFERED"] = "1"
    root = str(DEPLOY.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_server(flavour: str, argv: list[str], port: int, settings: Settings, options: ServeOptions) -> int:
    """Run a pre-fork server (and its notifier) as child processes, announce it once it answers, stop
    both on SIGTERM."""
    env = child_env(settings)
    metrics_dir = None
    if "PROMETHEUS_MULTIPROC_DIR" not in env:   # workers' metrics are added up across processes
        metrics_dir = tempfile.mkdtemp(prefix="forum-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    streams_dir = None if settings.sse_slots_dir else tempfile.mkdtemp(prefix="forum-streams-")
    stream_limits(settings, options, env, streams_dir)
    # The notifier first: its address goes into the workers' environment.
    notifier_port, notifier, inbox_dir = start_notifier(settings, options, env, port)
    # A new session: a Ctrl-C in the terminal reaches only us, and we decide what the server gets.
    child = processes.start(argv, env=env)
    mail = start_mail_sender(settings)
    children = [child, notifier, mail]
    stopping = threading.Event()

    def forward(_signum: int, _frame: Any) -> None:
        stopping.set()
        for running in children:
            if running.poll() is None:
                # graceful for gunicorn, for uWSGI by deploy/uwsgi.ini's hook, and for the notifier
                running.send_signal(signal.SIGTERM)
        if flavour == "uwsgi":
            regrace_uwsgi(child, settings.grace_period)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        health = [f"http://{options.host}:{at}/healthz" for at in (port, notifier_port)]
        ready = processes.wait_ready(health, STARTUP_TIMEOUT, watch=children, stopping=stopping)
        failed = not ready and not stopping.is_set()
        if ready:
            sockets = f" (notifications: ws://{options.host}:{notifier_port}/ws/notifications)"
            print(f"forum: {flavour} serving on http://{options.host}:{port}/{sockets} "
                  f"({describe(flavour, options)}; pid {child.pid})", flush=True)
        elif failed:   # one of the two died or never answered: do not serve half a forum
            log.error("%s did not start; stopping", flavour if child.poll() is not None else "the notifier")
            processes.stop_all(children, grace=settings.grace_period + 5)
        code = child.wait()
        # the server stopped (asked, or on its own): the notifier goes with it
        code = code or processes.stop(notifier, grace=settings.grace_period + 5)
        processes.stop(mail, grace=settings.grace_period + 5)   # and the mail sender
    finally:
        for made in (metrics_dir, inbox_dir, streams_dir):
            if made:
                shutil.rmtree(made, ignore_errors=True)
    if failed:
        return 1
    if stopping.is_set() and code in (0, -signal.SIGTERM):
        return 0
    log.error("%s exited with status %s", flavour, code)
    return code or 1


def stream_limits(settings: Settings, options: ServeOptions, env: dict[str, str], directory: str | None) -> None:
    """How many event streams (``/api/v1/events``) the workers may hold together, and where they count
    them (``directory``, for lock files), unless the settings say: one fewer than the requests the
    workers can serve at once, so one is always free for everything else (and for the 503 that says
    so). On gthread workers also threads − 1 in each process: a worker's main thread accepts
    connections while its threads stream, and one thread must be left to serve them (with one thread,
    :func:`gunicorn_command` has it accept one connection at a time, as a sync worker). gevent workers
    hold a stream as a greenlet: no cap."""
    if directory:
        env["FORUM_SSE_SLOTS_DIR"] = directory
    gthread = options.flavour == "gunicorn" and options.worker_class == "gthread"
    if gthread and options.threads > 1 and not settings.sse_streams_per_process:
        # its main thread accepts while the threads stream: one thread stays free in each worker
        env["FORUM_SSE_STREAMS_PER_PROCESS"] = str(options.threads - 1)
    if settings.sse_max_streams:
        return
    if options.flavour == "gunicorn" and options.worker_class == "gevent":
        return
    if options.flavour == "gunicorn":   # deploy/gunicorn.conf.py's default: 2 x cores + 1
        at_once = (options.workers or 2 * (os.cpu_count() or 1) + 1) * max(1, options.threads)
    else:
        at_once = max(1, options.processes) * max(1, options.threads)
    env["FORUM_SSE_MAX_STREAMS"] = str(max(1, at_once - 1))


def start_notifier(settings: Settings, options: ServeOptions, env: dict[str, str],
                   site_port: int) -> tuple[int, subprocess.Popen[bytes], str | None]:
    """``forum serve notifier`` on ``--notifier-port`` (0: a free port); ``env`` gets what the workers
    need to reach it and what their pages need to find it. Returns its port, its process and the
    private directory of its Unix socket (None with Redis), which the caller removes at the end."""
    inbox_dir = None
    if not settings.redis_url:   # one host: the workers write to the notifier's Unix socket
        inbox_dir = tempfile.mkdtemp(prefix="forum-notifier-")   # mode 0700: nobody else may publish
        env["FORUM_NOTIFIER_SOCKET"] = os.path.join(inbox_dir, "events.sock")
    port = options.notifier_port or free_port(options.host)
    if "FORUM_LIVE_PORT" not in os.environ:   # behind a proxy that routes /ws/ (as --nginx does), set it to 0
        env["FORUM_LIVE_PORT"] = str(port)
    env["FORUM_SITE_PORT"] = str(site_port)
    argv = forum_command("serve", "notifier", "--host", options.host, "--port", str(port))
    return port, processes.start(argv, env=env, stdout=subprocess.DEVNULL), inbox_dir


def describe(flavour: str, options: ServeOptions) -> str:
    if flavour == "gunicorn":
        workers = options.workers or "2 x cores + 1"
        return f"gunicorn {options.worker_class} workers: {workers}, threads: {options.threads}"
    return f"uWSGI processes: {max(1, options.processes)}, threads: {max(1, options.threads)}"
