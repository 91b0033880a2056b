"""Fixtures for the real-time tests: real servers sharing one database and one Redis, and socket helpers.

Redis (127.0.0.1:6379, or ``FORUM_TEST_REDIS_URL``) carries notifications between processes; when it
is not running the tests that need it are skipped (failed under ``CI=true``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # so `tests.support` imports however pytest starts

from tests.contract.client import Api, Forum  # noqa: E402
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DB_PREFIX = "forum_ws_"


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {REDIS_URL} is not reachable: {exc}")
    return REDIS_URL


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
        unavailable(str(exc))


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
