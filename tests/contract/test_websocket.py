"""WebSocket /ws/notifications: the unread count on connect, then each notification as it is made."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websocket

from .client import NOTIFICATION_KEYS, ok


def connect(api, token: str | None) -> websocket.WebSocket:
    url = api.server.notifications_url   # the base URL's, or the notifier's for gunicorn/uWSGI
    if token is not None:
        url += f"?token={token}"
    return websocket.create_connection(url, timeout=10)


def receive(ws: websocket.WebSocket) -> dict[str, Any]:
    message = json.loads(ws.recv())
    assert isinstance(message, dict) and message.get("type") in ("notification", "unread_count"), message
    return message


def test_unread_count_on_connect_then_notifications_as_they_happen(api, forum, make_user):
    alice, bob = make_user(), make_user()
    post = forum.post(forum.group(alice), alice)
    ws = connect(api, alice["token"])
    try:
        assert receive(ws) == {"type": "unread_count", "count": 0}
        ok(api.put(f"/posts/{post['id']}/like", user=bob))
        messages = {m["type"]: m for m in (receive(ws), receive(ws))}
        assert set(messages) == {"notification", "unread_count"}, messages
        note = messages["notification"]["notification"]
        assert set(note) == NOTIFICATION_KEYS and note["kind"] == "like" and note["actor"]["id"] == bob["id"]
        assert messages["unread_count"]["count"] == 1
        ok(api.post("/notifications/read", user=alice, json={"all": True}), 204)
        assert receive(ws) == {"type": "unread_count", "count": 0}
    finally:
        ws.close()


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_socket_needs_a_valid_token(api, token):
    try:
        ws = connect(api, token)
    except websocket.WebSocketBadStatusException as exc:
        assert exc.status_code in (401, 403), exc
        return
    try:  # accepted the upgrade: then it must close at once without sending anything
        try:
            message = ws.recv()   # a close frame reads as ""
        except websocket.WebSocketConnectionClosedException:
            message = ""
        assert message == "", message
    finally:
        ws.close()
