"""The database pool of this process, made on first use, and ``run(op)``.

Why lazily: a pre-fork server (gunicorn ``--preload``, uWSGI without ``lazy-apps``) imports the app
once in a master process and then forks workers. A pool made at import time would be copied into
every worker, and two processes would then talk over the same MySQL socket (RELIABILITY 16). So the
pool is made by the first request *in each process*, and remembered together with the pid that made
it: a forked child sees a foreign pid and makes its own.

Threads: gthread workers, uWSGI threads and WSGIContainer's executor run requests on many threads.
The pool hands each connection to one borrower at a time, so a PyMySQL connection never crosses
threads while in use (RELIABILITY 9).
"""

from __future__ import annotations

import atexit
import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from shared.config import Settings
from shared.keys import Keys
from shared.linkpreview import allow_list, fetch_sync
from shared.notifier import RevocationListener, worker_publisher
from shared.ratelimit import rules_from
from shared.redis_counters import RedisCounters
from shared.revocation import Standings
from shared.storage.drivers import BlockingDatabase, open_sync
from shared.storage.effects import Op
from shared.storage.runners import Publisher, Services, run_sync

T = TypeVar("T")

_lock = threading.Lock()


def per_process(app: Flask, name: str, make: Callable[[], T]) -> T:
    """The app's ``name`` resource for this process, made by ``make()`` the first time it is needed."""
    key = f"forum.{name}"
    made = app.extensions.get(key)
    if made is None or made[0] != os.getpid():
        with _lock:   # two threads asking at once must not make two pools
            made = app.extensions.get(key)
            if made is None or made[0] != os.getpid():
                made = (os.getpid(), make())
                app.extensions[key] = made
    resource: T = made[1]
    return resource


def current_settings() -> Settings:
    """The settings the current app was built with."""
    settings: Settings = current_app.extensions["forum"]
    return settings


def get_db(app: Flask | None = None) -> BlockingDatabase:
    """This process's pool (PyMySQL or sqlite3, by ``settings.database_url``)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return per_process(app, "db", lambda: _open(app.extensions["forum"]))


def _open(settings: Settings) -> BlockingDatabase:
    pool = open_sync(settings)
    # Closed when the process exits: MariaDB then sees clean goodbyes, not aborted clients
    # (RELIABILITY 8). Every server here ends its workers with a normal interpreter exit.
    atexit.register(pool.close)
    return pool


def run(op: Op[T]) -> T:
    """Run one operation on this process's pool with this app's services (see :func:`services`)."""
    return run_sync(get_db(), op, services())


def services() -> Services:
    """What the runner performs effects against, made once per process: this app's keys, where
    committed notifications are announced (:func:`publisher`), the rate-limit counters (Redis when
    configured, else the database) and the link-preview fetcher (``http.client``: this thread waits)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return per_process(app, "services", lambda: _services(app))


def _services(app: Flask) -> Services:
    settings: Settings = app.extensions["forum"]
    return Services(keys=Keys.from_settings(settings), publish=publisher(app),
                    counters=RedisCounters(settings) if settings.redis_url else None,
                    fetch=functools.partial(fetch_sync, allow=allow_list(settings)), rules=rules_from(settings),
                    standings=_standings(app))


def _standings(app: Flask) -> Standings:
    """Who may still use their tokens, remembered by this process (:mod:`shared.revocation`): trusted
    while a listener thread hears and acknowledges revocations through Redis or the notifier (gunicorn
    and uWSGI workers), or for good when the launcher said this process serves alone without Redis
    (``forum.alone``: flask-dev, wsgi-container); never otherwise."""
    settings: Settings = app.extensions["forum"]
    standings = Standings()
    if settings.redis_url or settings.notifier_socket:
        RevocationListener(settings, standings).start()
    elif app.extensions.get("forum.alone"):
        standings.trust()
    return standings


def publisher(app: Flask) -> Publisher | None:
    """Where committed notifications are announced: the hub of the wsgi-container process (which
    holds the sockets itself, ``forum.publish``), else Redis when configured, else nowhere."""
    hub: Publisher | None = app.extensions.get("forum.publish")
    return hub or worker_publisher(app.extensions["forum"])


def close(app: Flask) -> None:
    """Close this process's pool, if it made one (on shutdown and at the end of tests)."""
    made: Any = app.extensions.pop("forum.db", None)
    if made is not None and made[0] == os.getpid():
        made[1].close()
