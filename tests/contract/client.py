"""The contract suite's client: answer checks, the resource shapes of API.md §3, and data builders.

Tests import these; fixtures in conftest.py hand out one ``Api`` and one ``Forum`` per server.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from typing import Any

import requests
import websocket

from tests.support.servers import Server

JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

USER_KEYS = {"id", "username", "nickname", "bio", "avatar_url", "role", "created_at"}
SUMMARY_KEYS = {"id", "username", "nickname", "avatar_url"}
GROUP_KEYS = {"id", "name", "category", "description", "join_policy", "cover_url", "owner", "member_count",
              "post_count", "created_at", "membership"}
POST_KEYS = {"id", "group_id", "author", "title", "content", "content_html", "pinned", "locked", "view_count",
             "comment_count", "like_count", "liked", "created_at", "updated_at", "edited_at", "bookmarked",
             "unread_comments"}
COMMENT_KEYS = {"id", "post_id", "author", "content", "content_html", "parent_id", "reply_to", "like_count",
                "liked", "reply_count", "created_at", "edited_at"}
QUESTION_KEYS = {"id", "author", "title", "content", "content_html", "category", "view_count", "answer_count",
                 "created_at", "updated_at", "edited_at", "accepted_answer_id", "bookmarked", "unread_answers"}
ANSWER_KEYS = {"id", "question_id", "author", "content", "content_html", "parent_id", "reply_to", "like_count",
               "liked", "reply_count", "created_at", "edited_at", "score", "my_vote", "accepted"}
REVISION_KEYS = {"id", "editor", "title", "content", "created_at"}
NOTIFICATION_KEYS = {"id", "kind", "actor", "target", "excerpt", "read", "created_at"}
APPLICATION_KEYS = {"id", "group_id", "user", "reason", "status", "created_at"}
BOOKMARK_KEYS = {"type", "id", "title", "author", "group_id", "reply_count", "unread", "created_at", "bookmarked_at"}
GUESTBOOK_KEYS = {"id", "name", "email", "address", "message", "created_at"}


# --------------------------------------------------------------------------- answers


def describe(resp: requests.Response) -> str:
    """One line naming the request and its answer, for assertion messages."""
    return (f"{resp.request.method} {resp.request.url} -> {resp.status_code} "
            f"[{resp.headers.get('Content-Type')}] {resp.text[:600]!r}")


def ok(resp: requests.Response, status: int = 200) -> Any:
    """Assert a successful JSON answer and return its decoded body (None for 204)."""
    assert resp.status_code == status, describe(resp)
    if status == 204:
        assert resp.content == b"", describe(resp)
        return None
    assert resp.headers.get("Content-Type") == JSON_TYPE, describe(resp)
    return resp.json()


def problem(resp: requests.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer with this status and return its body."""
    assert resp.status_code == status, describe(resp)
    assert resp.headers.get("Content-Type") == PROBLEM_TYPE, describe(resp)
    body = resp.json()
    assert isinstance(body, dict), describe(resp)
    assert body.get("status") == status, describe(resp)
    assert isinstance(body.get("type"), str) and isinstance(body.get("title"), str), describe(resp)
    assert isinstance(body.get("detail"), str), describe(resp)
    assert "Traceback" not in resp.text, describe(resp)
    if status == 401:
        assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), describe(resp)
    if status == 405:
        assert resp.headers.get("Allow"), describe(resp)
    if status in (429, 503):
        assert resp.headers.get("Retry-After", "").isdigit(), describe(resp)
    return body


def field_errors(resp: requests.Response) -> set[str]:
    """A 422's offending field names (asserting the ``errors`` shape on the way)."""
    body = problem(resp, 422)
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, describe(resp)
    for error in errors:
        assert set(error) == {"field", "message"}, describe(resp)
        assert isinstance(error["message"], str) and error["message"], describe(resp)
    return {e["field"] for e in errors}


def is_time(value: Any) -> bool:
    return isinstance(value, str) and ISO_Z.match(value) is not None


def items(resp: requests.Response) -> list[dict[str, Any]]:
    """The items of a list answer, checking the list shape."""
    body = ok(resp)
    assert set(body) == {"items", "next_cursor"}, describe(resp)
    assert isinstance(body["items"], list), describe(resp)
    return body["items"]


# --------------------------------------------------------------------------- client


