"""Long connections at their limits (RELIABILITY 51): a client that stops reading is closed while the
others get every message, and a process holding all the sockets it may refuses more with a 503.

Each socket's queue is its write buffer, bounded (``MAX_QUEUED_BYTES``): once the kernel's buffers
and that queue are full, the next message closes the stalled socket instead of growing memory or
making the fan-out wait, and the socket that reads gets all of them.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
import websocket

from tests.contract.client import Api, Forum, next_of, watching
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

COMMENTS = 150
# ~27 KB of text (three bytes a character), as much again of HTML: ~55 KB a message, ~8 MB in all. A sign, not
# Chinese: Han text is segmented for search (jieba), which made this test take a minute and a half.
BIG = "€" * 9000


def tornado_with(env: dict[str, str]) -> Iterator[Server]:
    try:
        with fresh_database("sqlite") as url, running_server("tornado", url, extra_env=env) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service("forum serve tornado", exc)


@pytest.fixture(scope="module")
def tornado() -> Iterator[Server]:
    yield from tornado_with({"FORUM_LIMIT_POSTING": "100000/60"})


def test_a_stalled_socket_is_closed_and_the_reading_one_gets_every_comment(tornado: Server) -> None:
    api = Api(tornado)
    forum = Forum(api)
    alice, bob, carol = forum.user(), forum.user(), forum.user()
    post = forum.post(forum.group(alice), alice)
    reading = watching(api, bob, post_id=post["id"])
    stalled = websocket.create_connection(f"{tornado.notifications_url}?token={carol['token']}", timeout=10,
                                          sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    stalled.send(f'{{"type": "watch", "post_id": {post["id"]}}}')   # ... and never reads again
    try:
        for n in range(COMMENTS):
            made = forum.comment(post, alice, content=f"{n} {BIG}")
            assert next_of(reading, "comment")["comment"]["id"] == made["id"]
        assert "stopped reading" in tornado.stderr_path.read_text()
        received = 0
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while True:   # what the kernel had buffered, then the end: no close frame, the server cut it
                if stalled.recv() == "":
                    raise ConnectionError("closed")
                received += 1
        assert received < COMMENTS
    finally:
        reading.close()
        stalled.close()


@pytest.fixture(scope="module")
def small_tornado() -> Iterator[Server]:
    """A process that may hold three sockets: what the open-file limit less its reserve would say."""
    yield from tornado_with({"FORUM_WS_MAX_SOCKETS": "3"})


def test_at_its_limit_a_process_refuses_new_sockets_cleanly_and_keeps_serving_the_rest(small_tornado: Server) -> None:
    api = Api(small_tornado)
    forum = Forum(api)
    alice, bob = forum.user(), forum.user()
    post = forum.post(forum.group(alice), alice)
    held = [watching(api, bob, post_id=post["id"]) for _ in range(3)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"{small_tornado.notifications_url}?token={bob['token']}", timeout=10)
        assert refused.value.status_code == 503
        assert refused.value.resp_headers["retry-after"] == "10"
        assert "refusing new sockets: 3 open" in small_tornado.stderr_path.read_text()
        assert api.get("/posts/" + str(post["id"])).status_code == 200   # plain requests go on
        comment = forum.comment(post, alice)
        for ws in held:   # and so do the sockets it holds
            assert next_of(ws, "comment")["comment"] == comment
        held.pop().close()
        for _attempt in range(50):   # the server notices the close a moment later
            try:
                held.append(watching(api, bob, post_id=post["id"]))
                break
            except websocket.WebSocketBadStatusException:
                time.sleep(0.1)
        assert len(held) == 3
    finally:
        for ws in held:
            ws.close()


@pytest.fixture(scope="module")
def quick_pings() -> Iterator[Server]:
    """A process that pings its sockets every second (30 s in earnest)."""
    yield from tornado_with({"FORUM_WS_PING_INTERVAL": "1", "FORUM_LIMIT_POSTING": "100000/60"})


def test_a_socket_that_answers_no_ping_is_cut_and_one_that_reads_lives_on(quick_pings: Server) -> None:
    """One timer pings every socket of the process (``Heartbeat``, not a task per socket): a client
    that reads answers each ping, one that never reads again answers none and is cut at the next pass."""
    api = Api(quick_pings)
    forum = Forum(api)
    alice, bob = forum.user(), forum.user()
    post = forum.post(forum.group(alice), alice)
    reading = watching(api, bob, post_id=post["id"])
    silent = watching(api, bob, post_id=post["id"])   # ... and never reads again
    try:
        for _attempt in range(300):   # reading (websocket-client answers pings as it reads) until the cut
            if "stopped reading (no answer to the last ping)" in quick_pings.stderr_path.read_text():
                break
            with contextlib.suppress(websocket.WebSocketTimeoutException):
                reading.settimeout(0.1)
                reading.recv()
        else:
            pytest.fail("the silent socket was never cut")
        reading.settimeout(10)
        comment = forum.comment(post, alice)
        assert next_of(reading, "comment")["comment"] == comment   # the reading socket is still served
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while True:   # the pings it left unread, then the end
                if silent.recv_data_frame(control_frame=True)[0] == websocket.ABNF.OPCODE_CLOSE:
                    raise ConnectionError("closed")
    finally:
        reading.close()
        silent.close()


def test_a_sockets_write_queues_exist_only_while_a_write_is_pending() -> None:
    """``LazyDeque``, what an open socket's stream queues its writes in: a deque as far as
    ``tornado.iostream`` can tell, 40 bytes instead of 760 while empty (issue #18)."""
    from async_app.handlers.ws import LazyDeque

    queue = LazyDeque([(1, "a")])
    queue.append((2, "b"))
    assert queue and len(queue) == 2 and queue[0] == (1, "a") and queue[-1] == (2, "b")
    assert [item for item in queue] == [(1, "a"), (2, "b")]
    assert queue.popleft() == (1, "a") and queue.popleft() == (2, "b")
    assert not queue and len(queue) == 0 and list(queue) == [] and queue._items is None
    with pytest.raises(IndexError):
        queue[0]
    with pytest.raises(IndexError):
        queue.popleft()
    queue.append(3)
    queue.clear()
    assert not queue
