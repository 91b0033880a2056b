"""Fixtures for the Flask app, in the style of the Flask tutorial: ``app``, ``client``, ``auth``.

Each test gets a fresh, migrated SQLite file (``sqlite_url`` from tests/conftest.py), so tests
never see each other's rows. These are in-process checks of the app itself; the contract suite
(tests/contract) runs the same app over real sockets under every WSGI server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wsgi_app import create_app, db

TEST_SECRET = "wsgi-test-secret-" + "x" * 32


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "database_url": sqlite_url, "secret": TEST_SECRET,
                      "media_dir": str(tmp_path / "media")})
    yield app
    db.close(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    """Register and log in a user; ``headers`` carry its bearer token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def login(self, username: str | None = None, password: str = "a long enough password") -> dict[str, Any]:
        username = username or f"user_{secrets.token_hex(4)}"
        registered = self.client.post("/api/v1/auth/register", json={
            "username": username, "email": f"{username}@example.com", "password": password})
        assert registered.status_code == 201, registered.get_json()
        answer = self.client.post("/api/v1/auth/login", json={"login": username, "password": password})
        assert answer.status_code == 200, answer.get_json()
        self.headers = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
        return dict(answer.get_json()["user"])


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