class Api:
    """A requests.Session bound to one server; paths are under /api/v1 unless ``site=True``."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.base_url = server.base_url
        self.http = requests.Session()

    def url(self, path: str, site: bool = False) -> str:
        if path.startswith("http"):
            return path
        return self.base_url + ("" if site else "/api/v1") + path

    def request(self, method: str, path: str, *, user: dict[str, Any] | None = None, token: str | None = None,
                site: bool = False, headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(headers or {})
        if user is not None:
            token = user["token"]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.url(path, site), headers=headers, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


_serial = itertools.count(1)


def from_address() -> dict[str, str]:
    """Headers that make the request come from a fresh client address.

    The test process plays nginx here: loopback is a trusted proxy, so the forum takes the client's
    address from X-Real-IP. Per-address limits (guestbook, login) then count per test, not per suite.
    """
    return {"X-Real-IP": f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"}


def unique(prefix: str) -> str:
    """A name no other test (or earlier run on the same database) has used: letters, digits, _."""
    return f"{prefix}{next(_serial)}_{secrets.token_hex(3)}"


class Forum:
    """Builders for test data through the public API, so each test says only what matters to it."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def user(self, **fields: Any) -> dict[str, Any]:
        """Register a unique user and log in: {id, username, email, password, token, headers, user}."""
        username = fields.pop("username", unique("u"))
        body = {"username": username, "email": f"{username.lower()}@example.org",
                "password": f"pw-{secrets.token_hex(8)}", **fields}
        created = ok(self.api.post("/auth/register", json=body), 201)
        # from an address of its own: the suite's failed logins from 127.0.0.1 must not lock test users out
        login = ok(self.api.post("/auth/login", headers=from_address(),
                                 json={"login": username, "password": body["password"]}))
        token = login["access_token"]
        return {"id": created["id"], "username": username, "email": body["email"], "password": body["password"],
                "token": token, "headers": {"Authorization": f"Bearer {token}"}, "user": created}

    def group(self, owner: dict[str, Any], join_policy: str = "open", **fields: Any) -> dict[str, Any]:
        body = {"name": unique("Group "), "category": "python", "description": "A test group.",
                "join_policy": join_policy, **fields}
        return ok(self.api.post("/groups", user=owner, json=body), 201)

    def join(self, group: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        """Join an open group (the application is approved at once)."""
        app = ok(self.api.post(f"/groups/{group['id']}/applications", user=user, json={"reason": "hi"}), 201)
        assert app["status"] == "approved", app
        return app

    def post(self, group: dict[str, Any], author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"title": unique("Post "), "content": "Some *content*.", **fields}
        return ok(self.api.post(f"/groups/{group['id']}/posts", user=author, json=body), 201)

    def comment(self, post: dict[str, Any], author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"content": unique("comment "), **fields}
        return ok(self.api.post(f"/posts/{post['id']}/comments", user=author, json=body), 201)

    def question(self, author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"title": unique("Question "), "content": "How do I *x*?", "category": "python", **fields}
        return ok(self.api.post("/questions", user=author, json=body), 201)

    def answer(self, question: dict[str, Any], author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"content": unique("answer "), **fields}
        return ok(self.api.post(f"/questions/{question['id']}/answers", user=author, json=body), 201)

    def notifications(self, user: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        return items(self.api.get("/notifications", user=user, params={"limit": 100, **params}))

    def all_pages(self, path: str, limit: int = 2, **kw: Any) -> list[dict[str, Any]]:
        """Every item of a list, following next_cursor."""
        seen: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": limit}
        for _ in range(1000):
            body = ok(self.api.get(path, params=params, **kw))
            seen.extend(body["items"])
            if body["next_cursor"] is None:
                return seen
            params["cursor"] = body["next_cursor"]
        raise AssertionError(f"{path}: more than 1000 pages")


# --------------------------------------------------------------------------- live threads (WebSocket)

def watching(api: Api, user: dict[str, Any], **thread: int) -> websocket.WebSocket:
    """A socket of ``user`` watching one thread (``post_id=`` or ``question_id=``), once the server says so."""
    ws = websocket.create_connection(f"{api.server.notifications_url}?token={user['token']}", timeout=10)
    ws.send(json.dumps({"type": "watch", **thread}))
    assert next_of(ws, "watching") == {"type": "watching", **thread}
    return ws


def next_of(ws: websocket.WebSocket, kind: str) -> dict[str, Any]:
    """The next message of type ``kind``, skipping the notifications and counts a socket is also sent."""
    while True:
        message: dict[str, Any] = json.loads(ws.recv())
        if message["type"] == kind:
            return message
        assert message["type"] in ("unread_count", "notification"), message
