"""The HTTP conventions of API.md §2 and the endpoints outside the base path."""

from __future__ import annotations

import http.client
import json
import re

import pytest

from .client import JSON_TYPE, describe, field_errors, is_time, ok, problem
from .rawhttp import chunked, exchange, raw_request

# Every route of API.md §4, as the OpenAPI document must list it.
CONTRACT_ROUTES = {
    ("post", "/auth/register"), ("post", "/auth/login"),
    ("get", "/me"), ("patch", "/me"), ("put", "/me/avatar"), ("post", "/me/password"),
    ("get", "/users/{}"), ("get", "/users/{}/posts"), ("get", "/users/{}/questions"),
    ("get", "/users/{}/answers"), ("get", "/users/{}/groups"),
    ("get", "/groups"), ("post", "/groups"), ("get", "/groups/{}"), ("patch", "/groups/{}"),
    ("put", "/groups/{}/cover"), ("post", "/groups/{}/applications"), ("get", "/groups/{}/applications"),
    ("patch", "/groups/{}/applications/{}"), ("get", "/groups/{}/members"), ("delete", "/groups/{}/members/me"),
    ("get", "/groups/{}/posts"), ("post", "/groups/{}/posts"),
    ("get", "/posts/{}"), ("patch", "/posts/{}"), ("delete", "/posts/{}"),
    ("put", "/posts/{}/like"), ("delete", "/posts/{}/like"),
    ("get", "/posts/{}/comments"), ("post", "/posts/{}/comments"),
    ("get", "/comments/{}/replies"), ("delete", "/comments/{}"),
    ("put", "/comments/{}/like"), ("delete", "/comments/{}/like"),
    ("get", "/questions"), ("post", "/questions"),
    ("get", "/questions/{}"), ("patch", "/questions/{}"), ("delete", "/questions/{}"),
    ("get", "/questions/{}/answers"), ("post", "/questions/{}/answers"),
    ("get", "/answers/{}/replies"), ("delete", "/answers/{}"),
    ("put", "/answers/{}/like"), ("delete", "/answers/{}/like"),
    ("get", "/notifications"), ("get", "/notifications/unread-count"), ("post", "/notifications/read"),
    ("get", "/guestbook"), ("post", "/guestbook"),
    ("get", "/link-preview"), ("get", "/openapi.json"),
}


# --------------------------------------------------------------------------- outside the base path


def test_healthz(api):
    resp = api.get("/healthz", site=True)
    assert ok(resp) == {"status": "ok"}


def test_readyz(api):
    resp = api.get("/readyz", site=True)
    assert resp.status_code == 200, describe(resp)


def test_metrics_are_prometheus_text(api):
    api.get("/healthz", site=True)
    resp = api.get("/metrics", site=True)
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("text/plain"), describe(resp)
    assert re.search(r"^# TYPE \w+ (counter|gauge|histogram|summary|untyped)$", resp.text, re.M), resp.text[:500]


# --------------------------------------------------------------------------- OpenAPI


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_openapi_is_a_3_1_document_listing_every_route(api):
    doc = ok(api.get("/openapi.json"))
    assert str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi")
    assert doc.get("info", {}).get("title") and doc.get("info", {}).get("version")
    listed = set()
    for path, item in doc["paths"].items():  # paths may carry /api/v1 or leave it to `servers`
        for method in item:
            if method in ("get", "put", "post", "delete", "patch"):
                listed.add((method, _normalise(path.removeprefix("/api/v1"))))
    assert CONTRACT_ROUTES <= listed, sorted(CONTRACT_ROUTES - listed)


def test_openapi_document_validates(api):
    import schemathesis

    schemathesis.openapi.from_dict(ok(api.get("/openapi.json"))).validate()  # the OpenAPI 3.1 meta-schema


# --------------------------------------------------------------------------- errors


def test_unknown_route_is_404_problem(api):
    problem(api.get("/no/such/thing"), 404)
    problem(api.get("/api/v2/groups", site=True), 404)
    problem(api.get("/no-such-page-at-all", site=True), 404)


