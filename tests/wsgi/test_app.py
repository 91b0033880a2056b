"""The Flask app in-process: routes, problem+json for everything that can go wrong, the pool and middleware."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.routes import ROUTES
from tests.wsgi.conftest import TEST_SECRET, AuthActions
from wsgi_app import create_app, db
from wsgi_app.api.base import route_name

PROBLEM = "application/problem+json"


def test_routes_are_exactly_the_route_table(app: Flask) -> None:
    declared = {(r.method, "/api/v1" + r.path) for r in ROUTES}
    served = {(method, route_name(rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    assert served == declared


def test_unknown_route_is_a_problem_404(client: FlaskClient) -> None:
    answer = client.get("/api/v1/no/such/thing")
    assert answer.status_code == 404
    assert answer.content_type == PROBLEM
    assert answer.get_json() == {"type": "/problems/not-found", "title": "Not Found", "status": 404,
                                 "detail": "No such route."}


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/api/v1/groups", "GET, POST"),
    ("PUT", "/api/v1/groups/1/applications", "POST, GET"),   # the route table's order, as Tornado lists it
    ("HEAD", "/api/v1/groups", "GET, POST"),                 # Flask would answer HEAD; the Tornado app does not
    ("OPTIONS", "/api/v1/posts/1", "GET, PATCH, DELETE"),
    ("POST", "/healthz", "GET"),
])
def test_wrong_method_is_405_with_allow(client: FlaskClient, method: str, path: str, allow: str) -> None:
    answer = client.open(path, method=method)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == allow
    assert answer.content_type == PROBLEM


def test_json_body_over_the_limit_is_413_before_reading(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    answer = client.post("/api/v1/groups", data=b"x" * (2 * 1024 * 1024), content_type="application/json",
                         headers=auth.headers)
    assert answer.status_code == 413
    assert answer.get_json()["detail"] == "The request body may have at most 1048576 bytes."


@pytest.mark.parametrize(("content_type", "data", "status"), [
    ("text/plain", b"{}", 415),
    ("application/json", b"{nope", 400),
    ("application/json", b"[1, 2]", 400),
    ("application/json", b'{"name": "x", "extra": 1}', 422),
])
def test_bad_bodies(client: FlaskClient, auth: AuthActions, content_type: str, data: bytes, status: int) -> None:
    auth.login()
    answer = client.post("/api/v1/groups", data=data, content_type=content_type, headers=auth.headers)
    assert answer.status_code == status
    assert answer.content_type == PROBLEM


def test_credentials_come_before_the_body(client: FlaskClient) -> None:
    answer = client.post("/api/v1/groups", data=b"not json", content_type="text/plain")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_unexpected_exception_is_a_generic_500_without_traceback(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> str:
        raise RuntimeError("SELECT secret FROM somewhere")

    app.add_url_rule("/boom", "boom", boom)
    with caplog.at_level(logging.ERROR, logger="forum.wsgi"):
        answer = app.test_client().get("/boom")
    assert answer.status_code == 500
    assert answer.content_type == PROBLEM
    assert answer.get_json() == {"type": "/problems/internal-server-error", "title": "Internal Server Error",
                                 "status": 500, "detail": "An unexpected error occurred."}
    assert "SELECT" not in answer.get_data(as_text=True)
    assert "RuntimeError" in caplog.text   # the operator sees it; the client does not


def test_pool_is_made_by_the_first_request_not_by_create_app(app: Flask, client: FlaskClient) -> None:
    assert "forum.db" not in app.extensions
    assert client.get("/readyz").status_code == 200
    pid, pool = app.extensions["forum.db"]
    assert pid == os.getpid()
    with app.app_context():
        assert db.get_db() is pool


def test_a_forked_process_makes_its_own_pool(app: Flask, client: FlaskClient) -> None:
    client.get("/readyz")
    parents = app.extensions["forum.db"][1]
    app.extensions["forum.db"] = (-1, parents)   # as a forked child sees it: made by another pid
    with app.app_context():
        mine = db.get_db()
    assert mine is not parents
    parents.close()


def test_client_address_headers_count_only_from_trusted_proxies(sqlite_url: str, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """No proxy is trusted by default, not even loopback (RELIABILITY 43); a configured one is."""
    def addresses(**settings: str) -> list[str]:
        app = create_app({"TESTING": True, "database_url": sqlite_url, "secret": TEST_SECRET,
                          "media_dir": str(tmp_path / "media"), **settings})
        client = app.test_client()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="forum.access"):
            for peer, headers in (("198.51.100.7", {"X-Forwarded-For": "203.0.113.9"}),
                                  ("127.0.0.1", {"X-Real-IP": "203.0.113.10"})):
                # buffered: the body is read and closed, which writes the log line
                client.get("/healthz", headers=headers, environ_base={"REMOTE_ADDR": peer}, buffered=True)
        db.close(app)
        return [r.getMessage().split(" ", 1)[0] for r in caplog.records if r.name == "forum.access"]

    assert addresses() == ["198.51.100.7", "127.0.0.1"]                                  # nobody is believed
    assert addresses(trusted_proxies="127.0.0.1,::1") == ["198.51.100.7", "203.0.113.10"]  # nginx on loopback is


def test_answers_carry_the_same_content_types_as_tornado(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert client.get("/api/v1/groups").headers["Content-Type"] == "application/json; charset=utf-8"
    created = client.post("/api/v1/groups", headers=auth.headers, json={
        "name": "wsgi", "category": "python", "description": "", "join_policy": "open"})
    assert created.status_code == 201
    gone = client.delete(f"/api/v1/groups/{created.get_json()['id']}/members/me", headers=auth.headers)
    assert gone.status_code == 409   # the owner cannot leave
    read = client.post("/api/v1/notifications/read", headers=auth.headers, json={"all": True})
    assert read.status_code == 204
    assert "Content-Type" not in read.headers and read.get_data() == b""


def test_media_is_served_with_nosniff(app: Flask, client: FlaskClient) -> None:
    media = app.extensions["forum"].media_dir
    os.makedirs(media, exist_ok=True)
    with open(os.path.join(media, "a.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
    answer = client.get("/media/a.png")
    assert answer.status_code == 200
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/../secret.key").status_code == 404


def test_size_is_checked_before_the_method(client: FlaskClient) -> None:
    """As in the Tornado app, which must refuse a body before it arrives: 413 wins over 405."""
    answer = client.delete("/api/v1/groups", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert answer.status_code == 413


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("/api/v1/groups/%D9%A1", 404, "No such route."),   # an Arabic-Indic digit is not an id
    ("/api/v1//groups", 404, "No such route."),          # no redirect to the merged path
    ("/api/v1/groups?q=%ff", 400, "Bad Request"),        # a query value that is not UTF-8
])
def test_odd_requests_get_the_tornado_apps_answers(client: FlaskClient, path: str, status: int, detail: str) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.get_json()["detail"] == detail


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=zz"])
def test_a_body_that_is_not_multipart_is_400(client: FlaskClient, auth: AuthActions, content_type: str) -> None:
    auth.login()
    answer = client.put("/api/v1/me/avatar", data=b"garbage", content_type=content_type, headers=auth.headers)
    assert answer.status_code == 400
    assert answer.get_json()["detail"] == "The multipart body could not be read."
