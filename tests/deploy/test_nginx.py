"""Every flavour behind a real nginx (``forum serve FLAVOUR --nginx``), checked from the outside.

What nginx must add in front of the app (RELIABILITY 22–25): the API still works through it; a
client-sent X-Forwarded-For / X-Real-IP changes nothing the app keys on; an oversized upload is
refused by nginx before the app sees it; reloading nginx and the app's workers under load loses no
request; slow clients do not starve normal ones. Tests within a module share one server per flavour
and run in this file's order, so the rate-limit test, which blocks logins from 127.0.0.1, is last.
"""

from __future__ import annotations

import io
import itertools
import os
import secrets
import select
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from tests.support.servers import REPO_ROOT
from tests.support.waiting import wait_until

from .sites import APP_PROCESSES, Site

PROBLEM = "application/problem+json"


# -- helpers ----------------------------------------------------------------------------------

def _png(size: int = 64) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _log_lines(site: Site) -> list[str]:
    return site.access_log.read_text().splitlines()


def _logged(site: Site, needle: str) -> str:
    """The newest access-log line containing ``needle``. nginx writes a line when it frees the
    request, which for a refused body comes after its lingering close: wait for it."""
    def found() -> list[str]:
        return [line for line in _log_lines(site) if needle in line]

    wait_until(found, f"an access-log line with {needle!r}")
    return found()[-1]


def _descendants(site: Site) -> list[psutil.Process]:
    return psutil.Process(site.server.process.pid).children(recursive=True)


def _topmost(site: Site, matches: Callable[[psutil.Process], bool]) -> psutil.Process:
    """The first process of the launcher's tree that matches and whose parent does not (a master)."""
    for proc in _descendants(site):
        try:
            if matches(proc) and not matches(proc.parent()):
                return proc
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no matching process under the launcher: {[p.cmdline() for p in _descendants(site)]}")


def _is_gunicorn(proc: psutil.Process) -> bool:
    return any(part.endswith("gunicorn.conf.py") for part in proc.cmdline())


def _is_uwsgi(proc: psutil.Process) -> bool:
    return os.path.basename(proc.exe()) == "uwsgi"


# -- the tests ------------------------------------------------------------------------------

