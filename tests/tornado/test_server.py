"""The Tornado flavour as an operator and a client meet it: real processes, real sockets, SQLite.

What the contract suite does not cover: limits enforced before the body is read, an event loop that
never blocks on a slow upstream, a graceful SIGTERM with requests in flight, and a clear refusal to
serve an unmigrated database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.support.servers import (
    REPO_ROOT,
    Server,
    _env,
    forum_command,
    free_port,
    fresh_database,
    migrate,
    running_server,
)

UPSTREAM_DELAY = 2.0


@contextlib.contextmanager
def slow_site(delay: float = UPSTREAM_DELAY) -> Iterator[str]:
    """A tiny Tornado site on its own loop in a thread that answers every page after ``delay`` s."""

    class Slow(tornado.web.RequestHandler):
        async def get(self) -> None:
            await asyncio.sleep(delay)
            self.write("<html><head><title>Slow but sure</title></head></html>")

    started = threading.Event()
    state: dict[str, object] = {}

    async def main() -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/.*", Slow)]))
        server.add_sockets(sockets)
        state.update(port=sockets[0].getsockname()[1], loop=asyncio.get_running_loop(), stop=asyncio.Event())
        started.set()
        await state["stop"].wait()  # type: ignore[attr-defined]
        server.stop()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"127.0.0.1:{state['port']}"
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)  # type: ignore[attr-defined]
        thread.join(10)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with slow_site() as host:
        yield host


@pytest.fixture(scope="module")
def server(site: str) -> Iterator[Server]:
    with fresh_database("sqlite") as url, \
            running_server("tornado", url, extra_env={"FORUM_LINK_PREVIEW_ALLOW": site}) as srv:
        yield srv


def token_for(server: Server, name: str) -> str:
    api = server.base_url + "/api/v1"
    requests.post(api + "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                               "password": "a fine long password"}, timeout=10)
    answer = requests.post(api + "/auth/login", json={"login": name, "password": "a fine long password"}, timeout=10)
    return str(answer.json()["access_token"])


def test_wrong_method_is_405_with_allow(server: Server) -> None:
    answer = requests.delete(server.base_url + "/api/v1/guestbook", timeout=5)
    assert answer.status_code == 405
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["Allow"] == "GET, POST"
    answer = requests.post(server.base_url + "/healthz", timeout=5)
    assert (answer.status_code, answer.headers["Allow"]) == (405, "GET")


def _raw_answer(server: Server, head: str) -> bytes:
    """Send only a request's head (its body never follows) and read what the server says."""
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
        return sock.recv(65536)


@pytest.mark.parametrize(("path", "content_type", "size"), [
    ("/api/v1/guestbook", "application/json", 2 * 1024 * 1024),
    ("/api/v1/me/avatar", "multipart/form-data; boundary=x", 3 * 1024 * 1024),
])
def test_too_large_a_body_is_refused_before_it_is_read(server: Server, path: str, content_type: str,
                                                       size: int) -> None:
    method = "PUT" if "avatar" in path else "POST"
    head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\n\r\n")
    answer = _raw_answer(server, head)   # no body sent: a server waiting for it would time out here
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer


def test_a_2_mib_json_body_gets_413(server: Server) -> None:
    body = b'{"message": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = requests.post(server.base_url + "/api/v1/guestbook", data=body,
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


@pytest.mark.slow
def test_fifty_slow_previews_do_not_block_the_loop(server: Server, site: str) -> None:
    token = token_for(server, "previewer")
    url = server.base_url + "/api/v1/link-preview"

    def preview(_: int) -> int:
        answer = requests.get(url, params={"url": f"http://{site}/page"}, timeout=30,
                              headers={"Authorization": f"Bearer {token}"})
        assert answer.json()["title"] == "Slow but sure", answer.text
        return answer.status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        started = time.monotonic()
        previews = [pool.submit(preview, i) for i in range(50)]
        time.sleep(UPSTREAM_DELAY / 4)
        health_started = time.monotonic()
        assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200
        health_took = time.monotonic() - health_started
        assert [p.result() for p in previews] == [200] * 50
        took = time.monotonic() - started
    assert health_took < UPSTREAM_DELAY * 0.75, "the loop was blocked while the previews waited"
    assert took < 6.0, f"50 previews of a 2 s page took {took:.1f} s: they did not run concurrently"


@pytest.mark.slow
def test_sigterm_finishes_requests_in_flight_then_exits_0(site: str) -> None:
    with fresh_database("sqlite") as db, \
            running_server("tornado", db, extra_env={"FORUM_LINK_PREVIEW_ALLOW": site}) as srv:
        token = token_for(srv, "stopper")
        with ThreadPoolExecutor(max_workers=5) as pool:
            slow = [pool.submit(requests.get, srv.base_url + "/api/v1/link-preview",
                                params={"url": f"http://{site}/slow"}, timeout=30,
                                headers={"Authorization": f"Bearer {token}"}) for _ in range(5)]
            time.sleep(UPSTREAM_DELAY / 2)
            srv.process.send_signal(signal.SIGTERM)
            assert [answer.result().status_code for answer in slow] == [200] * 5
        assert srv.process.wait(timeout=20) == 0
        assert "Traceback" not in srv.stderr_path.read_text()


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(args, cwd=REPO_ROOT, env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def test_an_unmigrated_database_stops_start_up_with_one_line(kind: str) -> None:
    with fresh_database(kind, prefix="forum_tw_") as url:
        _refuses_to_start({"FORUM_DATABASE_URL": url, "FORUM_SECRET": "s" * 48})


def _refuses_to_start(env: dict[str, str]) -> None:
    process = _start(forum_command("serve", "tornado", "--port", str(free_port())), env)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    lines = [line for line in err.splitlines() if "forum migrate" in line]
    assert len(lines) == 1 and "Traceback" not in err, err


@pytest.mark.slow
@pytest.mark.parametrize("front", ["forum serve tornado --processes 2", "python -m async_app"])
def test_starts_prints_one_ready_line_and_stops_on_sigterm(front: str) -> None:
    with fresh_database("sqlite") as url:
        migrate(url)
        port = free_port()
        if front.startswith("forum"):   # forks two children; SIGTERM to the parent must stop them all
            args = forum_command("serve", "tornado", "--processes", "2", "--port", str(port))
        else:                            # the tornado.options front end
            args = [sys.executable, "-m", "async_app", f"--port={port}"]
        process = _start(args, {"FORUM_DATABASE_URL": url, "FORUM_SECRET": "s" * 48})
        try:
            assert process.stdout is not None
            ready = process.stdout.readline()
            assert ready.startswith(f"forum: tornado serving on http://127.0.0.1:{port}/ (pid "), ready
            assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json() == {"status": "ready"}
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Traceback" not in err, err
        with contextlib.suppress(ProcessLookupError):   # no child outlives the parent
            os.killpg(process.pid, 0)
            pytest.fail("a child process is still running after the parent exited")
