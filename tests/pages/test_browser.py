"""The pages in a real browser: headless Chromium walks the forum on each app, as a user would.

A few whole flows only (the plain-HTTP tests cover the details, faster). Screenshots of the home
page and a post page land in /tmp (``forum-pages-<flavour>-home.png`` ...) for a human to look at.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from shared.storage.sessions import COOKIE_NAME
from tests.support.servers import Server

from .conftest import PASSWORD, Browser

BOTH_APPS = [("tornado", "sqlite"), ("gunicorn", "mysql")]
XSS_TITLE = "<script>alert(1)</script>"


class User:
    """A person at the browser: opens pages, fills in forms, presses buttons."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str) -> WebElement:
        element: WebElement = self.driver.find_element(By.CSS_SELECTOR, css)
        return element

    def text(self, css: str) -> str:
        return self.find(css).text

    def fill(self, form: str, button: str | None = None, **fields: str) -> None:
        """Type into a form's fields, then press its (first, or named) submit button."""
        for name, value in fields.items():
            field = self.find(f"{form} [name={name}]")
            field.clear()
            field.send_keys(value)
        self.press(f"{form} {button or 'button[type=submit]'}")

    def press(self, css: str) -> None:
        """Click a link or button and wait until the next page has replaced this one."""
        page = self.find("html")
        self.find(css).click()
        # While the old page goes, chromedriver may answer "node does not belong to the document"
        # rather than "stale element": both mean it is going, so keep asking.
        WebDriverWait(self.driver, 15, ignored_exceptions=(WebDriverException,)).until(staleness_of(page))

    def no_alert(self) -> bool:
        try:
            _ = self.driver.switch_to.alert
        except NoAlertPresentException:
            return True
        return False


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_a_user_walks_the_forum(site: Server, chromium: Any) -> None:
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "walker" + secrets.token_hex(3)

    user.open("/register")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    assert user.text("#nav-user") == name
    session = chromium.get_cookie(COOKIE_NAME)
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"

    user.open("/groups/new")
    user.fill("#group-form", name=f"Group of {name}", category="testing", description="A <i>group</i>")
    assert user.text("h1") == f"Group of {name}"
    assert user.text(".description") == "A <i>group</i>"   # shown as typed, not as markup

    user.press("#new-post")
    user.fill("#post-form", title=XSS_TITLE, content="Hello [click](javascript:alert(1)) **bold**")
    assert user.text("#post h1") == XSS_TITLE   # visible as text
    assert user.no_alert()
    assert user.text("#post .content strong") == "bold"
    assert not chromium.find_elements(By.CSS_SELECTOR, "#post a[href^='javascript']")

    user.fill("#comment-form", content="First comment")
    assert "First comment" in user.text("#comments .item")
    user.fill("#comments .reply-form", content="A reply to it")
    assert user.text("#comments .item.reply .content") == "A reply to it"

    user.press("#post .like-button")
    assert user.find("#post .like-button").get_attribute("aria-pressed") == "true"
    assert user.text("#post .like-count") == "1"
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-post.png")

    # Tornado serves the WebSocket itself, gunicorn's launcher a notifier beside its workers (the page
    # is told its port): either way the badge counts a new comment without a reload.
    post_path = chromium.current_url.removeprefix(site.base_url)
    neighbour = Browser(site.base_url)
    neighbour.register()
    neighbour.submit(user.find("#post .crumbs a").get_attribute("href").removeprefix(site.base_url), {})
    neighbour.submit(post_path, {"content": "Hello from next door"}, page=post_path)
    WebDriverWait(chromium, 15).until(lambda _: user.text("#unread-count") == "1")
    assert "Hello from next door" in user.text(".toast")
    assert "Hello from next door" in user.text("#comments .item.live .content")   # no reload: it came live

    user.open("/questions/new")
    user.fill("#question-form", title="How do pages work?", category="meta", content="Asking for a *friend*.")
    user.fill("#answer-form", content="With templates.")
    assert "With templates." in user.text("#answers .item .content")

    user.open("/guestbook")
    user.fill("#guestbook-form", name="Walker", message="Nice forum <3")
    assert "Nice forum <3" in user.text("#entries .message")

    user.open("/")
    assert XSS_TITLE in user.text("#latest-posts") and "How do pages work?" in user.text("#newest-questions")
    assert user.no_alert()
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-home.png")

    user.press("#logout")
    assert user.text("#nav-login") == "Log in"
    chromium.add_cookie({"name": COOKIE_NAME, "value": session["value"], "path": "/"})   # replay the old cookie
    user.open("/notifications")
    assert chromium.current_url.startswith(site.base_url + "/login")
    assert not chromium.find_elements(By.CSS_SELECTOR, "#nav-user")


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_two_people_on_one_thread_see_each_others_comments_without_reloading(
        site: Server, chromium: Any, second_chromium: Any) -> None:
    reader, writer = User(chromium, site.base_url), User(second_chromium, site.base_url)
    for person in (reader, writer):
        person.driver.delete_all_cookies()
        name = "live" + secrets.token_hex(3)
        person.open("/register")
        person.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    reader.open("/groups/new")
    reader.fill("#group-form", name="Live " + secrets.token_hex(3), category="testing", description="live")
    group_path = urlsplit(reader.driver.current_url).path
    reader.press("#new-post")
    reader.fill("#post-form", title="Watch this thread", content="Comments appear as they are made.")
    assert reader.text("p.flash[role=alert]") == "Your post is published."
    post_path = urlsplit(reader.driver.current_url).path
    reader.driver.execute_script("window.stayed = true")   # gone if the page were loaded again

    writer.open(group_path)
    writer.press("#join")
    writer.open(post_path)
    writer.fill("#comment-form", content="Seen *live*?")
    WebDriverWait(chromium, 15).until(lambda _: "Seen live?" in reader.text("#comments"))
    assert reader.text("#comments .item.live .content em") == "live"
    assert reader.driver.execute_script("return window.stayed") is True
    writer.fill("#comments .reply-form", content="And a reply")
    WebDriverWait(chromium, 15).until(lambda _: "And a reply" in reader.text("#comments .item.live .replies"))
    assert reader.driver.execute_script("return window.stayed") is True


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_a_user_sets_up_their_account_takes_their_data_and_leaves(site: Server, chromium: Any, tmp_path: Any) -> None:
    """/settings from the navigation: profile, picture (then beside the name on a post), a comment of
    one's own deleted, a new password (still logged in, and it logs in), the data file, leaving."""
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "settler" + secrets.token_hex(3)
    user.open("/register")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    user.open("/groups/new")
    user.fill("#group-form", name=f"Home of {name}", category="testing", description="mine")
    user.press("#new-post")
    user.fill("#post-form", title="My post", content="Written before I left.")
    post_path = urlsplit(chromium.current_url).path
    for words in ("Keep me", "Delete me"):
        user.fill("#comment-form", content=words)

    user.press("#nav-settings")
    user.fill("#profile-form", nickname="Settler", bio="I was here.")
    assert user.text("p.flash") == "Your profile is saved."
    assert user.find("#f-nickname").get_attribute("value") == "Settler"

    picture = tmp_path / "me.png"
    Image.new("RGB", (8, 8), (30, 120, 200)).save(picture)
    user.find("#f-avatar").send_keys(str(picture))
    user.press("#save-avatar")
    assert user.text("p.flash") == "Your new picture is in place."
    avatar = user.find("#current-avatar").get_attribute("src")
    user.open(post_path)
    assert user.find("#post .meta img.avatar").get_attribute("src") == avatar
    assert chromium.execute_script("return document.querySelector('#post .meta img.avatar').naturalWidth") == 8
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-avatar.png")

    doomed = next(item for item in chromium.find_elements(By.CSS_SELECTOR, "#comments .item")
                  if "Delete me" in item.text).get_attribute("id")
    user.find(f"#{doomed} .own-delete summary").click()   # the first step only opens the question
    assert user.find(f"#{doomed} .confirm-delete").is_displayed()
    user.press(f"#{doomed} .confirm-delete")
    assert user.text("p.flash") == "Deleted."
    assert "Delete me" not in user.text("#comments") and "Keep me" in user.text("#comments")

    user.press("#nav-settings")
    user.fill("#password-form", old_password=PASSWORD, new_password="a brand new password")
    assert user.text("p.flash").startswith("Your password is changed.")
    user.open(post_path)
    assert user.text("#nav-user") == name   # this browser stays logged in
    user.press("#logout")
    user.open("/login")
    user.fill("#login-form", login=name, password="a brand new password")
    assert user.text("#nav-user") == name

    user.press("#nav-settings")
    chromium.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    user.find("#export-link").click()
    export = tmp_path / "forum-export.json"
    WebDriverWait(chromium, 15).until(lambda _: export.exists() and export.stat().st_size > 0)
    data = json.loads(export.read_text())
    assert data["profile"]["username"] == name and data["profile"]["bio"] == "I was here."
    assert [comment["content"] for comment in data["comments"]] == ["Keep me"]

    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-settings.png")
    user.find("#f-confirm").click()
    user.fill("#delete-account-form", button="#delete-account", password="a brand new password")
    assert user.text("p.flash").startswith("Your account is deleted")
    assert user.text("#nav-login") == "Log in"
    user.open(post_path)
    assert user.text("#post .meta .user.deleted") == "deleted user"
    assert user.find("#post .meta .avatar.none").text == ""   # the picture went with the account
