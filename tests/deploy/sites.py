"""The deploy tests' view of a flavour behind nginx: its public URL, nginx's prefix, API helpers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.servers import Server

FLAVOURS = ("tornado", "gunicorn", "uwsgi", "wsgi-container")
# What each flavour is started with: Tornado as two processes behind the upstream (load balancing
# shows in the access log); gunicorn with one worker, so per-process rate-limit counters are one.
EXTRA_ARGS = {
    "tornado": ("--processes", "2"),
    "gunicorn": ("--workers", "1"),
    "uwsgi": ("--processes", "1"),
    "wsgi-container": (),
}
# How many app processes count rate limits separately (memory store): the worst case for a limit.
APP_PROCESSES = {"tornado": 2, "gunicorn": 1, "uwsgi": 1, "wsgi-container": 1}


@dataclass
class Site:
    """A flavour behind nginx: the public URL, the launcher, and nginx's private prefix."""

    flavour: str
    server: Server
    prefix: Path

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "forum-access.log"

    def nginx_pid(self) -> int:
        return int((self.prefix / "nginx.pid").read_text().strip())

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)

    def new_user(self) -> tuple[dict[str, Any], str]:
        """Register and log in a fresh user: (user, access token)."""
        name = f"nx_{secrets.token_hex(5)}"
        password = secrets.token_urlsafe(12)
        created = self.api("POST", "/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                           "password": password})
        assert created.status_code == 201, created.text
        login = self.api("POST", "/auth/login", json={"login": name, "password": password})
        assert login.status_code == 200, login.text
        return created.json(), login.json()["access_token"]
