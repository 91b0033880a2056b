"""Keys belong to an application: two apps in one process, with different secrets, each refuse the
other's tokens and cursors (issue #12; ``shared/keys.py``). Both flavours, in this one process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil

from async_app.app import make_app
from shared.storage.drivers import open_async
from wsgi_app import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")   # the same loop as the async fixtures

SECRETS = ("a" * 40, "b" * 40)
ACCOUNT = {"username": "two_apps", "email": "two@example.org", "password": "correct horse battery"}


class FlaskClient:
    def __init__(self, url: str, secret: str) -> None:
        self.client = create_app({"database_url": url, "secret": secret, "TESTING": True}).test_client()

    async def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = self.client.open("/api/v1" + path, method=method, json=body, headers=headers)
        return answer.status_code, answer.get_json(silent=True)


class TornadoClient:
    def __init__(self, base_url: str) -> None:
        self.base_url, self.http = base_url, tornado.httpclient.AsyncHTTPClient()

    async def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        answer = await self.http.fetch(self.base_url + "/api/v1" + path, method=method, headers=headers,
                                       body=None if body is None else json.dumps(body), raise_error=False)
        return answer.code, json.loads(answer.body) if answer.body else None


@pytest.fixture
async def tornado_pair(sqlite_url: str, settings_for: Any) -> AsyncIterator[list[TornadoClient]]:
    servers, dbs, clients = [], [], []
    for secret in SECRETS:
        settings = settings_for(sqlite_url, secret=secret)
        db = await open_async(settings)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(make_app(settings, db))
        server.add_sockets(sockets)
        servers.append(server)
        dbs.append(db)
        clients.append(TornadoClient(f"http://127.0.0.1:{sockets[0].getsockname()[1]}"))
    yield clients
    for server, db in zip(servers, dbs, strict=True):
        server.stop()
        await db.close()


async def each_refuses_the_others_keys(first: Any, second: Any) -> None:
    status, _ = await first.call("POST", "/auth/register", ACCOUNT)
    assert status == 201
    for _ in range(2):
        await first.call("POST", "/guestbook", {"name": "n", "message": "m"})
    login = {"login": ACCOUNT["username"], "password": ACCOUNT["password"]}
    tokens = [(await app.call("POST", "/auth/login", login))[1]["access_token"] for app in (first, second)]
    cursors = [(await app.call("GET", "/guestbook?limit=1"))[1]["next_cursor"] for app in (first, second)]
    assert tokens[0] != tokens[1] and cursors[0] != cursors[1]
    for mine, theirs, app in ((0, 1, first), (1, 0, second)):
        assert (await app.call("GET", "/me", token=tokens[mine]))[0] == 200
        assert (await app.call("GET", "/me", token=tokens[theirs]))[0] == 401
        assert (await app.call("GET", f"/guestbook?limit=1&cursor={cursors[mine]}"))[0] == 200
        assert (await app.call("GET", f"/guestbook?limit=1&cursor={cursors[theirs]}"))[0] == 400


async def test_two_flask_apps_in_one_process_keep_their_own_keys(sqlite_url: str) -> None:
    await each_refuses_the_others_keys(*(FlaskClient(sqlite_url, secret) for secret in SECRETS))


async def test_two_tornado_apps_in_one_process_keep_their_own_keys(tornado_pair: list[TornadoClient]) -> None:
    await each_refuses_the_others_keys(*tornado_pair)
