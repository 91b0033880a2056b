"""Revocation across processes (RELIABILITY 29 and 49, with ``shared.revocation``'s cache in every process).

Each process remembers who may still use their tokens, so a password change, a ban or its lift made by
one process must reach what every other process remembers before the change is answered. Each setup
runs two serving processes; every request below goes over a new connection, so the kernel spreads them
over both processes, and each process has the user's standing in memory before the change is made.

- Tornado ×2 and gunicorn ×2 with Redis, gunicorn ×2 and uWSGI ×2 without Redis (the notifier relays):
  every process trusts what it remembers (a token whose version changed behind the forum's back, with
  no revocation published, is still answered from memory), and the writer answers only once every
  process has acknowledged the revocation, so the old token is refused at once whichever process answers;
- Tornado ×2 without Redis: no channel reaches the other process, so nothing is trusted and every
  request asks the database.

Below them, the channel itself in one test process: acknowledged before the publisher returns, and a
listener that hangs makes its process stop trusting before the writer answers (the fallback).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import pytest_asyncio
import requests

from shared.config import Settings
from shared.notifier import Hub, RedisPublisher, RevocationListener, SocketPublisher
from shared.revocation import LEASE, Standing, Standings
from shared.storage.effects import Publish
from tests.contract.client import Api, Forum, ok, problem
from tests.realtime.test_live_flavours import own_database
from tests.support.servers import Server, ServerUnavailable, fresh_database, run_forum, running_server
from tests.support.services import missing_service

REQUESTS = 16   # over new connections: whichever process accepts them

# (flavour, extra arguments, with Redis, whether the processes trust what they remember)
SETUPS = [
    ("tornado", ("--processes", "2"), True, True),
    ("gunicorn", ("--workers", "2"), True, True),
    ("gunicorn", ("--workers", "2"), False, True),
    ("uwsgi", ("--processes", "2"), False, True),
    ("tornado", ("--processes", "2"), False, False),
]


def label(setup: tuple[str, tuple[str, ...], bool, bool]) -> str:
    flavour, _args, redis, _ = setup
    return f"{flavour}x2-{'redis' if redis else 'no-redis'}"


@pytest.fixture(scope="module", params=SETUPS, ids=label)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Server, bool]]:
    flavour, args, redis, trusted = request.param
    env = {"FORUM_REDIS_URL": own_database(request.getfixturevalue("redis_url"))} if redis else {}
    try:
        with fresh_database("sqlite") as url, running_server(flavour, url, extra_env=env, extra_args=args) as server:
            yield server, trusted
    except ServerUnavailable as exc:
        missing_service(f"forum serve {flavour} {' '.join(args)}", exc)


def statuses(server: Server, token: str) -> set[int]:
    """``GET /me`` with ``token``, REQUESTS times, each over a new connection (so on either process)."""
    return {requests.get(f"{server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                                   "Connection": "close"}, timeout=30).status_code
            for _ in range(REQUESTS)}


def remember_everywhere(server: Server, token: str) -> None:
    """``GET /me`` answered 200 by each serving process in turn: the others are stopped meanwhile (SIGSTOP), so
    the new connections go to that one. New connections alone do not reach every process: the kernel does
    not deal a shared listening socket's connections out evenly, and a process that never saw the user
    would learn a version changed behind the forum's back."""
    processes = serving_processes(server)
    for answering in processes:
        others = [p for p in processes if p.pid != answering.pid]
        for other in others:
            other.suspend()
        try:
            assert statuses(server, token) == {200}
        finally:
            for other in others:
                other.resume()


def login(api: Api, user: dict[str, Any], password: str) -> str:
    token: str = ok(api.post("/auth/login", json={"login": user["username"], "password": password}))["access_token"]
    return token


def bump_behind_the_forums_back(server: Server, user_id: int, by: int) -> None:
    """Change a token version without any operation (so nothing is published): what a trusted cache misses."""
    with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE users SET token_version = token_version + ? WHERE id = ?", (by, user_id))


def test_a_revocation_made_by_one_process_holds_in_every_other(served: tuple[Server, bool]) -> None:
    server, trusted = served
    api = Api(server)
    forum = Forum(api)
    user, moderator = forum.user(), forum.user()
    run_forum(server.database_url, "admin", "grant", moderator["username"], "moderator")

    old = user["token"]
    remember_everywhere(server, old)               # both processes remember the user now
    # Do they skip the query? A version bumped behind the forum's back is missed by a trusted cache.
    bump_behind_the_forums_back(server, user["id"], 1)
    assert (200 in statuses(server, old)) == trusted, server.output()
    bump_behind_the_forums_back(server, user["id"], -1)
    assert statuses(server, old) == {200}

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

    # Each process said that revocations reach it (or, without a channel, none did: the database).
    said = re.findall(r"revocations reach this (?:process|worker)", server.stderr_path.read_text(errors="replace"))
    assert len(said) >= 2 if trusted else not said, server.output()


def serving_processes(server: Server) -> list[psutil.Process]:
    """The two processes that answer requests (Tornado's children, gunicorn's or uWSGI's workers)."""
    top = psutil.Process(server.process.pid)
    if server.flavour == "tornado":
        return top.children()
    below = top.children(recursive=True)
    if server.flavour == "gunicorn":
        return [worker for master in below if "gunicorn" in " ".join(master.cmdline()) for worker in master.children()]
    return [process for process in below if "worker" in " ".join(process.cmdline())]


