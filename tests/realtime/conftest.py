"""Fixtures for the real-time tests: real servers sharing one database and one Redis, and socket helpers.

Redis (``redis_url`` of tests/conftest.py) carries notifications between processes; when it, MySQL or a
server is missing the tests that need it are skipped, and failed under ``CI=true`` (tests/support/services.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tests.contract.client import Api, Forum
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

DB_PREFIX = "forum_ws_"


@pytest.fixture(scope="module")
def pair(redis_url: str) -> Iterator[dict[str, Server]]:
    """Tornado and gunicorn (with its notifier) serving ONE MySQL database, joined by Redis."""
    env = {"FORUM_REDIS_URL": redis_url}
    try:
        with fresh_database("mysql", prefix=DB_PREFIX) as url, \
                running_server("tornado", url, extra_env=env) as tornado, \
                running_server("gunicorn", url, extra_env=env, secret=tornado.secret, migrate_first=False,
                               extra_args=("--workers", "2")) as gunicorn:
            yield {"tornado": tornado, "gunicorn": gunicorn}
    except ServerUnavailable as exc:
        missing_service("Tornado and gunicorn on one MySQL database", exc)


def connect(server: Server, token: str | None = None, **options: Any) -> websocket.WebSocket:
    url = server.notifications_url + (f"?token={token}" if token else "")
    return websocket.create_connection(url, timeout=10, **options)


def receive(ws: websocket.WebSocket) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv())
    return message


def close_code(ws: websocket.WebSocket) -> int:
    """Read (skipping messages and pings) until the server's close frame; its status code."""
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(frame.data[:2], "big")


@pytest.fixture(scope="module")
def forums(pair: dict[str, Server]) -> dict[str, Forum]:
    return {name: Forum(Api(server)) for name, server in pair.items()}
