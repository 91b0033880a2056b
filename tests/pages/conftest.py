"""The pages' fixtures: a real server per flavour, a browser-like HTTP client, and headless Chromium.

Each flavour is started once per module with ``tests/support/servers.py`` (``forum migrate`` then
``forum serve``), as an operator would. Chromium is Debian's ``chromium`` driven by selenium through
``chromedriver``; a missing one is a skip here and a failure under ``CI=true`` (tests/support/services.py).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service, require_service

# flavour and database of each server the page tests run against: both apps, both databases
TARGETS = [("tornado", "sqlite"), ("gunicorn", "mysql"), ("wsgi-container", "sqlite")]
PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="_xsrf" value="([^"]+)"')


@pytest.fixture(scope="module", params=TARGETS, ids=lambda t: f"{t[0]}:{t[1]}")
def site(request: pytest.FixtureRequest) -> Iterator[Server]:
    flavour, database = request.param
    try:
        with fresh_database(database, prefix="forum_pg_") as url, \
                running_server(flavour, url, extra_env={"FORUM_TRUSTED_PROXIES": "127.0.0.1,::1"}) as server:
            # the tests stand in for nginx (X-Forwarded-Proto); by default no proxy is trusted
            yield server
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:{database} server", exc)


class Browser:
    """What a browser does with our pages, in plain HTTP: cookies kept, the form's XSRF token sent back."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=10, **kwargs)

    def token(self, page: str = "/guestbook") -> str:
        """The XSRF token of a form on ``page`` (any page with a form will do)."""
        found = _TOKEN.search(self.get(page).text)
        assert found, f"no _xsrf field on {page}"
        return found.group(1)

    def submit(self, action: str, data: dict[str, str], page: str = "/guestbook",
               **kwargs: Any) -> requests.Response:
        """POST a form as the browser would after loading ``page``: with its token (redirects followed)."""
        return self.http.post(self.base_url + action, data={"_xsrf": self.token(page), **data}, timeout=10, **kwargs)

    def register(self, name: str | None = None) -> str:
        """A new account, logged in; its username."""
        name = name or "u" + secrets.token_hex(5)
        answer = self.submit("/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
                             page="/register")
        assert answer.status_code == 200 and 'id="nav-user"' in answer.text, answer.text[:500]
        return name


@pytest.fixture
def browser(site: Server) -> Browser:
    return Browser(site.base_url)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session (selenium + chromedriver)."""
    with headless_chromium() as chrome:
        yield chrome


@pytest.fixture(scope="session")
def second_chromium() -> Iterator[Any]:
    """Another browser, with a profile of its own: a second person on the same forum."""
    with headless_chromium() as chrome:
        yield chrome


@contextlib.contextmanager
def headless_chromium() -> Iterator[Any]:
    binary = require_service("chromium (apt install chromium)",
                             lambda: shutil.which("chromium") or shutil.which("chromium-browser"))
    driver = require_service("chromedriver (apt install chromium-driver)", lambda: shutil.which("chromedriver"))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="forum-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1200,1000"):
            options.add_argument(flag)
        chrome = webdriver.Chrome(service=Service(driver), options=options)
        chrome.set_page_load_timeout(30)
        try:
            yield chrome
        finally:
            chrome.quit()