def test_wrong_method_is_405_with_allow(api):
    body = problem(api.delete("/groups"), 405)
    resp = api.delete("/groups")
    allowed = {m.strip().upper() for m in resp.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "DELETE" not in allowed, resp.headers["Allow"]
    assert body["status"] == 405
    problem(api.post("/guestbook/1"), 404)  # no such route at all: 404, not 405


def test_non_json_content_type_is_415(api):
    resp = api.post("/auth/register", data="username=x&password=y",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    problem(resp, 415)
    problem(api.post("/auth/register", data=b"{}", headers={"Content-Type": "text/plain"}), 415)
    problem(api.post("/auth/register", data=b"{}"), 415)  # no Content-Type at all


def test_json_with_a_charset_is_fine(api, make_user):
    alice = make_user()
    body = json.dumps({"bio": "charset"}).encode()
    me = ok(api.patch("/me", user=alice, data=body, headers={"Content-Type": "application/json; charset=utf-8"}))
    assert me["bio"] == "charset"


@pytest.mark.parametrize("raw", [b"{", b"{'a': 1}", b"\xff\xfe", b"", b"nul\x00"])
def test_malformed_json_is_400(api, raw):
    problem(api.post("/auth/register", data=raw, headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400(api, raw):
    problem(api.post("/auth/register", data=raw, headers={"Content-Type": "application/json"}), 400)


def test_unknown_fields_and_wrong_types_are_422(api, make_user):
    alice = make_user()
    assert "is_admin" in field_errors(api.patch("/me", user=alice, json={"bio": "x", "is_admin": True}))
    assert "bio" in field_errors(api.patch("/me", user=alice, json={"bio": 12}))
    assert "nickname" in field_errors(api.patch("/me", user=alice, json={"nickname": ["N"]}))
    assert "username" in field_errors(api.post("/auth/register", json={"username": 123, "email": "a@example.org",
                                                                       "password": "long enough pw"}))


def test_a_2_mib_json_body_is_413(api, make_user):
    alice = make_user()
    body = json.dumps({"bio": "x" * (2 * 1024 * 1024)}).encode()
    status, headers, text = raw_request(api.base_url, "PATCH", "/api/v1/me", body,
                                        {"Content-Type": "application/json", "Authorization": f"Bearer {alice['token']}"})
    assert status == 413, (status, text[:300])
    assert headers.get("content-type") == "application/problem+json", headers
    assert json.loads(text)["status"] == 413


def _head(api, method: str, path: str, *lines: str) -> bytes:
    """A request head as sent on the wire, ``Connection: close``, with extra header ``lines``."""
    host = api.base_url.removeprefix("http://")
    return "\r\n".join([f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close", *lines, "", ""]).encode()


def _problem(status: int, headers: dict[str, str], text: str, expected: int) -> dict:
    assert status == expected, (status, headers, text[:300])
    assert headers.get("content-type") == "application/problem+json", (headers, text[:300])
    body = json.loads(text)
    assert body["status"] == expected, body
    return body


def test_a_json_number_of_5000_digits_is_400(api):
    """Python refuses to convert an int of over 4,300 digits (ValueError): a malformed body, not a 500."""
    for digits in (b"1" * 5000, b"-" + b"9" * 5000):
        raw = b'{"username": ' + digits + b', "email": "a@example.org", "password": "long enough pw"}'
        problem(api.post("/auth/register", data=raw, headers={"Content-Type": "application/json"}), 400)


def test_an_over_limit_chunked_json_body_is_413(api, make_user):
    """Without Content-Length the limit holds too: 413 with the route's limit, as a declared length gets."""
    alice = make_user()
    body = json.dumps({"bio": "x" * (2 * 1024 * 1024)}).encode()
    request = _head(api, "PATCH", "/api/v1/me", "Content-Type: application/json", "Transfer-Encoding: chunked",
                    f"Authorization: Bearer {alice['token']}") + chunked(body)
    answer = _problem(*exchange(api.base_url, request), 413)
    assert answer["detail"] == "The request body may have at most 1048576 bytes.", answer


def test_a_small_chunked_json_body_is_read(api, make_user):
    alice = make_user()
    body = json.dumps({"bio": "sent in chunks"}).encode()
    request = _head(api, "PATCH", "/api/v1/me", "Content-Type: application/json", "Transfer-Encoding: chunked",
                    f"Authorization: Bearer {alice['token']}") + chunked(body, size=5)
    status, headers, text = exchange(api.base_url, request)
    assert status == 200, (status, text[:300])
    assert json.loads(text)["bio"] == "sent in chunks"


def test_a_broken_chunk_size_is_400(api):
    """A chunk size that is not hexadecimal. Tornado's HTTP server answers it itself, before any
    handler, with a bare 400 that has no body (nothing there to configure); every other answer is ours."""
    request = _head(api, "POST", "/api/v1/auth/register", "Content-Type: application/json",
                    "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n0\r\n\r\n"
    status, headers, text = exchange(api.base_url, request)
    if api.server.flavour in ("tornado", "wsgi-container") and not text:
        assert status == 400, (status, headers)
        return
    _problem(status, headers, text, 400)


@pytest.mark.parametrize("fields", [[f"X-Long: {'a' * 40_000}"], [f"X-Part-{i}: {'a' * 7_000}" for i in range(5)]],
                         ids=["one-40k-field", "five-7k-fields"])
def test_header_fields_over_32_kib_are_431(api, fields):
    """Over the app's 32 KiB of header fields: the same 431 from every flavour (gunicorn's own 431
    for a single field over 32 KiB says the same)."""
    answer = _problem(*exchange(api.base_url, _head(api, "GET", "/api/v1/groups", *fields)), 431)
    assert answer["detail"] == "The request's header fields may have at most 32768 bytes together.", answer
    assert ok(api.get("/groups", headers={"X-Short": "a" * 8_000}))   # 6 KiB of cookies and more still fit


def test_a_100_kb_header_is_431(api):
    """Tornado used to close the connection without a word. uWSGI's HTTP router still does, for a head
    over 64 KiB (the most its protocol carries; uwsgi.ini): behind nginx, nginx answers it."""
    head = _head(api, "GET", "/api/v1/groups", f"X-Long: {'a' * 100_000}")
    if api.server.flavour == "uwsgi":   # known and kept: no answer, never a 5xx; nginx answers it in a deployment
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            exchange(api.base_url, head)
        return
    answer = _problem(*exchange(api.base_url, head), 431)
    assert answer["detail"] == "The request's header fields may have at most 32768 bytes together.", answer


@pytest.mark.parametrize("request_head", [
    b"GET /api/v1/groups?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nConnection: close\r\n\r\n",   # gunicorn: 414
    b"GET /api/v1/groups HTTP/1.1\r\nConnection: close\r\nNo Colon Here\r\n\r\n",        # malformed
    b"GET /api/v1/groups HTTP/1.1\r\nConnection: close\r\nBad Name: x\r\n\r\n",          # space in a name
], ids=["long-request-line", "no-colon", "bad-name"])
def test_what_the_server_cannot_parse_is_a_4xx_problem(api, request_head):
    """Refused by the HTTP server itself: a 4xx (never a 500), and problem+json whenever it has a body
    (gunicorn used to send an HTML page; Tornado sends a bare 400; uWSGI's HTTP router lets a bad name
    through and closes the connection on a line without a colon, answering nothing)."""
    try:
        status, headers, text = exchange(api.base_url, request_head)
    except http.client.RemoteDisconnected:
        assert api.server.flavour == "uwsgi", "closed without an answer"
        return
    assert status < 500, (status, headers, text[:300])
    if status >= 400 and text:
        _problem(status, headers, text, status)


def test_deeply_nested_json_is_a_client_error(api):
    raw = b"[" * 100000 + b"]" * 100000
    resp = api.post("/auth/register", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 413), describe(resp)
    problem(resp, resp.status_code)


@pytest.mark.parametrize("path", ["/posts/abc", "/posts/-1", "/posts/0", "/posts/1.5",
                                  "/posts/99999999999999999999999999", "/posts/9223372036854775808",
                                  "/groups/%20", "/users/1e3"])
def test_non_numeric_and_huge_ids_are_404(api, path):
    problem(api.get(path), 404)


def test_huge_id_in_a_write_is_404(api, make_user):
    alice = make_user()
    problem(api.put("/posts/9223372036854775808/like", user=alice), 404)
    problem(api.delete("/comments/99999999999999999999", user=alice), 404)


def test_huge_numbers_in_bodies_are_422(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    post = forum.post(group, alice)
    resp = api.post(f"/posts/{post['id']}/comments", user=alice, json={"content": "x", "parent_id": 10**30})
    assert "parent_id" in field_errors(resp)


def test_sql_injection_strings_are_stored_verbatim(api, forum, make_user):
    alice = make_user()
    nasty = "Robert'); DROP TABLE users; -- \" OR 1=1 # \\ %s %(x)s ?"
    me = ok(api.patch("/me", user=alice, json={"bio": nasty, "nickname": "' OR '1'='1"}))
    assert me["bio"] == nasty and me["nickname"] == "' OR '1'='1"
    group = forum.group(alice, description=nasty)
    post = forum.post(group, alice, title="1' UNION SELECT password_hash FROM users --", content=nasty)
    again = ok(api.get(f"/posts/{post['id']}"))
    assert again["title"] == "1' UNION SELECT password_hash FROM users --" and again["content"] == nasty
    assert ok(api.get(f"/groups/{group['id']}"))["description"] == nasty
    found = ok(api.get("/groups", params={"q": "' OR 1=1 --"}))
    assert found["items"] == []
    assert ok(api.get("/groups", params={"q": "%"}))  # a LIKE wildcard is just a character
    ok(api.get("/me", user=alice))


def test_unicode_round_trips(api, make_user):
    alice = make_user()
    text = "Grüße 👋🏽 — 中文 — עברית"
    assert ok(api.patch("/me", user=alice, json={"bio": text}))["bio"] == text
    assert ok(api.get(f"/users/{alice['id']}"))["bio"] == text


def test_json_answers_have_the_exact_content_type_and_times_end_in_z(api, make_user):
    alice = make_user()
    resp = api.get("/me", user=alice)
    assert resp.headers["Content-Type"] == JSON_TYPE
    assert is_time(resp.json()["created_at"])
    assert api.get("/groups").headers["Content-Type"] == JSON_TYPE


def test_errors_never_leak_internals(api):
    resp = api.get("/posts/99999999999999999999999999")
    text = resp.text.lower()
    for leak in ("traceback", "select ", "pymysql", "aiomysql", "sqlite", "file \""):
        assert leak not in text, describe(resp)
