"""An idle WebSocket through nginx lives on, because the app pings more often than nginx's read timeout.

nginx's read timeout on /ws/ is ten of the app's ping intervals (300 s for the real 30 s). Waiting
past 300 s is too slow for a test, so the whole thing is scaled down: pings every 0.4 s, nginx gives
up on a silent upstream after 4 s, and the socket stays idle for 10 s. Were the pings missing (or
not crossing nginx), nginx would cut the socket after 4 s. ``FORUM_TEST_WS_IDLE=120
FORUM_TEST_WS_PING=30`` runs it at full scale.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest
import websocket

from shared.cli.nginx import find_nginx
from tests.contract.client import Api, Forum
from tests.support.servers import REPO_ROOT, Server, ServerUnavailable, fresh_database, running_server

from .conftest import connect, receive, unavailable

PING_SECONDS = os.environ.get("FORUM_TEST_WS_PING", "0.4")
IDLE_SECONDS = float(os.environ.get("FORUM_TEST_WS_IDLE", "10"))


@pytest.fixture(params=["tornado", "wsgi-container", "gunicorn", "uwsgi"])
def site(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Server]:
    if find_nginx() is None:
        unavailable("nginx is not installed")
    env = {"FORUM_REDIS_URL": redis_url, "FORUM_WS_PING_INTERVAL": PING_SECONDS}
    try:
        with fresh_database("sqlite") as url, \
                running_server(request.param, url, extra_args=("--nginx",), extra_env=env) as server:
            yield server
            shutil.rmtree(REPO_ROOT / "var" / f"nginx-{server.base_url.rsplit(':', 1)[1]}", ignore_errors=True)
    except ServerUnavailable as exc:
        unavailable(str(exc))


@pytest.mark.slow
def test_an_idle_socket_survives_nginx_read_timeout(site: Server) -> None:
    ws = connect(site, Forum(Api(site)).user()["token"], origin=site.base_url)
    try:
        assert receive(ws)["type"] == "unread_count"
        # Keep reading, as a browser does, so the server's pings are answered (websocket-client pongs).
        idle_until = time.monotonic() + IDLE_SECONDS
        pings = 0
        ws.settimeout(1)
        while time.monotonic() < idle_until:
            try:
                opcode, _ = ws.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException:
                continue
            assert opcode != websocket.ABNF.OPCODE_CLOSE, "the socket was closed while idle"
            pings += opcode == websocket.ABNF.OPCODE_PING
        assert pings > 0, "the server never pinged"
        ws.settimeout(10)
        ws.ping(b"still there?")
        while True:
            opcode, frame = ws.recv_data_frame(control_frame=True)
            assert opcode != websocket.ABNF.OPCODE_CLOSE, "the socket was closed while idle"
            if opcode == websocket.ABNF.OPCODE_PONG:
                assert frame.data == b"still there?"
                break
    finally:
        ws.close()
