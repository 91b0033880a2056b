"""Parity: a client cannot tell the Tornado app from the Flask app except by the Server header.

Both flavours serve the SAME MySQL database with the same secret. A scripted session is written
through one of them; then every read of it is made through both, and the answers must be identical:
status, JSON body (byte for byte) and headers other than Server and Date (and the per-connection
Connection/Keep-Alive; Server-Timing without its times). Then the roles swap. Reading a post or a question counts a view, so those
two answers may differ in ``view_count`` by exactly the one view the first read added.

The Flask flavour is ``wsgi-container`` unless FORUM_PARITY_FLASK names another (gunicorn, uwsgi).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.servers import (
    Server,
    ServerUnavailable,
    fresh_database,
    migrate,
    running_server,
)
from tests.support.services import missing_service

pytestmark = pytest.mark.mysql

FLASK_FLAVOUR = os.environ.get("FORUM_PARITY_FLASK", "wsgi-container")
IGNORED_HEADERS = {"server", "date", "connection", "keep-alive"}
VIEW_COUNTING = ("/posts/", "/questions/")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Server]]:
    """Tornado and a Flask flavour on one fresh MySQL database, sharing one secret."""
    secret = secrets.token_urlsafe(48)
    try:
        with fresh_database("mysql") as url:
            migrate(url)
            with running_server("tornado", url, secret=secret, migrate_first=False) as tornado, \
                    running_server(FLASK_FLAVOUR, url, secret=secret, migrate_first=False) as flask:
                yield {"tornado": tornado, "flask": flask}
    except ServerUnavailable as exc:
        missing_service(f"Tornado and {FLASK_FLAVOUR} on one MySQL database", exc)


class Client:
    """A tiny JSON client for the scripted session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             expect: int | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.http.request(method, self.base_url + "/api/v1" + path, json=body, headers=headers, timeout=30)
        if expect is not None:
            assert resp.status_code == expect, f"{method} {path} -> {resp.status_code} {resp.text[:300]}"
        return resp.json() if resp.content else None


