"""Every answer is exactly the resource its route names: the ``TypedDict``s of ``shared.shapes``.

The operations build their answers as plain dict literals (fast, on every page); the route table
names the ``TypedDict`` each answer is, and the OpenAPI document is written from it. This test
holds the two together: a session that calls every route once, through the Flask app in-process on
a migrated SQLite file, and each success answer validated against its route's type by pydantic in
strict mode with no extra keys. (Both apps run the same operations; the contract suite and
``test_parity`` show that they answer the same bytes.)
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pydantic import TypeAdapter, ValidationError

from shared.cli.admin import grant
from shared.config import load_settings
from shared.http import BASE
from shared.keys import Keys
from shared.routes import ROUTES, Route
from shared.shapes import Post
from shared.storage import watching
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Query
from tests.support.upstream import upstream_site
from wsgi_app import create_app, db
from wsgi_app.api.base import route_name


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    with upstream_site() as site:
        app = create_app({"TESTING": True, "database_url": sqlite_url, "media_dir": str(tmp_path / "media"),
                          "secret": "shapes-test-" + "x" * 32, "link_preview_allow": site})
        app.config["UPSTREAM"] = site
        yield app
        db.close(app)


class Session:
    """Calls through the test client; each success answer is checked against its route's type."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.answered: set[Route] = set()
        self.table = {(route.method, BASE + route.path): route for route in ROUTES}

    def route(self, method: str, path: str) -> Route:
        adapter = self.app.url_map.bind("localhost")
        rule, _ = adapter.match(BASE + path.split("?")[0], method=method, return_rule=True)
        return self.table[(method, route_name(rule.rule))]

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers["X-Real-IP"] = f"198.18.0.{secrets.randbelow(254) + 1}"    # a fresh address: no rate limit
        headers.update(kwargs.pop("headers", {}))
        answer = self.client.open(BASE + path, method=method, headers=headers, **kwargs)
        route = self.route(method, path)
        if route.takes == "stream":   # endless: each event's data up to the first unread count is one answer
            assert answer.status_code == route.status, (method, path)
            value = first_events(answer)
            for data in value:
                TypeAdapter(route.answer).validate_python(data, strict=True)
            self.answered.add(route)
            return value
        assert answer.status_code == route.status, (method, path, answer.get_data(as_text=True))
        if route.answer is None:
            assert answer.get_data() == b""
            value = None
        else:
            value = answer.get_json()
            try:
                TypeAdapter(route.answer).validate_python(value, strict=True)
            except ValidationError as exc:
                pytest.fail(f"{method} {path} does not answer {route.answer}:\n{exc}\n{value}")
        self.answered.add(route)
        return value


def first_events(answer: Any) -> list[Any]:
    """The data of an event stream's events, read until its first unread count; then it is closed."""
    text = b""
    for chunk in answer.response:
        text += chunk
        if b"event: unread_count" in text and text.endswith(b"\n\n"):
            break
    answer.close()
    return [json.loads(line.removeprefix(b"data: ")) for line in text.splitlines() if line.startswith(b"data: ")]


def image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


def user(s: Session, name: str) -> dict[str, Any]:
    username = f"{name}_{secrets.token_hex(3)}"
    password = f"pw-{secrets.token_hex(8)}"
    created = s.call("POST", "/auth/register", json={"username": username, "email": f"{username}@example.org",
                                                     "password": password})
    token = s.call("POST", "/auth/login", json={"login": username, "password": password})["access_token"]
    return {**created, "token": token, "password": password}


