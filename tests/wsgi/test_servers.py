"""The Flask app under its real servers: graceful stops, no connection shared across a fork, uWSGI limits.

Each test starts ``forum serve FLAVOUR`` as an operator would (tests/support/servers.py) and talks
to it over a socket. The slow requests are link previews of a slow page served by this test process
(allowed through the SSRF guard with FORUM_LINK_PREVIEW_ALLOW), so no debug route is needed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests

from shared.cli import processes
from shared.cli.wsgi_servers import child_env, uwsgi_command
from shared.config import ServeOptions, load_settings
from tests.support.servers import (
    MYSQL_PORT,
    Server,
    ServerUnavailable,
    check_flavour_available,
    forum_command,
    free_port,
    fresh_database,
    migrate,
    running_server,
)
from tests.support.services import missing_service
from tests.support.upstream import held_page

pytestmark = pytest.mark.slow

SLOW_SECONDS = 2.0
IN_FLIGHT = 10


@contextlib.contextmanager
def serving(flavour: str, database: str = "sqlite", *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    try:
        with fresh_database(database, prefix="forum_fl_") as url, \
                running_server(flavour, url, extra_args=args, extra_env=env) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:{database} server", exc)


def bearer(base_url: str) -> dict[str, str]:
    name = f"u_{secrets.token_hex(4)}"
    password = "a long enough password"
    created = requests.post(f"{base_url}/api/v1/auth/register", timeout=10,
                            json={"username": name, "email": f"{name}@example.com", "password": password})
    assert created.status_code == 201, created.text
    token = requests.post(f"{base_url}/api/v1/auth/login", json={"login": name, "password": password},
                          timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


# Enough concurrency in each server for all ten slow requests at once.
POOLS = {
    "gunicorn": ("--workers", "2", "--worker-class", "gthread", "--threads", "6"),
    "uwsgi": ("--processes", "2", "--threads", "6"),
    "wsgi-container": (),
    "flask-dev": (),
}


@pytest.mark.parametrize("flavour", list(POOLS))
def test_sigterm_finishes_requests_in_flight_then_exits_0(flavour: str) -> None:
    """RELIABILITY 15 and 17: SIGTERM with ten slow requests in flight; all ten complete, then exit 0."""
    with held_page(hold=SLOW_SECONDS) as site, \
            serving(flavour, "sqlite", *POOLS[flavour], env={"FORUM_LINK_PREVIEW_ALLOW": site.address}) as server:
        headers = bearer(server.base_url)
        url = f"{server.base_url}/api/v1/link-preview"
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            answers = [pool.submit(requests.get, url, params={"url": f"http://{site.address}/page"},
                                   headers=headers, timeout=30) for _ in range(IN_FLIGHT)]
            assert site.wait_for(IN_FLIGHT), f"only {site.arrived} requests reached the slow page"
            server.process.send_signal(signal.SIGTERM)
            statuses = [a.result().status_code for a in answers]
        assert statuses == [200] * IN_FLIGHT
        assert server.process.wait(timeout=30) == 0   # (running_server checks the exit code again)


def _named(processes_: list[psutil.Process], title: str) -> list[psutil.Process]:
    found = []
    for proc in processes_:
        with contextlib.suppress(psutil.NoSuchProcess):
            if title in " ".join(proc.cmdline()):
                found.append(proc)
    return found


def test_uwsgi_stops_on_sigterm_while_a_worker_is_still_loading_the_app() -> None:
    """uWSGI sends each worker its graceful stop once, then waits for them all; a worker restarted a
    moment ago is still importing the app (lazy-apps), ignores it, and the master waited for ever (a CI
    run hung so). ``forum serve uwsgi`` sends it again until the worker listens (``regrace_uwsgi``)."""
    with serving("uwsgi", "sqlite", "--processes", "2") as server:
        [master] = _named(psutil.Process(server.process.pid).children(), "uWSGI master")
        [first] = _named(master.children(), "uWSGI worker 1")
        first.kill()                                      # the master starts another in its place
        deadline = time.monotonic() + 10
        while not [p for p in _named(master.children(), "uWSGI worker 1") if p.pid != first.pid]:
            assert time.monotonic() < deadline, "uWSGI did not restart its worker"
            time.sleep(0.02)
        server.process.send_signal(signal.SIGTERM)        # while the new worker imports the app
        assert server.process.wait(timeout=25) == 0


@contextlib.contextmanager
def uwsgi_with(*extra: str) -> Iterator[str]:
    """uWSGI started the way ``forum serve uwsgi`` starts it, plus options given last (so they win)."""
    try:
        check_flavour_available("uwsgi")
    except ServerUnavailable as exc:
        missing_service("uWSGI", exc)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/forum.sqlite3"
        migrate(url)
        port = free_port()
        settings = load_settings({"database_url": url, "secret": secrets.token_urlsafe(48), "media_dir": tmp})
        argv = uwsgi_command(ServeOptions("uwsgi"), http=f"127.0.0.1:{port}") + list(extra)
        child = processes.start(argv, env=child_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_url = f"http://127.0.0.1:{port}"
            assert processes.wait_ready(base_url + "/healthz", 30, watch=[child]), "uWSGI did not start"
            yield base_url
        finally:
            processes.stop(child, grace=30)


def mysql_ports_by_process(root: psutil.Process) -> dict[int, set[int]]:
    """For the server's process tree: each process's local ports of its connections to MySQL."""
    found: dict[int, set[int]] = {}
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            found[proc.pid] = {c.laddr.port for c in proc.net_connections(kind="tcp")
                               if c.raddr and c.raddr.port == MYSQL_PORT}
    return found


@pytest.mark.mysql
@pytest.mark.parametrize(("flavour", "args", "env"), [
    ("gunicorn", ("--workers", "3"), {"GUNICORN_CMD_ARGS": "--preload"}),   # the app imported once in the master
    ("uwsgi", ("--processes", "3"), {}),
])
def test_no_database_connection_crosses_a_fork(flavour: str, args: tuple[str, ...], env: dict[str, str]) -> None:
    """RELIABILITY 16: every worker opens its own connections; the master holds none."""
    with serving(flavour, "mysql", *args, env=env) as server:
        with ThreadPoolExecutor(6) as pool:   # enough requests that every worker serves some
            list(pool.map(lambda _: requests.get(f"{server.base_url}/readyz", timeout=10).status_code, range(60)))
        launcher = psutil.Process(server.process.pid)
        ports = mysql_ports_by_process(launcher)
        # the launcher's children: the server's master, the notifier and the mail sender (these two
        # hold connections of their own, rightly, being no fork of the app); the master is the other
        master = next(child for child in launcher.children()
                      if not {"notifier", "deliver"} & set(child.cmdline()))
        assert ports[launcher.pid] == set() and ports[master.pid] == set()
        workers = {pid: p for pid, p in ports.items() if p}
        assert len(workers) >= 2
        every = [port for p in workers.values() for port in p]
        assert len(every) == len(set(every)), f"a connection is shared between processes: {workers}"


def test_uwsgi_takes_6_kib_of_cookies() -> None:
    """RELIABILITY 18: uWSGI's default 4 KiB buffer would answer 502; buffer-size is 32 KiB."""
    with serving("uwsgi") as server:
        cookies = "; ".join(f"c{i}={'x' * 500}" for i in range(13))
        assert len(cookies) > 6 * 1024
        answer = requests.get(f"{server.base_url}/healthz", headers={"Cookie": cookies}, timeout=10)
        assert answer.status_code == 200


