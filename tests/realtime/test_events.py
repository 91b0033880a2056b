"""Server-Sent Events at ``GET /api/v1/events`` from every flavour, with and without nginx (API.md §11).

Over real sockets: a notification made while the stream is open arrives; a client that drops and
reconnects with ``Last-Event-ID`` gets what was made meanwhile; the token (``?token=``) and the login
cookie both open a stream, and a bad or missing one is a 401 problem+json. On gunicorn's sync workers
each stream holds a worker: beyond the cap a stream gets 503 with Retry-After while plain requests
are still answered, and a stream ends before the worker's timeout with a ``retry:`` line.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.contract.client import Api, Forum, ok, problem
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

from .test_live_flavours import serving

WAIT_SECONDS = 40   # for one event: longer than a blocking worker's stream (25 s) and its reconnection

# (flavour, extra arguments, with Redis)
SETUPS = [
    ("tornado", (), False),
    ("wsgi-container", (), False),
    ("gunicorn", ("--workers", "4"), False),                  # sync workers, polling the database
    ("gunicorn", ("--workers", "2", "--worker-class", "gthread", "--threads", "3"), True),   # woken by Redis
    ("gunicorn", ("--workers", "1", "--worker-class", "gevent"), True),
    ("uwsgi", ("--processes", "4"), False),
    ("tornado", ("--nginx",), False),
    ("wsgi-container", ("--nginx",), False),
    ("gunicorn", ("--nginx", "--workers", "4"), True),
    ("uwsgi", ("--nginx", "--processes", "4"), False),
]


def label(setup: tuple[str, tuple[str, ...], bool]) -> str:
    flavour, args, redis = setup
    kind = next((args[i + 1] for i, a in enumerate(args) if a == "--worker-class"), "")
    return "-".join([flavour, *([kind] if kind else []), *(["nginx"] if "--nginx" in args else []),
                     "redis" if redis else "no-redis"])


@pytest.fixture(scope="module", params=SETUPS, ids=label)
def served(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serving(request) as server:
        yield server


class Stream:
    """An open ``/api/v1/events`` answer, read one event at a time (comment lines skipped)."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        # one byte at a time: an event must be read as soon as it is written, whatever the framing
        self.lines = response.iter_lines(chunk_size=1, decode_unicode=True)
        self.retries: list[int] = []   # each retry: line, in order

    def next(self) -> dict[str, Any] | None:
        """The next event as {"id", "event", "data"}; None when the server ends the stream. Comment
        lines keep a stream alive forever, so the wait is bounded here (a missed event fails)."""
        fields: dict[str, Any] = {}
        deadline = time.monotonic() + WAIT_SECONDS
        for line in self.lines:
            assert time.monotonic() < deadline, f"no event within {WAIT_SECONDS} s"
            if line == "":
                if "data" in fields:
                    return fields
                continue   # a retry: line alone, or a comment
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "retry":
                self.retries.append(int(value))
            elif name == "data":
                fields["data"] = json.loads(value)
            elif name in ("id", "event"):
                fields[name] = value
        return None

    def next_of(self, kind: str) -> dict[str, Any]:
        while True:
            found = self.next()
            assert found is not None, f"the stream ended before an {kind} event"
            if found["event"] == kind:
                return found

    def close(self) -> None:
        self.response.close()