def test_every_route_answers_exactly_the_type_it_names(app: Flask) -> None:
    s = Session(app)
    alice, bob, carol = user(s, "alice"), user(s, "bob"), user(s, "carol")
    a, b, c = alice["token"], bob["token"], carol["token"]
    s.call("GET", "/me", a)
    s.call("PATCH", "/me", a, json={"nickname": "Alice", "bio": "Hi."})
    s.call("PUT", "/me/avatar", a, data={"avatar": (io.BytesIO(image()), "a.png")})
    s.call("GET", f"/users/{alice['id']}")

    group = s.call("POST", "/groups", a, json={"name": f"G {secrets.token_hex(3)}", "category": "python"})
    g = group["id"]
    closed = s.call("POST", "/groups", a, json={"name": f"C {secrets.token_hex(3)}", "category": "python",
                                                "join_policy": "approval"})
    s.call("GET", "/groups")
    s.call("GET", f"/groups/{g}", b)
    s.call("PATCH", f"/groups/{g}", a, json={"description": "About Python."})
    s.call("PUT", f"/groups/{g}/cover", a, data={"cover": (io.BytesIO(image()), "c.png")})
    s.call("POST", "/uploads", a, data={"file": (io.BytesIO(image()), "t.png")})
    s.call("POST", "/markdown", a, json={"content": "| a |\n|---|\n| ![x](/media/x.png) |"})
    s.call("POST", f"/groups/{g}/applications", b, json={"reason": "hi"})
    s.call("POST", f"/groups/{g}/applications", c, json={})
    pending = s.call("POST", f"/groups/{closed['id']}/applications", b, json={"reason": "please"})
    s.call("GET", f"/groups/{closed['id']}/applications", a)
    s.call("PATCH", f"/groups/{closed['id']}/applications/{pending['id']}", a, json={"status": "approved"})
    s.call("GET", f"/groups/{g}/members")
    s.call("GET", f"/users/{bob['id']}/groups")

    post = s.call("POST", f"/groups/{g}/posts", a, json={"title": "Hello", "content": f"Hi @{bob['username']}"})
    p = post["id"]
    s.call("GET", f"/groups/{g}/posts", b)
    s.call("GET", f"/posts/{p}")
    s.call("PATCH", f"/posts/{p}", a, json={"title": "Hello again", "pinned": True})
    s.call("PUT", f"/posts/{p}/like", b)
    s.call("DELETE", f"/posts/{p}/like", b)
    s.call("PUT", f"/posts/{p}/like", c)
    s.call("GET", f"/users/{alice['id']}/posts", c)
    top = s.call("POST", f"/posts/{p}/comments", b, json={"content": "Thanks"})
    reply = s.call("POST", f"/posts/{p}/comments", c, json={"content": "Yes", "parent_id": top["id"],
                                                             "reply_to_user_id": bob["id"]})
    s.call("GET", f"/posts/{p}/comments", a)
    s.call("GET", f"/comments/{top['id']}/replies")
    s.call("PUT", f"/comments/{top['id']}/like", a)
    s.call("DELETE", f"/comments/{top['id']}/like", a)
    s.call("PATCH", f"/comments/{top['id']}", b, json={"content": "Thanks a lot"})
    s.call("GET", f"/comments/{top['id']}/revisions")
    s.call("GET", f"/posts/{p}/revisions", c)
    s.call("DELETE", f"/comments/{reply['id']}", c)

    question = s.call("POST", "/questions", c, json={"title": "Why?", "content": "`x`", "category": "python"})
    q = question["id"]
    s.call("GET", "/questions?sort=hot")
    s.call("GET", f"/questions/{q}")
    s.call("PATCH", f"/questions/{q}", c, json={"category": "databases"})
    answer = s.call("POST", f"/questions/{q}/answers", a, json={"content": "Because."})
    s.call("POST", f"/questions/{q}/answers", b, json={"content": "Agreed", "parent_id": answer["id"]})
    s.call("GET", f"/questions/{q}/answers", c)
    s.call("GET", f"/answers/{answer['id']}/replies")
    s.call("PUT", f"/answers/{answer['id']}/like", c)
    s.call("DELETE", f"/answers/{answer['id']}/like", c)
    s.call("PATCH", f"/answers/{answer['id']}", a, json={"content": "Because it blocks."})
    s.call("GET", f"/answers/{answer['id']}/revisions", c)
    s.call("GET", f"/questions/{q}/revisions")
    s.call("PUT", f"/answers/{answer['id']}/vote", b, json={"value": -1})
    s.call("PUT", f"/answers/{answer['id']}/vote", c, json={"value": 1})
    s.call("DELETE", f"/answers/{answer['id']}/vote", b)
    s.call("PUT", f"/questions/{q}/accepted-answer", c, json={"answer_id": answer["id"]})
    s.call("GET", f"/questions/{q}/answers", b)
    s.call("GET", "/questions?unanswered=true")
    s.call("DELETE", f"/questions/{q}/accepted-answer", c)
    s.call("GET", f"/users/{carol['id']}/questions")
    s.call("GET", f"/users/{alice['id']}/answers")

    notes = s.call("GET", "/notifications", a)
    assert notes["items"], "alice was told of comments, likes and answers"
    s.call("GET", "/notifications/unread-count", a)
    streamed = s.call("GET", "/events", a, headers={"Last-Event-ID": "0"})
    assert [e["notification"] for e in streamed[:-1]] == notes["items"][::-1]
    s.call("POST", "/notifications/read", a, json={"all": True})
    s.call("POST", "/guestbook", json={"name": "Ada", "email": "ada@example.org", "message": "Hello"})
    s.call("POST", "/guestbook", json={"name": "Bo", "message": "No email"})
    s.call("GET", "/guestbook?limit=1")
    s.call("GET", "/link-preview?url=" + f"http://{app.config['UPSTREAM']}/article", a)
    s.call("GET", "/openapi.json")
    found = s.call("GET", "/search?q=hello", c)
    assert {item["type"] for item in found["items"]} >= {"post"}, "the post written above is found"

    moderation_routes(s, app, alice, bob, carol, g, p, top["id"], q, answer["id"])

    s.call("PUT", f"/posts/{p}/watch", c)
    s.call("DELETE", f"/posts/{p}/watch", a)
    s.call("PUT", f"/questions/{q}/watch", b)
    s.call("DELETE", f"/questions/{q}/watch", c)
    s.call("PATCH", "/me/preferences", b, json={"email": "daily"})
    s.call("PUT", f"/posts/{p}/bookmark", b)
    s.call("PUT", f"/questions/{q}/bookmark", b)
    s.call("DELETE", f"/questions/{q}/bookmark", c)
    s.call("GET", "/me/bookmarks", b)
    s.call("DELETE", f"/posts/{p}/bookmark", b)
    s.call("POST", "/auth/resend-verification", a)
    s.call("POST", "/auth/verify-email", json={"token": queued_token(app, "verify", alice["username"])})
    with app.app_context():
        unsubscribe = watching.unsubscribe_token(alice["id"], Keys.from_settings(db.current_settings()))
    s.call("POST", f"/email/unsubscribe?token={unsubscribe}", data="List-Unsubscribe=One-Click",
           content_type="application/x-www-form-urlencoded")

    s.call("DELETE", f"/answers/{answer['id']}", a)
    s.call("DELETE", f"/questions/{q}", c)
    s.call("DELETE", f"/posts/{p}", a)
    s.call("DELETE", f"/groups/{g}/members/me", b)
    s.call("POST", "/me/password", b, json={"old_password": bob["password"], "new_password": "a new passphrase"})
    s.call("POST", "/auth/password-reset", json={"email": f"{carol['username']}@example.org"})
    s.call("POST", "/auth/password-reset/confirm",
           json={"token": queued_token(app, "reset", carol["username"]), "new_password": "another passphrase"})

    missing = sorted(f"{r.method} {r.path}" for r in set(ROUTES) - s.answered)
    assert missing == [], "routes the session did not call"


