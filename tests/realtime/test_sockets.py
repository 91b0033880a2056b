"""/ws/notifications over real sockets: across processes and flavours, and its refusals and limits."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import pytest
import requests
import websocket

from tests.contract.client import Api, Forum, ok
from tests.support.servers import Server, fresh_database, running_server

from .conftest import close_code, connect, receive


@pytest.mark.parametrize(("holder", "maker"), [("gunicorn", "tornado"), ("tornado", "gunicorn"),
                                                ("gunicorn", "gunicorn")])
def test_a_notification_reaches_the_socket_whatever_process_made_it(pair, forums, holder, maker):
    """A like served by one flavour reaches a socket held by another, through Redis; so does mark-read."""
    alice, bob = forums[maker].user(), forums[maker].user()
    post = forums[maker].post(forums[maker].group(alice), alice)
    ws = connect(pair[holder], alice["token"])
    try:
        assert receive(ws) == {"type": "unread_count", "count": 0}
        ok(forums[maker].api.put(f"/posts/{post['id']}/like", user=bob))
        messages = {m["type"]: m for m in (receive(ws), receive(ws))}
        assert messages["notification"]["notification"]["actor"]["id"] == bob["id"]
        assert messages["unread_count"]["count"] == 1
        ok(forums[maker].api.post("/notifications/read", user=alice, json={"all": True}), 204)
        assert receive(ws) == {"type": "unread_count", "count": 0}
    finally:
        ws.close()


def test_only_the_recipient_hears_of_it(pair, forums):
    alice, bob, carol = (forums["tornado"].user() for _ in range(3))
    post = forums["tornado"].post(forums["tornado"].group(alice), alice)
    ws = connect(pair["gunicorn"], carol["token"])
    try:
        assert receive(ws) == {"type": "unread_count", "count": 0}
        ok(forums["tornado"].api.put(f"/posts/{post['id']}/like", user=bob))
        ws.settimeout(1)
        with pytest.raises(websocket.WebSocketTimeoutException):
            ws.recv()
    finally:
        ws.close()


@pytest.mark.parametrize("holder", ["tornado", "gunicorn"])
def test_a_socket_needs_a_valid_token_before_the_upgrade(pair, holder):
    for token in (None, "not-a-token"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            connect(pair[holder], token)
        assert refused.value.status_code == 401


@pytest.mark.parametrize("holder", ["tornado", "gunicorn"])
def test_a_request_that_is_no_handshake_gets_a_problem_answer(pair, holder):
    url = pair[holder].notifications_url.replace("ws://", "http://", 1)
    for method, status in (("GET", 400), ("POST", 405)):
        answer = requests.request(method, url, timeout=10)
        assert answer.status_code == status, answer.text
        assert answer.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("holder", ["tornado", "gunicorn"])
def test_a_page_from_another_site_is_refused_and_the_same_host_is_not(pair, forums, holder):
    """RELIABILITY 37: a browser sends Origin; only the forum's own host may open a socket."""
    alice = forums["tornado"].user()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        connect(pair[holder], alice["token"], origin="http://evil.example.com")
    assert refused.value.status_code == 403
    host = pair[holder].notifications_url.split("/")[2]
    ws = connect(pair[holder], alice["token"], origin=f"http://{host}")
    try:
        assert receive(ws)["type"] == "unread_count"
    finally:
        ws.close()


@pytest.mark.parametrize("holder", ["tornado", "gunicorn"])
def test_a_message_over_64_kib_closes_the_socket_with_1009(pair, forums, holder):
    """Refused from the frame header alone, before 64 KiB are buffered.

    Only the header of the big frame is sent: Tornado closes (1009) and drops the connection as soon
    as it reads the length, so a client still sending the payload would get a reset instead of
    reading the close frame."""
    ws = connect(pair[holder], forums["tornado"].user()["token"])
    try:
        assert receive(ws)["type"] == "unread_count"
        ws.send("x" * 64 * 1024)   # at the limit: ignored, the socket stays open
        big = websocket.ABNF.create_frame("x" * (64 * 1024 + 1), websocket.ABNF.OPCODE_TEXT).format()
        assert ws.sock is not None
        ws.sock.sendall(big[:10])  # FIN+opcode, "127: 64-bit length follows", the 8-byte length
        assert close_code(ws) == 1009
    finally:
        ws.close()


@pytest.fixture(params=["tornado", "wsgi-container", "gunicorn"])
def lone_server(request, redis_url) -> Iterator[Server]:
    with fresh_database("sqlite") as url, \
            running_server(request.param, url, extra_env={"FORUM_REDIS_URL": redis_url}) as server:
        yield server


def test_a_graceful_stop_closes_sockets_with_1001(lone_server):
    """RELIABILITY 21: sockets are told the server is going away, and the stop still exits 0."""
    user = Forum(Api(lone_server)).user()
    ws = connect(lone_server, user["token"])
    try:
        assert receive(ws)["type"] == "unread_count"
        lone_server.process.send_signal(signal.SIGTERM)
        assert close_code(ws) == 1001
    finally:
        ws.close()


@pytest.mark.parametrize("holder", ["tornado", "gunicorn"])
def test_the_login_cookie_opens_a_socket_too(pair, forums, holder):
    """A browser page cannot set headers on a WebSocket: the session cookie of /login is enough."""
    user = forums["tornado"].user()
    browser = requests.Session()
    form = browser.get(pair["tornado"].base_url + "/login", timeout=10)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
    assert xsrf, form.text
    done = browser.post(pair["tornado"].base_url + "/login", allow_redirects=False, timeout=10,
                        data={"login": user["username"], "password": user["password"], "_xsrf": xsrf.group(1)})
    assert done.status_code == 303 and "forum_session" in browser.cookies, done.text
    ws = connect(pair[holder], cookie=f"forum_session={browser.cookies['forum_session']}")
    try:
        assert receive(ws) == {"type": "unread_count", "count": 0}
    finally:
        ws.close()
