"""Child processes, written once: pick a free port, start, wait until healthy, stop gracefully.

``forum serve --nginx`` supervises nginx and the app with these, ``forum serve gunicorn|uwsgi`` its
server and notifier, ``forum bench`` its servers and load generator, and the tests the forums they
start. So that all of them may import it, this module imports the standard library only: no app,
no framework (the import contracts in pyproject.toml keep the bench free of the apps through it).

Every child runs in a session of its own: a Ctrl-C in the terminal reaches only the parent, which
decides what each child gets, and a child that will not stop is killed with everything it started
(workers, forks) through its process group, and nothing else on the machine.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

log = logging.getLogger("forum.processes")

POLL = 0.1   # seconds between two health checks
Output = int | IO[bytes] | IO[str] | None   # what Popen takes for stdout and stderr


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the kernel picks it; another process could take it first)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    """True when something already listens on ``host:port`` (every address ``host`` names).

    Tried as the servers bind, with SO_REUSEADDR, so a port only left in TIME_WAIT by a server that
    just stopped counts as free, as it is to them.
    """
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False   # an unknown host: the server says so in its own words
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
    return False


def forum_command(*args: str) -> list[str]:
    """``forum ARGS`` run by this interpreter, so the same virtualenv's packages serve the app."""
    return [sys.executable, "-m", "shared.cli", *args]


def start(command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
          stdout: Output = None, stderr: Output = None) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own, with nothing on its standard input."""
    return subprocess.Popen(list(command), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=stderr, start_new_session=True)


def answers(url: str, timeout: float = 1.0) -> bool:
    """True when a GET of ``url`` answers 200; a refused connection or any other error means not yet.

    http.client rather than urllib: a proxy named in the environment is never asked about loopback.
    """
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_ready(urls: str | Sequence[str], timeout: float, *, watch: Sequence[subprocess.Popen[bytes]] = (),
               stopping: threading.Event | None = None) -> bool:
    """Poll each URL until it answers 200: True once every one has.

    False as soon as a watched process exits, ``stopping`` is set or ``timeout`` seconds have passed;
    the caller knows which (``poll()``, the event) and says why in its own words.
    """
    pending = [urls] if isinstance(urls, str) else list(urls)
    deadline = time.monotonic() + timeout
    pause = stopping or threading.Event()   # waiting on the event wakes up at once when a stop is asked
    while not pause.is_set() and all(child.poll() is None for child in watch):
        pending = [url for url in pending if not answers(url)]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False
        pause.wait(POLL)
    return False


def stop(child: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM, grace: float = 15.0, *,
         group: bool = False) -> int:
    """Stop one child (see :func:`stop_all`) and return its exit status."""
    return stop_all([child], sig, grace, group=group)[0]


def stop_all(children: Sequence[subprocess.Popen[bytes]], sig: signal.Signals = signal.SIGTERM,
             grace: float = 15.0, *, group: bool = False) -> list[int]:
    """Send ``sig`` (their graceful stop) to every child still running, then wait for them together.

    A child still running ``grace`` seconds later is killed with its whole process group (its exit
    status is then ``-SIGKILL``). ``group=True`` signals each child's whole group from the start,
    for programs whose own children do not stop with them, and afterwards kills whatever they left
    behind in it.
    """
    for child in children:
        if child.poll() is None:
            _signal(child, sig, group)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("pid %d did not stop within %.0f s of %s; killing it", child.pid, grace, sig.name)
            _signal(child, signal.SIGKILL, group=True)
            child.wait()
        if group:
            _signal(child, signal.SIGKILL, group=True)   # stragglers the leader left behind
    return [child.returncode for child in children]


def children(pid: int, named: str) -> list[int]:
    """The processes whose parent is ``pid`` and whose command line holds ``named`` (a process title
    such as uWSGI's ``worker``), read from Linux's /proc; elsewhere none."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                command = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue   # gone meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])   # after "pid (name) state"
            if parent == pid and named.encode() in command:
                found.append(int(entry.name))
    return found


def _signal(child: subprocess.Popen[bytes], sig: signal.Signals, group: bool) -> None:
    """Signal the child, or its process group (its pid: it leads the session :func:`start` made)."""
    try:
        if group:
            os.killpg(child.pid, sig)
        else:
            child.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass   # already gone
