"""The pages in English and Simplified Chinese (API.md §8), on every flavour.

Plain HTTP for the rules (which language a page gets, the switcher, a refused form, the error pages,
notifications, dates), then Chromium on both apps in both languages. The Chromium walk keeps a
screenshot of each main page in Chinese under ``tmp/artifacts/i18n/`` (not committed) for a human to
look at; the machine needs a CJK font for them to show Chinese (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.servers import Server

from .conftest import PASSWORD, Browser
from .test_browser import BOTH_APPS, User

ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts" / "i18n"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def html_lang(page: requests.Response) -> str:
    found = re.search(r'<html lang="([^"]+)">', page.text)
    assert found, page.text[:200]
    return found.group(1)


def api_user(site: Server) -> dict[str, Any]:
    """A user made through the API (with a token), for setting up what a page then shows."""
    name = "api" + secrets.token_hex(4)
    requests.post(site.base_url + "/api/v1/auth/register", timeout=10,
                  json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}).raise_for_status()
    login = requests.post(site.base_url + "/api/v1/auth/login", timeout=10, json={"login": name, "password": PASSWORD},
                          headers={"X-Real-IP": f"198.19.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"})
    login.raise_for_status()
    return {"name": name, "id": login.json()["user"]["id"],
            "headers": {"Authorization": "Bearer " + login.json()["access_token"]}}


def call(site: Server, method: str, path: str, user: dict[str, Any], **body: Any) -> Any:
    answer = requests.request(method, site.base_url + "/api/v1" + path, json=body or None, headers=user["headers"],
                              timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def test_the_switcher_keeps_the_visitor_on_the_same_page(browser: Browser) -> None:
    page = browser.get("/questions?sort=new", headers=EN)
    assert html_lang(page) == "en" and 'id="language-switcher"' in page.text
    link = re.search(r'<a lang="zh-CN" hreflang="zh-CN" href="([^"]+)"', page.text)
    assert link, page.text[:2000]
    switched = browser.get(link.group(1).replace("&amp;", "&"), headers=EN, allow_redirects=False)
    assert switched.status_code == 303 and switched.headers["Location"] == "/questions?sort=new"
    assert browser.http.cookies["lang"] == "zh-CN"
    again = browser.get("/questions?sort=new", headers=EN)   # the cookie outranks the browser's language
    assert html_lang(again) == "zh-CN" and "<h1>问答</h1>" in again.text
    assert html_lang(browser.get("/questions?lang=en")) == "en"   # ?lang= outranks the cookie
    # a switcher link never leaves the site
    away = browser.get("/language?lang=en&next=//evil.example/", allow_redirects=False)
    assert away.status_code == 303 and away.headers["Location"] == "/"


def test_accept_language_then_the_users_own_choice(site: Server, browser: Browser) -> None:
    assert html_lang(browser.get("/", headers=ZH)) == "zh-CN"
    assert html_lang(browser.get("/", headers={"Accept-Language": "fr, en;q=0.5"})) == "en"
    browser.register()
    saved = browser.submit("/settings/language", {"locale": "zh-CN"}, page="/settings", headers=EN)
    assert saved.status_code == 200 and html_lang(saved) == "zh-CN" and 'value="zh-CN" checked' in saved.text
    for cookie in [c for c in browser.http.cookies if c.name == "lang"]:   # the choice alone, as on another browser
        browser.http.cookies.clear(cookie.domain, cookie.path, cookie.name)
    assert html_lang(browser.get("/settings", headers=EN)) == "zh-CN"
    browser.submit("/settings/language", {"locale": "en"}, page="/settings")
    assert html_lang(browser.get("/", headers=ZH)) == "en"


def test_a_refused_form_in_chinese_says_each_field_once(browser: Browser) -> None:
    name = "zh" + secrets.token_hex(4)
    refused = browser.submit("/register", {"username": name, "email": f"{name}@example.com", "password": "password123"},
                             page="/register", headers=ZH)
    assert refused.status_code == 422 and html_lang(refused) == "zh-CN"
    assert refused.text.count("这是最常见的密码之一，请换一个") == 1, "shown beside the field, and nowhere else"
    assert 'id="f-password-error"' in refused.text and 'class="flash"' not in refused.text
    bad = browser.submit("/register", {"username": "a b", "email": "nope", "password": "x"}, page="/register",
                         headers=ZH)
    assert "3–32 个字母、数字或下划线" in bad.text and "不是有效的邮箱地址" in bad.text and "至少 8 个字符" in bad.text


def test_the_404_and_429_pages_in_chinese(browser: Browser) -> None:
    missing = browser.get("/posts/99999", headers=ZH)
    assert missing.status_code == 404 and "<h1>页面不存在</h1>" in missing.text and "没有这个帖子。" in missing.text
    assert "Page not found" in browser.get("/posts/99999", headers=EN).text
    browser.register()
    answers = [browser.submit("/verify-email/resend", {}, page="/settings", headers=ZH) for _ in range(6)]
    limited = answers[-1]
    assert limited.status_code == 429 and "<h1>请求过多</h1>" in limited.text, limited.text[:500]
    assert re.search(r"请求过多，请在 \d+ 秒后重试。", limited.text)


def test_notifications_name_who_and_link_the_page_by_its_title(site: Server, browser: Browser) -> None:
    author, commenter = api_user(site), api_user(site)
    group = call(site, "POST", "/groups", author, name="组 " + secrets.token_hex(3), category="python",
                 description="", join_policy="approval")
    call(site, "POST", f"/groups/{group['id']}/applications", commenter, reason="我想加入")
    applications = call(site, "GET", f"/groups/{group['id']}/applications?status=pending", author)["items"]
    call(site, "PATCH", f"/groups/{group['id']}/applications/{applications[0]['id']}", author, status="approved")
    post = call(site, "POST", f"/groups/{group['id']}/posts", author, title="协程 & <事件循环>", content="正文")
    call(site, "POST", f"/posts/{post['id']}/comments", commenter, content="**加粗**的 `代码` 评论")

    browser.submit("/login", {"login": author["name"], "password": PASSWORD}, page="/login")
    page = browser.get("/notifications", headers=ZH).text
    commenter_link = f'<a class="user" href="/users/{commenter["id"]}">{commenter["name"]}</a>'
    assert (f'{commenter_link} 评论了 <a class="target" href="/posts/{post["id"]}">协程 &amp; &lt;事件循环&gt;</a>'
            in page), page
    assert f'{commenter_link} 申请加入 <a class="target" href="/groups/{group["id"]}">{group["name"]}</a>' in page
    assert '<q class="excerpt">加粗的 代码 评论</q>' in page and "**" not in page   # plain text, not Markdown
    assert re.search(r'<time datetime="[0-9T:Z-]+" title="[^"]*\d{4}年[^"]*">(刚刚|\d+分钟前)</time>', page), page
    english = browser.get("/notifications", headers=EN).text
    assert f'{commenter_link} commented on <a class="target" href="/posts/{post["id"]}">' in english
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">(just now|\d+ minutes? ago)</time>', english)


# -- in a real browser --------------------------------------------------------------------------------

@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_chromium_in_both_languages(site: Server, chromium: Any) -> None:
    """The switcher, a form error, a notification and a relative date, in English then in Chinese; a
    screenshot of each main page in Chinese."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shoot = lambda name: chromium.save_screenshot(str(ARTIFACTS / f"{site.flavour}-{name}.png"))  # noqa: E731
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "lang" + secrets.token_hex(3)

    user.open("/register")                                   # English by Chromium's own Accept-Language
    assert user.find("html").get_attribute("lang") == "en" and user.text("h1") == "Register"
    user.fill("#register-form", username=name, email=f"{name}@example.com", password="password123")
    assert user.text("#f-password-error") == "one of the most common passwords; choose another"

    user.press('#language-switcher a[lang="zh-CN"]')         # the switcher: the same page, in Chinese
    assert urlsplit(chromium.current_url).path == "/register"
    assert user.find("html").get_attribute("lang") == "zh-CN" and user.text("h1") == "注册"
    user.fill("#register-form", username=name, email=f"{name}@example.com", password="password123")
    assert user.text("#f-password-error") == "这是最常见的密码之一，请换一个"
    shoot("register-error")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    assert user.text("#nav-user") == name and user.text("#logout") == "退出登录"

    user.open("/groups/new")
    user.fill("#group-form", name="浏览器 " + secrets.token_hex(3), category="testing", description="中文小组")
    user.press("#new-post")
    user.fill("#post-form", title="你好，世界", content="第一篇 *帖子*")
    post_path = urlsplit(chromium.current_url).path
    assert user.text("#post .meta time") == "刚刚"
    assert "年" in user.find("#post .meta time").get_attribute("title")   # the full local time on hover
    shoot("post")

    neighbour = Browser(site.base_url)                       # someone else comments: a notification
    neighbour.register()
    neighbour.submit(user.find("#post .crumbs a").get_attribute("href").removeprefix(site.base_url), {})
    neighbour.submit(post_path, {"content": "写得好！"}, page=post_path)
    WebDriverWait(chromium, 15).until(lambda _: user.text("#unread-count") == "1")
    user.open("/notifications")
    sentence = user.text("#notifications .notification .sentence")
    assert sentence.endswith("评论了 你好，世界"), sentence
    assert user.find("#notifications .target").get_attribute("href").endswith(post_path)
    assert user.text("#notifications .excerpt") == "写得好！"
    shoot("notifications")

    for page in ("/", "/questions", "/guestbook", "/settings", "/search?q=你好", "/posts/99999"):
        user.open(page)
        assert user.find("html").get_attribute("lang") == "zh-CN", page
        shoot(page.strip("/").split("?")[0].replace("/", "-") or "home")
    user.open(post_path)
    user.press('#language-switcher a[lang="en"]')            # and back
    assert urlsplit(chromium.current_url).path == post_path
    assert user.text("#logout") == "Log out" and user.text("#post .meta time") in ("just now", "1 minute ago")