@dataclass(frozen=True)
class Probe:
    """One request sent to both flavours: a read of the session, or a write that must fail the same way."""

    method: str
    path: str
    token: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    expect: int = 200

    def send(self, base_url: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.body is not None:
            headers["Content-Type"] = self.content_type
        return requests.request(self.method, base_url + "/api/v1" + self.path, data=self.body, headers=headers,
                                timeout=30)

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({'anonymous' if self.token is None else 'with token'})"


def write_session(client: Client) -> list[Probe]:
    """Build a small forum through one flavour; returns the probes that show all of it."""
    tag = secrets.token_hex(3)
    users = {}
    for name in ("alice", "bob", "carol"):
        username = f"{name}_{tag}"
        password = f"pw-{secrets.token_hex(8)}"
        created = client.call("POST", "/auth/register", body={"username": username, "email": f"{username}@example.org",
                                                              "password": password}, expect=201)
        login = client.call("POST", "/auth/login", body={"login": username, "password": password}, expect=200)
        users[name] = {"id": created["id"], "token": login["access_token"]}
    alice, bob, carol = users["alice"]["token"], users["bob"]["token"], users["carol"]["token"]
    client.call("PATCH", "/me", alice, {"nickname": "Alice", "bio": "Writes *Python*."}, 200)

    group = client.call("POST", "/groups", alice, {"name": f"Parity {tag}", "category": "python",
                                                   "description": "Same answers everywhere.",
                                                   "join_policy": "open"}, 201)
    closed = client.call("POST", "/groups", alice, {"name": f"Closed {tag}", "category": "python",
                                                    "description": "", "join_policy": "approval"}, 201)
    g, c = group["id"], closed["id"]
    client.call("POST", f"/groups/{g}/applications", bob, {"reason": "hi"}, 201)
    client.call("POST", f"/groups/{g}/applications", carol, {"reason": "me too"}, 201)
    application = client.call("POST", f"/groups/{c}/applications", bob, {"reason": "please"}, 201)
    client.call("PATCH", f"/groups/{c}/applications/{application['id']}", alice, {"status": "approved"}, 200)
    client.call("POST", f"/groups/{c}/applications", carol, {"reason": "pending"}, 201)

    post = client.call("POST", f"/groups/{g}/posts", alice, {"title": "Hello", "content": "**Hi** @" +
                                                             f"bob_{tag}"}, 201)
    pinned = client.call("POST", f"/groups/{g}/posts", bob, {"title": "Rules", "content": "Be kind."}, 201)
    client.call("PATCH", f"/posts/{pinned['id']}", alice, {"pinned": True}, 200)
    p = post["id"]
    top = client.call("POST", f"/posts/{p}/comments", bob, {"content": f"Thanks @alice_{tag}!"}, 201)
    client.call("POST", f"/posts/{p}/comments", carol, {"content": "Reply", "parent_id": top["id"],
                                                        "reply_to_user_id": users["bob"]["id"]}, 201)
    client.call("PUT", f"/posts/{p}/like", bob, expect=200)
    client.call("PUT", f"/comments/{top['id']}/like", alice, expect=200)

    question = client.call("POST", "/questions", carol, {"title": f"Why {tag}?", "content": "`x`",
                                                          "category": "python"}, 201)
    answer = client.call("POST", f"/questions/{question['id']}/answers", alice, {"content": "Because."}, 201)
    client.call("POST", f"/questions/{question['id']}/answers", bob, {"content": "Agreed", "parent_id": answer["id"]},
                201)
    client.call("PUT", f"/answers/{answer['id']}/like", carol, expect=200)
    client.call("PATCH", f"/comments/{top['id']}", bob, {"content": "Thanks, **Alice**!"}, 200)      # API.md §10
    client.call("PATCH", f"/posts/{p}", alice, {"title": "Hello, edited"}, 200)
    client.call("PUT", f"/answers/{answer['id']}/vote", bob, {"value": 1}, 200)
    client.call("PUT", f"/questions/{question['id']}/accepted-answer", carol, {"answer_id": answer["id"]}, 200)
    client.call("POST", "/guestbook", None, {"name": "Ada", "email": "ada@example.org", "address": "London",
                                            "message": f"Parity {tag}"}, 201)
    first_note = client.call("GET", "/notifications", alice, expect=200)["items"][-1]
    client.call("POST", "/notifications/read", alice, {"ids": [first_note["id"]]}, 204)

    a, b = users["alice"]["id"], users["bob"]["id"]
    reads: list[tuple[str, str | None]] = [
        ("/me", alice), ("/me", bob), (f"/users/{a}", None),
        (f"/users/{a}/posts", None), (f"/users/{b}/posts", None), (f"/users/{a}/answers", None),
        (f"/users/{users['carol']['id']}/questions", None), (f"/users/{b}/groups", None),
        (f"/groups/{g}", None), (f"/groups/{g}", alice), (f"/groups/{c}", bob), (f"/groups/{c}", carol),
        ("/groups?limit=3", None), ("/groups?category=python&limit=2", alice), (f"/groups?q=Parity%20{tag}", None),
        (f"/groups/{g}/members", None), (f"/groups/{c}/applications?status=pending", alice),
        (f"/groups/{c}/applications?status=approved", alice),
        (f"/groups/{g}/posts", None), (f"/groups/{g}/posts?sort=hot", bob), (f"/groups/{g}/posts?limit=1", alice),
        (f"/posts/{p}", bob), (f"/posts/{p}/comments", alice), (f"/comments/{top['id']}/replies", None),
        (f"/questions/{question['id']}", None), (f"/questions/{question['id']}/answers", carol),
        (f"/answers/{answer['id']}/replies", None), (f"/questions?q=Why%20{tag}", None),
        ("/questions?sort=hot&limit=5", None),
        ("/notifications", alice), ("/notifications?unread=true", alice), ("/notifications", bob),
        ("/notifications/unread-count", bob), ("/guestbook?limit=3", None),
        ("/openapi.json", None),
        (f"/search?q=Why%20{tag}", None), (f"/search?q=parity%20{tag}&type=group", alice),
        ("/search?q=%22NEAR(a%20b)%22*&limit=2", None),
        (f"/comments/{top['id']}/revisions", None), (f"/posts/{p}/revisions?limit=1", alice),
        (f"/questions/{question['id']}/revisions", None), ("/questions?unanswered=true&limit=3", None),
    ]
    failing_reads = [  # errors must be identical too
        ("/me", None, 401), ("/me", "not-a-token", 401), ("/posts/999999999", None, 404),
        ("/groups?limit=0", None, 400), ("/groups?cursor=garbage", None, 400), ("/no/such/route", None, 404),
        (f"/groups/{c}/applications", bob, 403), ("/posts/abc", None, 404), ("/notifications?unread=maybe", alice, 400),
        ("/search", None, 422), ("/search?q=x&type=nope", None, 400),
    ]
    good = {"title": "t", "content": "c"}
    failing_writes = [  # none of these changes anything, so both flavours can be sent each one
        Probe("POST", "/auth/register", None, b"{not json", expect=400),
        Probe("POST", "/auth/register", None, b"[1, 2]", expect=400),
        Probe("POST", "/auth/register", None, b"username=x", "application/x-www-form-urlencoded", expect=415),
        Probe("POST", "/auth/register", None, json.dumps({"username": f"ALICE_{tag}", "email": f"x{tag}@example.org",
                                                          "password": "long enough pw"}).encode(), expect=409),
        Probe("POST", "/auth/register", None, json.dumps({"username": "a b", "email": "nope", "password": "s",
                                                          "extra": 1}).encode(), expect=422),
        Probe("POST", "/groups", None, json.dumps({"name": "x"}).encode(), expect=401),
        Probe("POST", f"/groups/{c}/posts", carol, json.dumps(good).encode(), expect=403),
        Probe("POST", f"/groups/{g}/posts", bob, json.dumps({"title": "", "content": 5}).encode(), expect=422),
        Probe("POST", f"/groups/{g}/applications", bob, json.dumps({"reason": "again"}).encode(), expect=409),
        Probe("DELETE", f"/groups/{g}/members/me", alice, expect=409),
        Probe("DELETE", "/groups", alice, expect=405),
        Probe("PATCH", f"/posts/{p}", bob, json.dumps({"pinned": True}).encode(), expect=403),
        Probe("POST", f"/posts/{p}/comments", bob, json.dumps({"content": "x", "parent_id": 999999999}).encode(), expect=422),
        Probe("PUT", "/posts/999999999/like", bob, expect=404),
        Probe("POST", "/notifications/read", alice, json.dumps({"ids": "all"}).encode(), expect=422),
    ]
    return ([Probe("GET", path, token) for path, token in reads]
            + [Probe("GET", path, token, expect=status) for path, token, status in failing_reads] + failing_writes)


def _headers(resp: requests.Response) -> dict[str, str]:
    """The headers to compare; Server-Timing by its metrics' names and descriptions (the times differ)."""
    headers = {k.lower(): v for k, v in resp.headers.items() if k.lower() not in IGNORED_HEADERS}
    if "server-timing" in headers:
        headers["server-timing"] = re.sub(r";dur=[0-9.]+", "", headers["server-timing"])
    return headers


def _without_views(body: Any) -> Any:
    return {k: v for k, v in body.items() if k != "view_count"} if isinstance(body, dict) else body


def compare(servers: dict[str, Server], writer: str) -> list[str]:
    """Write through ``writer``, read through the other flavour and then the writer; list every difference."""
    reader = "flask" if writer == "tornado" else "tornado"
    probes = write_session(Client(servers[writer].base_url))
    differences: list[str] = []
    header_differences: Counter[str] = Counter()
    for probe in probes:
        first, second = probe.send(servers[reader].base_url), probe.send(servers[writer].base_url)
        name = str(probe)
        assert first.status_code == probe.expect, f"{name} on {reader}: {first.status_code} {first.text[:300]}"
        if first.status_code != second.status_code:
            differences.append(f"{name}: status {reader}={first.status_code} {writer}={second.status_code}")
            continue
        counts_view = (probe.method == "GET" and probe.path.startswith(VIEW_COUNTING) and probe.path.count("/") == 2
                       and first.status_code == 200)
        a, b = first.json(), second.json()
        if counts_view:
            if b["view_count"] != a["view_count"] + 1:
                differences.append(f"{name}: view_count {reader}={a['view_count']} then {writer}={b['view_count']}")
            a, b = _without_views(a), _without_views(b)
        elif first.content != second.content:
            differences.append(f"{name}: body bytes differ\n  {reader}: {first.text[:400]}\n  {writer}: {second.text[:400]}")
        if a != b:
            differences.append(f"{name}: JSON differs\n  {reader}: {json.dumps(a)[:400]}\n  {writer}: {json.dumps(b)[:400]}")
        theirs, ours = _headers(first), _headers(second)
        for header in sorted(set(theirs) | set(ours)):
            if theirs.get(header) != ours.get(header):
                header_differences[f"header {header}: {reader}={theirs.get(header)!r} {writer}={ours.get(header)!r}"] += 1
    return differences + [f"{text} (on {n} of {len(probes)} answers)" for text, n in header_differences.items()]


@pytest.mark.parametrize("writer", ["tornado", "flask"])
def test_the_same_session_reads_the_same_through_both_flavours(servers, writer):
    differences = compare(servers, writer)
    assert differences == [], "\n".join(differences)


def test_the_search_page_is_the_same_html_on_both(servers):
    """Both template sets render the same /search page, nav and results (anonymous: no per-visitor token)."""
    client = Client(servers["tornado"].base_url)
    tag = secrets.token_hex(4)
    client.call("POST", "/auth/register", None, {"username": f"s{tag}", "email": f"s{tag}@example.org",
                                                 "password": "long enough pw"}, 201)
    token = client.call("POST", "/auth/login", None, {"login": f"s{tag}", "password": "long enough pw"}, 200)
    client.call("POST", "/groups", token["access_token"], {"name": f"搜索 {tag}", "category": "python",
                                                           "description": f"<b>基于协程的高并发</b> {tag}"}, 201)
    for path in (f"/search?q=协程%20{tag}", f"/search?q={tag}&type=group", "/search", "/search?q=%21%21"):
        pages = [requests.get(servers[name].base_url + path, timeout=30) for name in ("tornado", "flask")]
        assert pages[0].status_code == pages[1].status_code == 200, path
        # the heads differ (static URLs' ?v=), and Tornado's templates fold runs of white space
        bodies = [" ".join(page.text.split("<body>", 1)[1].split()) for page in pages]
        assert bodies[0] == bodies[1], path
        if "协程" in path:
            assert "&lt;b&gt;基于<mark>协程</mark>的高并发&lt;/b&gt;" in pages[0].text


def test_a_cursor_from_one_flavour_pages_on_the_other(servers):
    client = Client(servers["tornado"].base_url)
    for n in (1, 2):   # at least two entries, whatever ran before: a first page of one has a next cursor
        client.call("POST", "/guestbook", None, {"name": "Ada", "message": f"Cursor {n}"}, 201)
    first = client.call("GET", "/guestbook?limit=1", expect=200)
    assert first["next_cursor"] is not None, first
    url = f"/api/v1/guestbook?limit=1&cursor={first['next_cursor']}"
    on_flask = requests.get(servers["flask"].base_url + url, timeout=30)
    on_tornado = requests.get(servers["tornado"].base_url + url, timeout=30)
    assert on_flask.status_code == on_tornado.status_code == 200, on_flask.text
    assert on_flask.content == on_tornado.content


def test_the_pages_are_the_same_html_in_both_languages(servers):
    """The same page in the same language is the same HTML from both template sets (API.md §8).

    Anonymous pages of a fresh session, in English and in Chinese. As above, the heads differ (static
    URLs' ?v=) and Tornado's templates fold white space; here white space between two tags is dropped
    too (Jinja's macros trim it where Tornado's modules keep a line break). A form's XSRF token is
    the visitor's own, and reading a post or a question counts a view, so those two are masked.
    """
    client = Client(servers["tornado"].base_url)
    tag = secrets.token_hex(3)
    client.call("POST", "/auth/register", None, {"username": f"p{tag}", "email": f"p{tag}@example.org",
                                                 "password": "long enough pw"}, 201)
    token = client.call("POST", "/auth/login", None, {"login": f"p{tag}", "password": "long enough pw"}, 200)
    author = token["access_token"]
    group = client.call("POST", "/groups", author, {"name": f"对等 {tag}", "category": "python",
                                                    "description": "Same <b>pages</b>", "join_policy": "open"}, 201)
    post = client.call("POST", f"/groups/{group['id']}/posts", author, {"title": f"标题 {tag}", "content": "**hi**"}, 201)
    client.call("POST", f"/posts/{post['id']}/comments", author, {"content": "A comment"}, 201)
    question = client.call("POST", "/questions", author, {"title": f"Why {tag}?", "content": "`x`",
                                                          "category": "python"}, 201)
    paths = ["/", "/questions", "/guestbook", f"/groups/{group['id']}", f"/posts/{post['id']}",
             f"/questions/{question['id']}", f"/users/{token['user']['id']}", "/login", "/register",
             "/reset-password", f"/search?q={tag}", "/posts/999999999", "/questions?cursor=junk"]
    for language in ("en", "zh-CN"):
        for path in paths:
            pages = [requests.get(servers[name].base_url + path, headers={"Accept-Language": language}, timeout=30)
                     for name in ("tornado", "flask")]
            assert pages[0].status_code == pages[1].status_code, (language, path)
            assert f'<html lang="{language}">' in pages[0].text and f'<html lang="{language}">' in pages[1].text
            bodies = [_comparable(page.text) for page in pages]
            assert bodies[0] == bodies[1], (language, path)


def _comparable(page: str) -> str:
    body = " ".join(page.split("<body>", 1)[1].split())
    body = re.sub(r">\s+<", "><", body)
    body = re.sub(r'name="_xsrf" value="[^"]+"', 'name="_xsrf" value=""', body)
    return re.sub(r"\d+ (views?|次浏览)", "N views", body)


def test_the_history_and_answer_pages_are_the_same_html_on_both(servers):
    """API.md §10's pages: a post's history with its diffs, a question with votes and an accepted answer."""
    client = Client(servers["tornado"].base_url)
    tag = secrets.token_hex(4)
    tokens = []
    for name in ("h", "k"):
        client.call("POST", "/auth/register", None, {"username": f"{name}{tag}", "email": f"{name}{tag}@example.org",
                                                     "password": "long enough pw"}, 201)
        tokens.append(client.call("POST", "/auth/login", None, {"login": f"{name}{tag}",
                                                                "password": "long enough pw"}, 200)["access_token"])
    group = client.call("POST", "/groups", tokens[0], {"name": f"History {tag}", "category": "python"}, 201)
    post = client.call("POST", f"/groups/{group['id']}/posts", tokens[0], {"title": "T", "content": "a\n<b>"}, 201)
    client.call("PATCH", f"/posts/{post['id']}", tokens[0], {"title": "T2", "content": "a\n<i>"}, 200)
    question = client.call("POST", "/questions", tokens[0], {"title": f"Q {tag}", "content": "?", "category": "x"}, 201)
    answer = client.call("POST", f"/questions/{question['id']}/answers", tokens[1], {"content": "!"}, 201)
    client.call("PUT", f"/answers/{answer['id']}/vote", tokens[0], {"value": 1}, 200)
    client.call("PUT", f"/questions/{question['id']}/accepted-answer", tokens[0], {"answer_id": answer["id"]}, 200)
    for path in (f"/posts/{post['id']}/history", f"/questions/{question['id']}/history", "/questions?unanswered=true",
                 "/questions", f"/questions/{question['id']}"):
        pages = [requests.get(servers[name].base_url + path, timeout=30) for name in ("tornado", "flask")]
        assert pages[0].status_code == pages[1].status_code == 200, path
        bodies = [_comparable(page.text) for page in pages]   # (one more view on the second read)
        assert bodies[0] == bodies[1], path


def test_the_settings_and_own_content_pages_are_the_same_html_on_both(servers):
    """Signed in, on both template sets: /settings with its confirmation (``?done=``) and a refused form,
    a post with one's own delete buttons and avatar, and the data file byte for byte."""
    client = Client(servers["tornado"].base_url)
    tag = secrets.token_hex(3)
    name = f"o{tag}"
    client.call("POST", "/auth/register", None, {"username": name, "email": f"{name}@example.org",
                                                 "password": "long enough pw"}, 201)
    token = client.call("POST", "/auth/login", None, {"login": name, "password": "long enough pw"}, 200)
    author = token["access_token"]
    client.call("PATCH", "/me", author, {"nickname": "O", "bio": "<i>me</i>"}, 200)
    group = client.call("POST", "/groups", author, {"name": f"Own {tag}", "category": "python"}, 201)
    post = client.call("POST", f"/groups/{group['id']}/posts", author, {"title": "Mine", "content": "mine"}, 201)
    client.call("POST", f"/posts/{post['id']}/comments", author, {"content": "My comment"}, 201)
    sessions = {}
    for flavour in ("tornado", "flask"):
        session = sessions[flavour] = requests.Session()
        base = servers[flavour].base_url
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', session.get(base + "/login", timeout=30).text).group(1)
        assert session.post(base + "/login", data={"_xsrf": xsrf, "login": name, "password": "long enough pw"},
                            timeout=30).status_code == 200
    for path in ("/settings", "/settings?done=profile", f"/posts/{post['id']}", f"/users/{token['user']['id']}"):
        pages = [sessions[flavour].get(servers[flavour].base_url + path, timeout=30) for flavour in ("tornado", "flask")]
        assert pages[0].status_code == pages[1].status_code == 200, path
        bodies = [_comparable(page.text) for page in pages]
        assert bodies[0] == bodies[1], path
        if path.startswith("/posts/"):   # the post and the comment: the author's two-step delete, twice
            assert pages[0].text.count('class="own-delete"') == 2 and 'class="moderate"' in pages[0].text
    refused = []
    for flavour in ("tornado", "flask"):
        base = servers[flavour].base_url
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', sessions[flavour].get(base + "/settings", timeout=30).text)
        refused.append(sessions[flavour].post(base + "/settings/delete", data={"_xsrf": xsrf.group(1), "password": "x"},
                                              timeout=30))
    assert refused[0].status_code == refused[1].status_code == 422
    assert _comparable(refused[0].text) == _comparable(refused[1].text)
    exports = [sessions[flavour].get(servers[flavour].base_url + "/settings/export", timeout=30)
               for flavour in ("tornado", "flask")]
    assert exports[0].headers["Content-Disposition"] == exports[1].headers["Content-Disposition"]
    assert json.loads(exports[0].content)["profile"]["bio"] == "<i>me</i>"
    assert _without_views_everywhere(exports[0].json()) == _without_views_everywhere(exports[1].json())


def _without_views_everywhere(export: dict[str, Any]) -> dict[str, Any]:
    """The data file with view counts dropped (reading the post page counted one between the two)."""
    return {key: [_without_views(item) for item in value] if isinstance(value, list) else value
            for key, value in export.items()}
