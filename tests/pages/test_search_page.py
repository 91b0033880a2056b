"""The search box: in every page's navigation, answered by /search with the matched words marked.

Chromium searches from the box on both apps, in Chinese and in English; plain HTTP checks the page
on every flavour (a refused query is an HTML error page, the filters are reachable from the form).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from tests.support.servers import Server

from .conftest import Browser
from .test_browser import BOTH_APPS, User


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_search_from_the_box_in_chinese_and_english(site: Server, chromium: Any) -> None:
    chromium.delete_all_cookies()
    word = "Zeppelin" + secrets.token_hex(3)
    writer = Browser(site.base_url)
    writer.register()
    group = writer.submit("/groups/new", {"name": f"中文 {word}", "category": "python", "description": "",
                                          "join_policy": "open"}, page="/groups/new")
    group_path = urlsplit(group.url).path
    writer.submit(group_path + "/posts/new", {"title": f"基于协程的高并发 {word}",
                                              "content": f"用 **Tornado** 的协程。The {word} <flies>."},
                  page=group_path + "/posts/new")

    user = User(chromium, site.base_url)
    user.open("/guestbook")
    user.fill("nav form[role=search]", q=f"协程 {word.lower()}")
    assert chromium.current_url.startswith(site.base_url + "/search?")
    [result] = chromium.find_elements(By.CSS_SELECTOR, "#results .result")
    assert result.find_element(By.CSS_SELECTOR, ".title").text == f"基于协程的高并发 {word}"
    marks = [mark.text for mark in result.find_elements(By.CSS_SELECTOR, ".excerpt mark")]
    assert marks == ["协程", word]
    assert f"The {word} <flies>." in result.find_element(By.CSS_SELECTOR, ".excerpt").text   # escaped, shown
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-search.png")

    user.fill("#search-form", q=word[:-2].upper())            # English, any case, the last word a prefix
    assert [m.text for m in chromium.find_elements(By.CSS_SELECTOR, "#results .excerpt mark")] == [word]
    user.press("#results .result .title")
    assert user.text("#post h1") == f"基于协程的高并发 {word}"


def test_the_search_page_on_every_flavour(browser: Browser) -> None:
    empty = browser.get("/search")
    assert empty.status_code == 200 and 'id="search-form"' in empty.text and 'id="results"' not in empty.text
    assert 'action="/search"' in browser.get("/questions").text, "the box is in the navigation"
    nothing = browser.get("/search", params={"q": "\"NEAR(*)\" -"})
    assert nothing.status_code == 200 and "Nothing found." in nothing.text
    typed = browser.get("/search", params={"q": "<b>x</b>", "type": "question"})
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in typed.text and '<option value="question" selected>' in typed.text
    too_long = browser.get("/search", params={"q": "x" * 201})
    assert too_long.status_code == 422 and too_long.headers["Content-Type"].startswith("text/html")
