"""``forum serve flask-dev | wsgi-container | gunicorn | uwsgi``: the Flask app under four WSGI servers.

The same WSGI application (:mod:`wsgi_app.wsgi`) runs under each; only the server differs:

- ``flask-dev``: Werkzeug's development server, one thread per request. For debugging only.
- ``wsgi-container``: Tornado's HTTPServer with Flask on a thread pool (:mod:`wsgi_app.container`).
- ``gunicorn``: a master process that pre-forks workers (``deploy/gunicorn.conf.py``).
- ``uwsgi``: uWSGI's master and workers behind its HTTP router (``deploy/uwsgi.ini``).

gunicorn and uWSGI run as child processes of this launcher: it checks the schema first, passes the
settings down as ``FORUM_*`` variables, prints the ready line once ``/healthz`` answers, and forwards
SIGTERM/SIGINT (as SIGTERM, the graceful stop of both) and exits 0 when the server has stopped.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from shared.cli import ServeOptions
from shared.config import Settings
from shared.storage.drivers import check_schema, open_sync
from wsgi_app import create_app, db, settings_as_config

log = logging.getLogger("forum.serve")

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
STARTUP_TIMEOUT = 60.0


def serve(settings: Settings, options: ServeOptions) -> int:
    """Start one flavour and block until it has stopped; 0 after a clean stop."""
    check_migrated(settings)
    if options.flavour == "flask-dev":
        return serve_flask_dev(settings, options)
    if options.flavour == "wsgi-container":
        from wsgi_app.container import serve as serve_container

        return serve_container(settings, options)
    port = _port(options)
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


# -- flask-dev ---------------------------------------------------------------------------------------

def serve_flask_dev(settings: Settings, options: ServeOptions) -> int:
    """Werkzeug's development server: fine for debugging, not for production (no worker management,
    one thread per request, no limits). SIGTERM/SIGINT stop accepting and let requests in flight end."""
    from werkzeug.serving import ThreadedWSGIServer

    app = create_app(settings_as_config(settings))
    server = ThreadedWSGIServer(options.host, options.port, app)
    server.daemon_threads = False   # so server_close() waits for the requests in flight

    def stop(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown).start()   # shutdown() waits for serve_forever: not this thread

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"forum: flask-dev serving on http://{options.host}:{server.port}/ "
          f"(Werkzeug development server: for debugging only; pid {os.getpid()})", flush=True)
    server.serve_forever()
    server.server_close()
    db.close(app)
    return 0


# -- gunicorn and uWSGI ------------------------------------------------------------------------------

def _bin(name: str) -> str:
    """The server's executable next to this Python (the virtualenv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def gunicorn_command(options: ServeOptions, bind: list[str]) -> list[str]:
    """gunicorn with deploy/gunicorn.conf.py; flags from ``forum serve`` win over the file."""
    argv = [_bin("gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "--worker-class", options.worker_class,
            "--threads", str(options.threads)]
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


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a server process: our settings as ``FORUM_*`` variables (flags given to
    ``forum serve`` reach the workers this way) and the project on the import path."""
    env = dict(os.environ)
    for name, value in settings_as_config(settings).items():
        env[f"FORUM_{name.upper()}"] = str(value)
    root = str(DEPLOY.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_server(flavour: str, argv: list[str], port: int, settings: Settings, options: ServeOptions) -> int:
    """Run a pre-fork server as a child process, announce it once it answers, stop it on SIGTERM."""
    several = options.workers != 1 if flavour == "gunicorn" else options.processes > 1
    if several and not settings.redis_url:
        log.warning("%s runs several worker processes and FORUM_REDIS_URL is not set: each process counts "
                    "rate limits on its own, so a client may get up to one allowance per worker", flavour)
    env = child_env(settings)
    metrics_dir = None
    if "PROMETHEUS_MULTIPROC_DIR" not in env:   # workers' metrics are added up across processes
        metrics_dir = tempfile.mkdtemp(prefix="forum-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    # A new session: a Ctrl-C in the terminal reaches only us, and we decide what the server gets.
    child = subprocess.Popen(argv, env=env, start_new_session=True)
    stopping = threading.Event()

    def forward(_signum: int, _frame: Any) -> None:
        stopping.set()
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)   # graceful for gunicorn, and for uWSGI by deploy/uwsgi.ini's hook

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        if wait_until_healthy(options.host, port, child, stopping):
            print(f"forum: {flavour} serving on http://{options.host}:{port}/ ({describe(flavour, options)}; "
                  f"pid {child.pid})", flush=True)
        code = child.wait()
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    if stopping.is_set() and code in (0, -signal.SIGTERM):
        return 0
    log.error("%s exited with status %s", flavour, code)
    return code or 1


def describe(flavour: str, options: ServeOptions) -> str:
    if flavour == "gunicorn":
        workers = options.workers or "2 x cores + 1"
        return f"gunicorn {options.worker_class} workers: {workers}, threads: {options.threads}"
    return f"uWSGI processes: {max(1, options.processes)}, threads: {max(1, options.threads)}"


def wait_until_healthy(host: str, port: int, child: subprocess.Popen[bytes], stopping: threading.Event) -> bool:
    """Poll ``/healthz`` until it answers 200 (True), or the child dies or we are told to stop (False)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and child.poll() is None and not stopping.is_set():
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    return False


def _port(options: ServeOptions) -> int:
    """The port to serve on; for ``--port 0`` a free one, chosen now (the child binds it a moment later)."""
    if options.port:
        return options.port
    with socket.socket() as probe:
        probe.bind((options.host, 0))
        port: int = probe.getsockname()[1]
        return port