def moderation_routes(s: Session, app: Flask, alice: dict[str, Any], bob: dict[str, Any], carol: dict[str, Any],
                      g: int, p: int, comment: int, q: int, answer: int) -> None:
    """API.md §6: carol is made an admin on the command line; alice owns group g, bob is its moderator."""
    a, b, c = alice["token"], bob["token"], carol["token"]
    database = open_sync(load_settings({"database_url": app.extensions["forum"].database_url}))
    try:
        grant(database, carol["username"], "admin")
    finally:
        database.close()
    s.call("PUT", f"/users/{alice['id']}/role", c, json={"role": "moderator"})
    s.call("PUT", f"/users/{alice['id']}/role", c, json={"role": "member"})
    s.call("PUT", f"/groups/{g}/moderators/{bob['id']}", a)
    s.call("GET", f"/groups/{g}/members")
    report = s.call("POST", "/reports", a, json={"target": {"type": "comment", "id": comment}, "reason": "spam"})
    s.call("POST", "/reports", a, json={"target": {"type": "answer", "id": answer}, "reason": "other", "note": "?"})
    s.call("GET", "/reports", b)
    s.call("PATCH", f"/reports/{report['id']}", b, json={"resolution": "hide", "note": "thanks"})
    s.call("GET", "/reports?status=resolved", c)
    s.call("GET", f"/posts/{p}/comments", b)
    s.call("POST", f"/comments/{comment}/restore", b)
    s.call("POST", f"/comments/{comment}/hide", b, json={"reason": "again"})
    s.call("POST", f"/posts/{p}/hide", b, json={"reason": "spam"})
    s.call("GET", f"/posts/{p}", a)
    s.call("POST", f"/posts/{p}/restore", b)
    s.call("POST", f"/questions/{q}/hide", c, json={"reason": "spam"})
    s.call("POST", f"/questions/{q}/restore", c)
    s.call("POST", f"/answers/{answer}/hide", c, json={"reason": "spam"})
    s.call("POST", f"/answers/{answer}/restore", c)
    s.call("POST", f"/users/{alice['id']}/ban", c, json={"until": "2999-01-01T00:00:00Z", "reason": "cool down"})
    s.call("GET", "/bans", c)
    s.call("DELETE", f"/users/{alice['id']}/ban", c)
    s.call("POST", f"/groups/{g}/bans", b, json={"user_id": carol["id"], "reason": "off topic"})
    s.call("GET", f"/groups/{g}/bans", a)
    s.call("DELETE", f"/groups/{g}/bans/{carol['id']}", a)
    s.call("DELETE", f"/groups/{g}/moderators/{bob['id']}", a)
    s.call("GET", "/audit-log", c)
    s.call("GET", f"/audit-log?group_id={g}", a)
    s.call("GET", "/admin/stats", c)
    s.call("GET", "/me/export", a)
    doomed = user(s, "doomed")
    s.call("DELETE", "/me", doomed["token"], json={"password": doomed["password"]})