def test_smoke_through_nginx(site: Site) -> None:
    health = requests.get(f"{site.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["Server"] == "nginx"   # server_tokens off: no version

    user, token = site.new_user()
    group = site.api("POST", "/groups", token, json={
        "name": f"nginx {secrets.token_hex(4)}", "category": "ops", "description": "behind nginx",
        "join_policy": "open"})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    post = site.api("POST", f"/groups/{group_id}/posts", token, json={"title": "Hello", "content": "**via** nginx"})
    assert post.status_code == 201, post.text
    listing = site.api("GET", f"/groups/{group_id}/posts")
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["items"]] == [post.json()["id"]]
    assert listing.json()["items"][0]["author"]["id"] == user["id"]

    # nginx compresses JSON on the way out (the OpenAPI document is large enough to be worth it).
    document = requests.get(f"{site.url}/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert document.status_code == 200 and document.headers.get("Content-Encoding") == "gzip"
    assert document.json()["openapi"].startswith("3.1")

    for path in ("/api/v1/no/such/route", "/static/no-such-file.css"):   # the app's 404 and nginx's
        missing = requests.get(site.url + path, timeout=10)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"].startswith(PROBLEM)
        assert missing.json()["status"] == 404


def test_static_files_come_from_nginx_with_long_cache(site: Site) -> None:
    static = REPO_ROOT / "shared" / "static"
    files = sorted(p for p in static.rglob("*") if p.is_file())
    assert files, f"no static files in {static}"
    answer = requests.get(f"{site.url}/static/{files[0].relative_to(static).as_posix()}", timeout=10)
    assert answer.status_code == 200 and answer.content == files[0].read_bytes()
    # Headers only nginx's /static/ location adds: the app never served it.
    assert "immutable" in answer.headers["Cache-Control"] and "Expires" in answer.headers


@pytest.mark.parametrize("site", ["tornado"], indirect=True)
def test_tornado_processes_share_the_load(site: Site) -> None:
    """Only the Tornado flavour runs several app processes behind one upstream: both answer."""
    for _ in range(20):
        assert requests.get(f"{site.url}/healthz", timeout=10).status_code == 200
    upstreams = {line.split("upstream=", 1)[1].split()[0] for line in _log_lines(site) if "GET /healthz" in line}
    assert len(upstreams - {"-"}) == 2, upstreams


def test_app_listens_on_loopback_only(site: Site) -> None:
    """nginx is the only way in (RELIABILITY 24): every listening socket of the tree is on loopback."""
    listening = set()
    for proc in [psutil.Process(site.server.process.pid), *_descendants(site)]:
        try:
            listening |= {c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        except psutil.NoSuchProcess:
            continue
    assert listening and listening <= {"127.0.0.1", "::1"}, listening


def test_oversized_upload_is_refused_by_nginx(site: Site) -> None:
    user, token = site.new_user()
    three_mib = os.urandom(3 * 1024 * 1024)
    refused = site.api("PUT", "/me/avatar", token, files={"avatar": ("big.png", three_mib, "image/png")})
    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith(PROBLEM)
    assert refused.json()["status"] == 413
    # nginx answered it itself: no upstream in its log line, and no trace of it in the app's log.
    line = _logged(site, "PUT /api/v1/me/avatar")
    assert " 413 " in line and "upstream=- " in line, line
    assert "/me/avatar" not in site.server.output()
    group = site.api("POST", "/groups", token, json={"name": f"covers {secrets.token_hex(4)}", "category": "ops"})
    assert group.status_code == 201, group.text
    cover = site.api("PUT", f"/groups/{group.json()['id']}/cover", token,
                     files={"cover": ("big.png", three_mib, "image/png")})
    assert cover.status_code == 413 and cover.json()["status"] == 413

    # 1.5 MiB is over the default limit but within the upload locations' one: nginx passes it on,
    # and the app refuses it for not being an image.
    not_image = site.api("PUT", "/me/avatar", token, files={"avatar": ("x.png", os.urandom(1536 * 1024), "image/png")})
    assert not_image.status_code in (415, 422), not_image.text
    assert "upstream=- " not in _logged(site, f'PUT /api/v1/me/avatar HTTP/1.1" {not_image.status_code}')

    # A 2 MiB JSON body anywhere else is refused the same way (the 1 MiB default).
    big_json = site.api("POST", "/groups", token, data=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                        headers={"Content-Type": "application/json"})
    assert big_json.status_code == 413

    # An avatar within the limit passes nginx's larger per-location limit and reaches the app; the
    # stored file is then served by nginx from /media/ with nosniff.
    accepted = site.api("PUT", "/me/avatar", token, files={"avatar": ("me.png", _png(), "image/png")})
    assert accepted.status_code == 200, accepted.text
    avatar_url = accepted.json()["avatar_url"]
    assert avatar_url.startswith("/media/") or "/media/" in avatar_url, avatar_url
    media = requests.get(site.url + avatar_url[avatar_url.index("/media/"):], timeout=10)
    assert media.status_code == 200
    assert media.headers["X-Content-Type-Options"] == "nosniff"
    assert media.headers["Content-Type"].startswith("image/")
    assert user["id"] == accepted.json()["id"]

    # Images for texts (POST /uploads) have the upload locations' limit too, and nginx serves them.
    not_image = site.api("POST", "/uploads", token, files={"file": ("x.png", os.urandom(1536 * 1024), "image/png")})
    assert not_image.status_code in (415, 422), not_image.text
    image = site.api("POST", "/uploads", token, files={"file": ("t.png", _png(), "image/png")})
    assert image.status_code == 201, image.text
    served = requests.get(site.url + image.json()["url"], timeout=10)
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"


def _masters(site: Site) -> list[psutil.Process]:
    """nginx's master, and the app's master where the flavour has one (gunicorn and uWSGI)."""
    masters = [psutil.Process(site.nginx_pid())]
    if site.flavour == "gunicorn":
        masters.append(_topmost(site, _is_gunicorn))
    elif site.flavour == "uwsgi":
        masters.append(_topmost(site, _is_uwsgi))
    return masters


def _worker_pids(master: psutil.Process) -> set[int]:
    return {child.pid for child in master.children()}


def test_reloads_under_load_lose_nothing(site: Site) -> None:
    """Requests keep coming, one in ten a new post, while nginx reloads (HUP) and gunicorn or uWSGI
    replace their workers (HUP): every request succeeds, every post acknowledged is stored, and
    every master really did replace its workers."""
    threads, writers, most = 8, 10, 1500
    _, owner = site.new_user()
    group = site.api("POST", "/groups", owner, json={"name": f"reload {secrets.token_hex(4)}", "category": "ops"})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    tokens = [site.new_user()[1] for _ in range(writers)]
    for token in tokens:
        joined = site.api("POST", f"/groups/{group_id}/applications", token, json={"reason": "load"})
        assert joined.status_code == 201 and joined.json()["status"] == "approved", joined.text
    reads = ["/healthz", "/api/v1/groups", f"/api/v1/groups/{group_id}/posts"]
    masters = _masters(site)
    workers_before = [_worker_pids(master) for master in masters]

    outcomes: Counter[str] = Counter()
    acknowledged: list[str] = []
    numbers = itertools.count()
    answered = threading.Condition()   # guards outcomes and acknowledged; notified at every answer
    reloaded = threading.Event()
    deadline = time.monotonic() + 120  # bounds a hang; nothing asserts on time

    def one(i: int) -> str:
        try:
            if i % 10 == 0:   # at most 15 posts per writer: inside the posting limit
                title = f"post {i}"
                answer = site.api("POST", f"/groups/{group_id}/posts", tokens[i // 10 % writers],
                                  json={"title": title, "content": "written during a reload"})
                if answer.status_code == 201:
                    with answered:
                        acknowledged.append(title)
            else:
                answer = requests.get(site.url + reads[i % len(reads)], timeout=30)
            return str(answer.status_code)
        except requests.RequestException as exc:
            return type(exc).__name__

    def client() -> None:
        for i in numbers:
            if i >= most or time.monotonic() > deadline or reloaded.is_set():
                return
            outcome = one(i)
            with answered:
                outcomes[outcome] += 1
                answered.notify_all()

    def after(more: int) -> None:
        """Wait until `more` further requests have been answered."""
        with answered:
            target = outcomes.total() + more
            answered.wait_for(lambda: outcomes.total() >= target, timeout=max(0.0, deadline - time.monotonic()))

    with ThreadPoolExecutor(threads) as pool:
        clients = [pool.submit(client) for _ in range(threads)]
        after(50)
        for master in masters:          # nginx first, then the app's master
            master.send_signal(signal.SIGHUP)
            after(100)
        masters[0].send_signal(signal.SIGHUP)   # and nginx once more, with the new app workers
        after(100)
        reloaded.set()
        for done in clients:
            done.result()

    assert set(outcomes) <= {"200", "201"} and outcomes.total() >= 250, f"{outcomes}{site.server.output()}"
    for master, before in zip(masters, workers_before, strict=True):
        # Old workers drain gracefully (a request in flight, an open keep-alive connection): they
        # may take up to nginx's keepalive_timeout (30 s) to leave, then none of them may remain.
        wait_until(lambda: _worker_pids(master).isdisjoint(before),  # noqa: B023 - called at once
                   f"{master.name()} to replace its workers", timeout=35)
    stored = site.api("GET", f"/groups/{group_id}/posts", params={"limit": 100}).json()["items"]
    assert sorted(item["title"] for item in stored) == sorted(acknowledged)
    assert len(acknowledged) == outcomes["201"]


def test_slow_clients_do_not_starve_normal_ones(site: Site) -> None:
    """100 slowloris sockets keep their requests half-sent (RELIABILITY 25): each normal request is
    answered while all 100 still wait, none answered or dropped, and the slow ones are answered too
    once their headers are complete."""
    host, port = site.url.removeprefix("http://").rsplit(":", 1)
    slow: list[socket.socket] = []
    try:
        for i in range(100):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(f"GET /healthz?slow={i} HTTP/1.1\r\nHost: {host}\r\n".encode())
            slow.append(sock)
        for round_ in range(5):
            for sock in slow:   # a header line now and then keeps each request half-sent
                sock.sendall(f"X-Trickle-{round_}: 1\r\n".encode())
            assert requests.get(f"{site.url}/healthz", timeout=10).status_code == 200
            heard_from, _, _ = select.select(slow, [], [], 0)
            assert not heard_from, f"{len(heard_from)} slow requests were answered or dropped before the normal one"
        for sock in slow:
            sock.sendall(b"Connection: close\r\n\r\n")
        statuses = Counter(sock.makefile("rb").readline().split(b" ")[1] for sock in slow)
        assert statuses == {b"200": 100}, statuses
    finally:
        for sock in slow:
            sock.close()


def test_spoofed_forwarded_headers_do_not_change_the_client_address(site: Site) -> None:
    """Failed logins with a different spoofed X-Forwarded-For / X-Real-IP each still count against
    127.0.0.1: the per-address limit (20) answers 429. Were the headers believed, every attempt would
    come from a new address and a new login, and no limit would ever trip."""
    attempts = APP_PROCESSES[site.flavour] * 20 + 1   # each process may count separately (memory store)
    statuses = []
    for i in range(attempts):
        spoof = {"X-Forwarded-For": f"203.0.113.{i % 250 + 1}", "X-Real-IP": f"198.51.100.{i % 250 + 1}"}
        answer = site.api("POST", "/auth/login", json={"login": f"nobody_{i}_{secrets.token_hex(3)}",
                                                      "password": "wrong-password"}, headers=spoof)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) > 0
            break
    assert statuses[-1] == 429, Counter(statuses)
    assert set(statuses[:-1]) == {401}, Counter(statuses)
    # Neither nginx's nor the app's log ever names a spoofed address.
    assert "203.0.113." not in site.access_log.read_text() or all(
        line.startswith("127.0.0.1 ") for line in _log_lines(site))
    output = site.server.output()
    assert "203.0.113." not in output and "198.51.100." not in output