def test_a_process_that_does_not_acknowledge_stops_trusting_before_the_writer_answers(
        served: tuple[Server, bool]) -> None:
    """The fallback across processes: one serving process stopped (SIGSTOP) while the other changes the
    password cannot acknowledge; the writer answers after LEASE seconds, and once the stopped process
    runs again it refuses the old token at once, before its listener has caught up or not. Where nothing
    is trusted (Tornado ×2 without Redis), there is nobody to wait for: the writer answers at once, and
    the stopped process, which asks the database, refuses the old token as well."""
    server, trusted = served
    api = Api(server)
    user = Forum(api).user()
    assert statuses(server, user["token"]) == {200}   # both processes know the user
    stopped = serving_processes(server)[0]
    stopped.suspend()
    try:
        started = time.monotonic()   # over a new connection: the client's kept-alive one may be the stopped one's
        answer = requests.post(f"{server.base_url}/api/v1/me/password", timeout=30,
                               headers={"Authorization": f"Bearer {user['token']}", "Connection": "close"},
                               json={"old_password": user["password"], "new_password": "new secret!"})
        assert answer.status_code == 204, answer.text
        waited = time.monotonic() - started
        if trusted:
            assert waited >= LEASE * 0.99   # it waited for the stopped one, in vain
        else:
            assert waited < LEASE           # nobody remembers the user: nothing to wait for
    finally:
        stopped.resume()
    assert statuses(server, user["token"]) == {401}
    said = "did not acknowledge a revocation" in server.stderr_path.read_text(errors="replace")
    assert said == trusted


# -- the channel, in one test process: acknowledged before the publisher returns, and the lease ----------

class Hanging(Standings):
    """A worker's cache whose listener hangs on the next revocation until ``released`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def forget(self, user_id: int) -> None:
        self.released.wait(30)
        super().forget(user_id)


def eventually(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.02)


def remembered(standings: Standings, user_id: int = 7) -> Standings:
    """``standings`` once trusted (its listener's first ping answered), remembering ``user_id``."""
    eventually(lambda: standings.trusted)
    standings.remember(user_id, Standing(1), standings.ticket())
    assert standings.get(user_id) == Standing(1)
    return standings


@pytest.fixture
def listening() -> Iterator[Callable[[Settings, Standings], None]]:
    """``listening(settings, standings)`` starts a worker's listener thread, stopped after the test."""
    started: list[tuple[RevocationListener, threading.Thread]] = []

    def listen(settings: Settings, standings: Standings) -> None:
        listener = RevocationListener(settings, standings)
        started.append((listener, listener.start()))

    yield listen
    for listener, _thread in started:
        listener.stopped.set()
    for _listener, thread in started:
        thread.join(LEASE)


@pytest_asyncio.fixture(loop_scope="function", params=["redis", "notifier"])
async def channel(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Settings, Hub]]:
    """The settings of a forum whose revocations cross Redis, or the notifier's Unix socket (its hub)."""
    database = f"sqlite:///{tmp_path}/forum.sqlite3"
    if request.param == "redis":
        settings = Settings(database_url=database, redis_url=own_database(request.getfixturevalue("redis_url")))
        hub = Hub(settings)   # a Tornado process: its hub forgets in its own standings
        hub.standings = Standings()
    else:
        settings = Settings(database_url=database, notifier_socket=str(tmp_path / "events.sock"))
        hub = Hub(settings, inbox=settings.notifier_socket)   # the notifier beside the workers
    await hub.start()
    yield settings, hub
    await hub.close()


def publisher(settings: Settings) -> RedisPublisher | SocketPublisher:
    return RedisPublisher(settings) if settings.redis_url else SocketPublisher(settings.notifier_socket)


async def test_a_revocation_returns_once_every_process_forgot(channel: tuple[Settings, Hub], listening: Any) -> None:
    """gunicorn-like workers (a listener thread each) and, with Redis, a Tornado hub: when a worker's
    publisher returns, every cache has forgotten the user; no process waited for anything."""
    settings, hub = channel
    workers = [Standings(), Standings()]
    for standings in workers:
        listening(settings, standings)
    caches = [*workers, *([hub.standings] if hub.standings is not None else [])]
    for standings in caches:
        await asyncio.to_thread(remembered, standings)
    started = time.monotonic()
    await asyncio.to_thread(publisher(settings), Publish(7, close=True))
    assert time.monotonic() - started < LEASE / 2
    assert [standings.get(7) for standings in caches] == [None] * len(caches)
    assert all(standings.trusted for standings in caches)   # still trusted: they kept up
    if hub.standings is not None:   # the same from the event loop (a Tornado process revoking)
        for standings in caches:
            standings.remember(8, Standing(1), standings.ticket())
        sent = hub.publish(Publish(8, close=True))
        assert sent is not None
        await sent
        assert [standings.get(8) for standings in caches] == [None] * len(caches)


async def test_a_listener_that_hangs_stops_its_process_trusting_before_the_writer_answers(
        channel: tuple[Settings, Hub], listening: Any) -> None:
    """The fallback: a worker that does not acknowledge in time has lost its lease when the publisher
    returns, so it asks the database; once it catches up it trusts again, without the stale entry."""
    settings, _hub = channel
    keeping_up, hanging = Standings(), Hanging()
    for standings in (keeping_up, hanging):
        listening(settings, standings)
        await asyncio.to_thread(remembered, standings)
    started = time.monotonic()
    await asyncio.to_thread(publisher(settings), Publish(7, close=True))
    assert time.monotonic() - started >= LEASE * 0.99   # it waited for the one that hangs, in vain
    assert keeping_up.get(7) is None and keeping_up.trusted
    assert not hanging.trusted and hanging.get(7) is None   # the entry is there, but not trusted
    hanging.released.set()
    await asyncio.to_thread(eventually, lambda: hanging.trusted)
    assert hanging.get(7) is None    # applied before the answer that renewed the lease