def queued_token(app: Flask, template: str, username: str) -> str:
    """The token in the newest queued e-mail of this kind to this user (the outbox keeps it until sent)."""
    def newest() -> Op[str]:
        params = yield Query("SELECT params FROM outbox WHERE template = %s AND recipient = %s ORDER BY id DESC",
                             (template, f"{username}@example.org"), "value")
        return str(json.loads(params)["token"])

    with app.app_context():
        return db.run(newest())


def test_an_extra_or_missing_key_is_caught() -> None:
    """The check is not vacuous: a Post with a key too many, or one too few, is refused."""
    post = {"id": 1, "group_id": 1, "author": None, "title": "t", "content": "c", "content_html": "<p>c</p>",
            "pinned": False, "locked": False, "view_count": 0, "comment_count": 0, "like_count": 0,
            "liked": False, "created_at": "2024-01-01T00:00:00Z", "updated_at": None, "edited_at": None,
            "bookmarked": False, "unread_comments": 0}
    TypeAdapter(Post).validate_python(post, strict=True)
    with pytest.raises(ValidationError):
        TypeAdapter(Post).validate_python({**post, "hot_score": 1.5}, strict=True)
    with pytest.raises(ValidationError):
        TypeAdapter(Post).validate_python({k: v for k, v in post.items() if k != "liked"}, strict=True)
    with pytest.raises(ValidationError):
        TypeAdapter(Post).validate_python({**post, "pinned": 1}, strict=True)
