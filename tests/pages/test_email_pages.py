"""The e-mail pages (API.md §9, §12) on both apps, with the messages read from a real SMTP server:
reset a password, confirm an address, the "confirm your address" notice, settings, watch buttons.
Then Chromium: forgot password → the message in the test server → a new password → logged in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.mail import Sink, link, smtp_sink
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

from .conftest import PASSWORD, Browser
from .test_browser import User

BOTH_APPS = [("tornado", "sqlite"), ("gunicorn", "mysql")]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Sink]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="module", params=BOTH_APPS, ids=lambda t: f"{t[0]}:{t[1]}")
def mail_site(request: pytest.FixtureRequest, mailbox: Sink) -> Iterator[Server]:
    flavour, database = request.param
    try:
        with fresh_database(database, prefix="forum_pg_") as url, \
                running_server(flavour, url, extra_env={"FORUM_SMTP_URL": mailbox.url, "FORUM_MAIL_INTERVAL": "0.3",
                                                        "FORUM_TRUSTED_PROXIES": "127.0.0.1,::1"}) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:{database} server", exc)


def path_of(url: str, site: Server) -> str:
    assert url.startswith(site.base_url + "/"), url
    return url.removeprefix(site.base_url)


def test_the_notice_until_the_address_is_confirmed_by_its_link(mail_site: Server, mailbox: Sink) -> None:
    browser = Browser(mail_site.base_url)
    name = browser.register()
    assert 'id="verify-notice"' in browser.get("/").text
    browser.submit("/verify-email/resend", {}, page="/")
    message = mailbox.wait_for(f"{name}@example.com", "Confirm your e-mail address", count=2)
    page = path_of(link(message, "/verify-email"), mail_site)
    shown = browser.get(page)
    assert 'id="verify-form"' in shown.text                  # opening the link changes nothing by itself
    token = re.search(r'name="token" value="([^"]+)"', shown.text).group(1)  # type: ignore[union-attr]
    done = browser.submit("/verify-email", {"token": token}, page=page)
    assert done.status_code == 200 and "your e-mail address is confirmed" in done.text
    assert 'id="verify-notice"' not in browser.get("/").text
    again = browser.submit("/verify-email", {"token": token}, page=page)
    assert again.status_code == 422 and 'id="f-token-error"' in again.text


def test_settings_keep_a_new_address_pending_and_save_the_preference(mail_site: Server, mailbox: Sink) -> None:
    browser = Browser(mail_site.base_url)
    browser.register()
    new = f"new{secrets.token_hex(4)}@example.com"
    page = browser.submit("/settings/email", {"email": new}, page="/settings")
    assert 'id="pending-email"' in page.text and new in page.text
    mailbox.wait_for(new, "Confirm your e-mail address")
    bad = browser.submit("/settings/email", {"email": "not an address"}, page="/settings")
    assert bad.status_code == 422 and 'id="f-email-error"' in bad.text
    page = browser.submit("/settings/notifications", {"email": "daily"}, page="/settings")
    assert 'value="daily" checked' in page.text


def test_the_watch_button_on_a_question(mail_site: Server) -> None:
    author, reader = Browser(mail_site.base_url), Browser(mail_site.base_url)
    author.register()
    asked = author.submit("/questions/new", {"title": "Watch me", "content": "?", "category": "python"},
                          page="/questions/new")
    path = urlsplit(path_of(asked.url, mail_site)).path          # without its ?done=asked
    assert 'aria-pressed="true">Stop watching' in asked.text        # the author watches
    reader.register()
    assert 'aria-pressed="false">Watch' in reader.get(path).text
    watched = reader.submit(path + "/watch", {"next": path}, page=path)
    assert watched.url.endswith(path) and 'aria-pressed="true">Stop watching' in watched.text
    assert 'aria-pressed="false">Watch' in reader.submit(path + "/unwatch", {"next": path}, page=path).text


def test_forgot_password_to_logged_in_in_chromium(mail_site: Server, mailbox: Sink, chromium: Any) -> None:
    name = Browser(mail_site.base_url).register()
    chromium.delete_all_cookies()
    user = User(chromium, mail_site.base_url)
    user.open("/login")
    user.press("#forgot-password")
    user.fill("#reset-form", email=f"{name}@example.com")
    assert "a link to choose a new password is on its way" in user.text(".flash")

    message = mailbox.wait_for(f"{name}@example.com", "Reset your password")
    chromium.get(link(message, "/reset-password"))
    user.fill("#new-password-form", new_password="a new password for " + name)
    assert user.text("#nav-user") == name                       # logged in, on the home page

    chromium.delete_all_cookies()
    user.open("/login")
    user.fill("#login-form", login=name, password=PASSWORD)     # the old password is gone
    assert user.find("#login-form")
    user.fill("#login-form", login=name, password="a new password for " + name)
    assert user.text("#nav-user") == name
