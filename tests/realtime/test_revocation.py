"""Revocation across processes (RELIABILITY 29 and 49, with ``shared.revocation``'s cache in every process).

Each process remembers who may still use their tokens, so a password change, a ban or its lift made by
one process must reach what every other process remembers before the change is answered. Each setup
runs two serving processes; every request below goes over a new connection, so the kernel spreads them
over both processes, and each process has the user's standing in memory before the change is made.

- Tornado ×2 and gunicorn ×2 with Redis, gunicorn ×2 and uWSGI ×2 without Redis, Tornado ×2 without
  Redis: the revocation crosses Redis or the notifier, but another process would apply it a moment
  after the answer, so no process of several trusts what it remembers: every request asks the
  database (``shared.revocation``), and no process says that revocations reach it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.contract.client import Api, Forum, ok, problem
from tests.realtime.test_live_flavours import own_database
from tests.support.servers import Server, ServerUnavailable, fresh_database, run_forum, running_server
from tests.support.services import missing_service

REQUESTS = 16   # over new connections: both processes see some of them (all miss one: 2 ** -15)

# (flavour, extra arguments, with Redis, log lines saying revocations reach a process: how many)
SETUPS = [
    ("tornado", ("--processes", "2"), True, 0),
    ("gunicorn", ("--workers", "2"), True, 0),
    ("gunicorn", ("--workers", "2"), False, 0),
    ("uwsgi", ("--processes", "2"), False, 0),
    ("tornado", ("--processes", "2"), False, 0),
]


def label(setup: tuple[str, tuple[str, ...], bool, int]) -> str:
    flavour, _args, redis, _ = setup
    return f"{flavour}x2-{'redis' if redis else 'no-redis'}"


@pytest.fixture(scope="module", params=SETUPS, ids=label)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Server, int]]:
    flavour, args, redis, listeners = request.param
    env = {"FORUM_REDIS_URL": own_database(request.getfixturevalue("redis_url"))} if redis else {}
    try:
        with fresh_database("sqlite") as url, running_server(flavour, url, extra_env=env, extra_args=args) as server:
            yield server, listeners
    except ServerUnavailable as exc:
        missing_service(f"forum serve {flavour} {' '.join(args)}", exc)


def statuses(server: Server, token: str) -> set[int]:
    """``GET /me`` with ``token``, REQUESTS times, each over a new connection (so on either process)."""
    return {requests.get(f"{server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                                   "Connection": "close"}, timeout=30).status_code
            for _ in range(REQUESTS)}


def login(api: Api, user: dict[str, Any], password: str) -> str:
    token: str = ok(api.post("/auth/login", json={"login": user["username"], "password": password}))["access_token"]
    return token


def test_a_revocation_made_by_one_process_holds_in_every_other(served: tuple[Server, int]) -> None:
    server, listeners = served
    api = Api(server)
    forum = Forum(api)
    user, moderator = forum.user(), forum.user()
    run_forum(server.database_url, "admin", "grant", moderator["username"], "moderator")

    old = user["token"]
    assert statuses(server, old) == {200}          # both processes remember the user now
    ok(api.post("/me/password", user=user, json={"old_password": user["password"], "new_password": "a new secret"}),
       204)
    assert statuses(server, old) == {401}          # RELIABILITY 29, whichever process answers
    problem(api.get("/me", token=old), 401)

    token = login(api, user, "a new secret")
    assert statuses(server, token) == {200}
    ok(api.post(f"/users/{user['id']}/ban", user=moderator, json={"reason": "spam"}), 204)
    assert statuses(server, token) == {401}        # RELIABILITY 49
    ok(api.delete(f"/users/{user['id']}/ban", user=moderator), 204)
    assert statuses(server, token) == {200}        # and the lift too

    # Each process said once that revocations reach it (or, without a channel, none did: the database).
    said = re.findall(r"revocations reach this (?:process|worker)", server.stderr_path.read_text(errors="replace"))
    assert len(said) >= listeners and (listeners or not said), server.output()
