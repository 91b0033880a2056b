"""The Tornado flavour as an operator and a client meet it: real processes, real sockets, SQLite.

What the contract suite does not cover: limits enforced before the body is read, an event loop that
never blocks on a slow upstream, a graceful SIGTERM with requests in flight, and a clear refusal to
serve an unmigrated database. The upstream page is held until the test releases it, so "in flight"
and "still waiting" are facts the test knows, not guesses from a clock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

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
from tests.support.upstream import PAGE_TITLE, HeldPage, held_page
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with fresh_database("sqlite") as url, running_server("tornado", url) as srv:
        yield srv


@contextlib.contextmanager
def previewing(page: HeldPage) -> Iterator[Server]:
    """A Tornado server on a fresh SQLite database whose link preview may read ``page``."""
    with fresh_database("sqlite") as url, \
            running_server("tornado", url, extra_env={"FORUM_LINK_PREVIEW_ALLOW": page.address}) as srv:
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
def test_fifty_slow_previews_do_not_block_the_loop() -> None:
    """All fifty previews wait on the upstream page at the same time (they run concurrently), and
    /healthz answers while every one of them is still waiting (the loop is not blocked)."""
    with held_page() as page, previewing(page) as server:
        token = token_for(server, "previewer")

        def preview(_: int) -> int:
            answer = requests.get(server.base_url + "/api/v1/link-preview", params={"url": f"http://{page.address}/"},
                                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert answer.json()["title"] == PAGE_TITLE, answer.text
            return answer.status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            previews = [pool.submit(preview, i) for i in range(50)]
            assert page.wait_for(50), f"only {page.arrived} of 50 previews were waiting on the page at once"
            assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200
            assert not any(p.done() for p in previews), "a preview finished before the page was released"
            page.released.set()
            assert [p.result() for p in previews] == [200] * 50


def refuses_connections(server: Server) -> bool:
    """Whether the server's port is closed (a stopping Tornado stops listening first)."""
    try:
        socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.slow
def test_sigterm_finishes_requests_in_flight_then_exits_0() -> None:
    """SIGTERM with five previews waiting on their page: the server stops listening, yet all five
    are answered once the page comes back, and then it exits 0."""
    with held_page() as page, previewing(page) as srv:
        token = token_for(srv, "stopper")
        with ThreadPoolExecutor(max_workers=5) as pool:
            slow = [pool.submit(requests.get, srv.base_url + "/api/v1/link-preview",
                                params={"url": f"http://{page.address}/"}, timeout=30,
                                headers={"Authorization": f"Bearer {token}"}) for _ in range(5)]
            assert page.wait_for(5), f"only {page.arrived} of 5 previews reached the page"
            srv.process.send_signal(signal.SIGTERM)
            wait_until(lambda: refuses_connections(srv), "the server to stop listening after SIGTERM")
            page.released.set()
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
