"""gunicorn settings for the forum's Flask app.

``forum serve gunicorn`` runs ``gunicorn -c deploy/gunicorn.conf.py --bind ... --worker-class ...``;
flags on the command line (and ``GUNICORN_CMD_ARGS``) win over this file. The forum's own settings
reach the workers as ``FORUM_*`` environment variables.

How gunicorn serves: one *master* process binds the socket, then forks ``workers`` copies of itself.
Each worker accepts connections on the shared socket and calls the WSGI application. The master
never serves a request: it watches the workers, replaces any that die or hang, and handles signals
(TERM: graceful stop, HUP: reload workers, TTIN/TTOU: one worker more/less).
"""

import multiprocessing
import os

import orjson
from gunicorn import util

from shared import http
from shared.errors import PROBLEM_CONTENT_TYPE, problem, problem_for_status

# The WSGI application, as module:variable. Building it opens no database connection.
wsgi_app = "wsgi_app.wsgi:application"

# Where to listen; the launcher passes --bind 127.0.0.1:PORT (behind nginx: loopback only).
bind = ["127.0.0.1:8888"]

# Worker processes. The classic rule of thumb is 2 x cores + 1: while one worker waits on the
# database another can use the CPU. Each *sync* worker answers one request at a time.
workers = multiprocessing.cpu_count() * 2 + 1

# sync: one request per worker at a time. gthread: `threads` requests per worker on threads.
# gevent: many requests per worker on greenlets (PyMySQL is pure Python, so it cooperates).
worker_class = "sync"

# Threads per worker (gthread only). Each thread borrows its own pooled connection.
threads = 1

# Seconds in-flight requests get to finish after SIGTERM before workers are killed (RELIABILITY 15).
# It follows the forum's grace period, so every flavour stops the same way.
graceful_timeout = int(float(os.environ.get("FORUM_GRACE_PERIOD", "10")))

# A worker silent for this long (stuck in one request) is killed and replaced.
timeout = 30

# Seconds an idle keep-alive connection stays open (gthread and gevent; sync workers close every
# connection after one response, which is why they belong behind nginx).
keepalive = 5

# Addresses allowed to set X-Forwarded-Proto and friends: the forum's trusted proxies, none unless
# FORUM_TRUSTED_PROXIES names them (the systemd unit names nginx on loopback). The client address
# itself (X-Real-IP) is applied by the app's TrustedProxies middleware with the same list.
forwarded_allow_ips = os.environ.get("FORUM_TRUSTED_PROXIES", "")

# Request line and header limits. The line is gunicorn's default (414 beyond it). One header field
# may be as long as the app allows all of them together (shared/http.py, 32 KiB; gunicorn's default
# is 8 KiB): a longer one gets gunicorn's 431, anything less reaches the app, which answers the same
# 431 for fields too long together. 6 KiB of cookies fit either way.
limit_request_line = 4094
limit_request_field_size = http.MAX_HEADER_BYTES

# The app logs one access line per request (wsgi_app/middleware.py); gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("FORUM_LOG_LEVEL", "info")

# No control socket (gunicorn >= 25 makes ~/.gunicorn/gunicorn.ctl by default): several instances
# on one machine would fight over that one path.
control_socket_disable = True

# Name the processes "gunicorn: master [forum]" / "gunicorn: worker [forum]" in ps and top.
proc_name = "forum"


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's own answer to a request it cannot parse, as problem+json like every answer of the app.

    A request line over ``limit_request_line`` (414), a header field over ``limit_request_field_size``
    (431), a malformed header or chunk (400) ... never reach the app: the worker's ``handle_error``
    answers them with ``gunicorn.util.write_error``, a small HTML page, and gunicorn has no setting for
    its format (gunicorn #993). This function takes its place (below), with the same arguments: the
    status and the logging stay gunicorn's, the body is ours. ``mesg`` may quote the client's bytes,
    so it is not repeated; a 431 says what the app's own 431 says.
    """
    if status_int == 431:
        answer = problem(http.headers_too_large())
    elif status_int >= 500:
        answer = problem(Exception())   # the app's 500: nothing about the cause
    else:
        answer = problem_for_status(status_int)
    body = orjson.dumps(answer.body)
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


# Workers are forked from the master after this file is read, so each of them answers this way.
util.write_error = write_problem


def post_fork(server, worker):
    """Runs in each new worker just after the fork.

    The place where apps usually open their database pools. Ours has nothing to do: the pool is made
    by the first request in each process (wsgi_app/db.py), so a worker never inherits a connection
    from the master, even with ``--preload`` (RELIABILITY 16).
    """
    server.log.info("worker %s forked: its database pool will be opened by its first request", worker.pid)


def child_exit(server, worker):
    """Runs in the master when a worker has exited: drop its live gauges from the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