def open_stream(server: Server, *, token: str | None = None, last_id: int | None = None,
                **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    kwargs.setdefault("timeout", (10, 30))
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    return requests.get(server.base_url + "/api/v1/events", params={"token": token} if token else None,
                        headers=headers, stream=True, **kwargs)


def stream(server: Server, **kwargs: Any) -> Stream:
    """An open stream. A blocking worker notices that an earlier test's stream has gone only when its
    next comment line fails to go out, and holds the slot until then: like ``EventSource``, this
    client comes back after the 503's Retry-After."""
    for _attempt in range(5):
        response = open_stream(server, **kwargs)
        if response.status_code != 503:
            break
        time.sleep(int(response.headers["Retry-After"]))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return Stream(response)


def test_a_notification_made_while_the_stream_is_open_arrives(served: Server) -> None:
    forum = Forum(Api(served))
    alice, bob = forum.user(), forum.user()
    post = forum.post(forum.group(alice), alice)
    events = stream(served, token=alice["token"])
    try:
        first = events.next()
        assert first == {"id": "0", "event": "unread_count", "data": {"type": "unread_count", "count": 0}}
        assert events.retries and events.retries[0] > 0
        ok(forum.api.put(f"/posts/{post['id']}/like", user=bob))
        note = events.next_of("notification")
        assert note["data"]["type"] == "notification" and note["data"]["notification"]["kind"] == "like"
        assert note["id"] == str(note["data"]["notification"]["id"])
        assert note["data"]["notification"] == forum.notifications(alice)[0]
        count = events.next_of("unread_count")
        assert count == {"id": note["id"], "event": "unread_count", "data": {"type": "unread_count", "count": 1}}
        ok(forum.api.post("/notifications/read", user=alice, json={"all": True}), 204)
        assert events.next_of("unread_count")["data"] == {"type": "unread_count", "count": 0}
    finally:
        events.close()


def test_a_stream_resumes_after_a_drop_without_losing_a_notification(served: Server) -> None:
    forum = Forum(Api(served))
    alice, bob = forum.user(), forum.user()
    group = forum.group(alice, join_policy="open")
    forum.join(group, bob)
    post = forum.post(group, alice)
    events = stream(served, token=alice["token"])
    try:
        ok(forum.api.put(f"/posts/{post['id']}/like", user=bob))
        seen = events.next_of("notification")["id"]
    finally:
        events.close()   # the connection drops
    missed = [forum.comment(post, bob) for _ in range(2)]   # made while nobody listens
    events = stream(served, token=alice["token"], last_id=int(seen))
    try:
        replayed = [events.next_of("notification") for _ in missed]
        assert [e["data"]["notification"]["kind"] for e in replayed] == ["comment", "comment"]
        assert [int(e["id"]) for e in replayed] == sorted(int(e["id"]) for e in replayed)
        assert int(replayed[0]["id"]) > int(seen)
        assert events.next_of("unread_count")["data"]["count"] == 3
        forum.comment(post, bob)   # and then live ones again
        assert events.next_of("notification")["data"]["notification"]["kind"] == "comment"
    finally:
        events.close()


def test_the_login_cookie_opens_a_stream_too(served: Server) -> None:
    user = Forum(Api(served)).user()
    browser = requests.Session()
    form = browser.get(served.base_url + "/login", timeout=10)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf, form.text
    done = browser.post(served.base_url + "/login", allow_redirects=False, timeout=10,
                        data={"login": user["username"], "password": user["password"], "_xsrf": xsrf.group(1)})
    assert done.status_code in (302, 303) and "forum_session" in browser.cookies, done.text
    events = stream(served, cookies={"forum_session": browser.cookies["forum_session"]})
    try:
        assert events.next() == {"id": "0", "event": "unread_count", "data": {"type": "unread_count", "count": 0}}
    finally:
        events.close()


@pytest.mark.parametrize("credential", [{"token": "not-a-token"}, {}, {"cookies": {"forum_session": "stale"}}],
                         ids=["bad-token", "none", "bad-cookie"])
def test_no_stream_without_a_valid_credential(served: Server, credential: dict[str, Any]) -> None:
    answer = open_stream(served, **credential)
    body = problem(answer, 401)
    assert body["status"] == 401


def test_a_last_event_id_that_is_no_id_is_a_400(served: Server) -> None:
    token = Forum(Api(served)).user()["token"]
    problem(open_stream(served, token=token, headers={"Last-Event-ID": "abc"}), 400)


# -- the sync workers' lesson ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_sync_workers() -> Iterator[Server]:
    """gunicorn with two sync workers: one stream at a time (the other worker answers everything else),
    and streams cut after 3 s, long before gunicorn's 30 s timeout."""
    try:
        with fresh_database("sqlite") as url, \
                running_server("gunicorn", url, extra_args=("--workers", "2"),
                               extra_env={"FORUM_SSE_STREAM_SECONDS": "3"}) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service("forum serve gunicorn --workers 2", exc)


def test_on_sync_workers_the_streams_are_capped_and_cut_before_the_timeout(two_sync_workers: Server) -> None:
    server = two_sync_workers
    forum = Forum(Api(server))
    alice = forum.user()
    holding = stream(server, token=alice["token"])
    try:
        assert holding.next_of("unread_count")["data"]["count"] == 0
        refused = open_stream(server, token=alice["token"])
        body = problem(refused, 503)
        assert "stream" in body["detail"] and int(refused.headers["Retry-After"]) > 0
        ok(forum.api.get("/groups"))   # the worker left free answers the rest
        while holding.next() is not None:   # the server ends it (3 s), saying when to come back
            pass
        assert len(holding.retries) == 2, holding.retries   # the first line and the last
    finally:
        holding.close()


# -- gthread: a thread left free in every worker -----------------------------------------------------

@pytest.fixture(scope="module", params=["2", "1"], ids=lambda threads: f"gthread-2x{threads}")
def gthread_workers(request: pytest.FixtureRequest) -> Iterator[Server]:
    """gunicorn with two gthread workers of two threads (or one). A worker's main thread accepts
    connections while its threads stream and queues them: each keeps a thread free (threads − 1
    streams; with one thread it takes one connection at a time, as a sync worker)."""
    args = ("--workers", "2", "--worker-class", "gthread", "--threads", request.param)
    try:
        with fresh_database("sqlite") as url, \
                running_server("gunicorn", url, extra_args=args, extra_env={"FORUM_SSE_STREAM_SECONDS": "10"}) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service("forum serve gunicorn --worker-class gthread", exc)


def test_on_gthread_workers_a_stream_too_many_gets_a_prompt_503(gthread_workers: Server) -> None:
    server = gthread_workers
    token = Forum(Api(server)).user()["token"]
    held: list[requests.Response] = []
    try:
        for _attempt in range(5):   # a hang here (the read timeout) is the bug: a queued connection
            started = time.monotonic()
            answer = open_stream(server, token=token, timeout=(5, 3))
            if answer.status_code == 503:
                break
            assert answer.status_code == 200, answer.text
            held.append(answer)
        body = problem(answer, 503)
        assert "stream" in body["detail"] and int(answer.headers["Retry-After"]) > 0
        assert time.monotonic() - started < 3
        assert 1 <= len(held) <= 2   # two workers, each with one thread (or connection) left
        for _request in range(6):    # new connections, accepted by either worker: none waits for a stream
            started = time.monotonic()
            ok(requests.get(server.base_url + "/healthz", timeout=3))
            assert time.monotonic() - started < 2
    finally:
        for answer in held:
            answer.close()