def test_uwsgi_slow_upload_is_not_killed_by_harakiri() -> None:
    """RELIABILITY 19: a 2 MB upload trickling in for twice the harakiri time still gets the app's answer.

    post-buffering makes uWSGI read the body before the worker's clock starts; without it the
    worker would sit in ``request.files`` reading, be killed by harakiri, and the client get a 502.
    (A body over the upload limit is refused from its Content-Length without being read, so the
    body here is just under the limit: the app must read all of it.)
    """
    with uwsgi_with("--harakiri", "2") as base_url:
        headers = bearer(base_url)
        host, port = base_url.removeprefix("http://").split(":")
        head = b'--b\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\n\r\n'
        tail = b"\r\n--b--\r\n"
        body = head + b"x" * (2 * 1000 * 1000) + tail   # not an image: the app answers 415 or 422
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall((f"PUT /api/v1/me/avatar HTTP/1.1\r\nHost: {host}\r\nAuthorization: "
                          f"{headers['Authorization']}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                          f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
            step = len(body) // 8 + 1
            for at in range(0, len(body), step):   # about 4 s in all: twice the harakiri
                sock.sendall(body[at:at + step])
                time.sleep(0.5)
            status = int(sock.makefile("rb").readline().split()[1])
        assert status in (415, 422)   # the app's answer, not a 502 from a killed worker


@pytest.mark.parametrize("flavour", ["gunicorn", "uwsgi", "wsgi-container", "flask-dev"])
def test_an_unmigrated_database_stops_the_start_with_one_line(flavour: str, tmp_path: Path) -> None:
    env = {**os.environ, "FORUM_DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
           "FORUM_SECRET": secrets.token_urlsafe(48)}
    done = subprocess.run(forum_command("serve", flavour, "--port", str(free_port())), env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].endswith("run `forum migrate`")


@pytest.mark.parametrize("no_executor", [False, True], ids=["executor", "no-executor"])
def test_wsgi_container_executor_keeps_the_loop_free(no_executor: bool) -> None:
    """RELIABILITY 13: with the executor, /healthz answers while a slow request waits on its page; the
    labelled --no-executor baseline answers it only after the page came back (ordering, not timing)."""
    args = ("--no-executor",) if no_executor else ()
    with held_page(hold=SLOW_SECONDS) as site, \
            serving("wsgi-container", "sqlite", *args, env={"FORUM_LINK_PREVIEW_ALLOW": site.address}) as server:
        headers = bearer(server.base_url)
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(requests.get, f"{server.base_url}/api/v1/link-preview",
                               params={"url": f"http://{site.address}/page"}, headers=headers, timeout=30)
            assert site.wait_for(1)
            assert requests.get(f"{server.base_url}/healthz", timeout=30).status_code == 200
            page_came_back_first = site.answered.is_set()
            assert slow.result().status_code == 200
        assert page_came_back_first is no_executor
        ready = server.stdout_path.read_text()
        assert ("no executor" in ready) is no_executor
