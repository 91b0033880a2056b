"""The pages of API.md §10 on every flavour: edit your own words and see the history; answer, accept and
vote; bookmarks and what is new since your last visit. Then Chromium does each of them, with no URL typed."""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.servers import Server

from .conftest import PASSWORD, Browser
from .test_browser import BOTH_APPS, User


def new_post(browser: Browser, title: str = "Original title", content: str = "First line\nsecond line") -> str:
    """A group of the browser's user with one post in it; the post's path."""
    group = browser.submit("/groups/new", {"name": "G " + secrets.token_hex(4), "category": "testing",
                                           "description": "", "join_policy": "open"}, page="/groups/new")
    group_path = urlsplit(group.url).path
    made = browser.submit(f"{group_path}/posts/new", {"title": title, "content": content}, page=f"{group_path}/posts/new")
    assert made.status_code == 200 and urlsplit(made.url).query.startswith("done="), made.text[:300]
    return urlsplit(made.url).path


def test_the_author_edits_a_post_and_everyone_sees_its_history(site: Server, browser: Browser) -> None:
    browser.register()
    post = new_post(browser)
    page = browser.get(post).text
    assert f'href="{post}/edit"' in page and 'class="edited"' not in page
    form = browser.get(f"{post}/edit")
    assert form.status_code == 200 and 'value="Original title"' in form.text and "First line" in form.text
    bad = browser.submit(f"{post}/edit", {"title": "", "content": "x"}, page=f"{post}/edit")
    assert bad.status_code == 422 and 'id="f-title-error"' in bad.text
    saved = browser.submit(f"{post}/edit", {"title": "Better <title>", "content": "First line\nthird line"},
                           page=f"{post}/edit")
    assert saved.url.endswith(post + "?done=edited") and f'href="{post}/history"' in saved.text
    assert "Your changes are saved." in saved.text

    history = Browser(site.base_url).get(f"{post}/history")           # anyone may read it
    assert history.status_code == 200
    assert '<span class="diff-del">second line</span>' in history.text
    assert '<span class="diff-ins">third line</span>' in history.text
    assert '<span class="diff-ins">Better &lt;title&gt;</span>' in history.text   # escaped
    assert len(re.findall(r'class="revision"', history.text)) == 2


def test_only_the_author_gets_the_edit_form(site: Server, browser: Browser) -> None:
    browser.register()
    post = new_post(browser)
    other = Browser(site.base_url)
    other.register()
    assert f'href="{post}/edit"' not in other.get(post).text
    assert other.get(f"{post}/edit").status_code == 403
    assert Browser(site.base_url).get(f"{post}/edit", allow_redirects=False).status_code == 302   # to /login


def test_a_comment_is_edited_from_its_post(site: Server, browser: Browser) -> None:
    browser.register()
    post = new_post(browser)
    browser.submit(post, {"content": "A comment"}, page=post)
    comment = re.search(r'href="(/comments/\d+)/edit"', browser.get(post).text).group(1)  # type: ignore[union-attr]
    shown = browser.submit(f"{comment}/edit", {"content": "A better comment"}, page=f"{comment}/edit")
    assert "A better comment" in shown.text and f'href="{comment}/history"' in shown.text
    assert "#comment-" in shown.url


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_edit_a_post_and_see_its_history_in_chromium(site: Server, chromium: Any) -> None:
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "editor" + secrets.token_hex(3)
    user.open("/register")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    user.open("/groups/new")
    user.fill("#group-form", name=f"Edits of {name}", category="testing", description="")
    user.press("#new-post")
    user.fill("#post-form", title="Draft", content="Hello wrold")
    user.press("#post a.edit")
    user.fill("#edit-form", content=f"Hello world, @{name}")
    assert user.text("#post .content") == f"Hello world, @{name}"
    user.press("#post a.edited")
    assert user.text("h1") == "History"
    assert "Hello wrold" in user.text(".revision .diff-del")
    assert "Hello world" in user.text(".revision .diff-ins")
    chromium.back()
    user.press("#post .content a.mention")            # the @mention is a link to the user's page
    assert user.text("h1") == name and re.search(r"/users/\d+$", chromium.current_url)


def ask(browser: Browser, title: str = "How do I?") -> str:
    made = browser.submit("/questions/new", {"title": title, "content": "Details", "category": "testing"},
                          page="/questions/new")
    assert made.status_code == 200 and urlsplit(made.url).query.startswith("done="), made.text[:300]
    return urlsplit(made.url).path


def test_answers_are_voted_accepted_and_the_question_shows_solved(site: Server, browser: Browser) -> None:
    browser.register()
    question = ask(browser, "Solved " + secrets.token_hex(3))
    helper = Browser(site.base_url)
    helper.register()
    answered = helper.submit(question, {"content": "Try this"}, page=question)
    answer = re.search(r"#answer-(\d+)", answered.url).group(1)  # type: ignore[union-attr]
    assert 'class="vote-up"' not in answered.text                    # not on your own
    voted = browser.submit(f"/answers/{answer}/up", {"next": f"{question}#answer-{answer}"}, page=question)
    assert '<span class="score">1</span>' in voted.text and 'class="vote-up" aria-pressed="true"' in voted.text
    accepted = browser.submit(f"/questions/{question.split('/')[-1]}/accept",
                              {"answer_id": answer, "next": question}, page=question)
    assert 'class="badge solved"' in accepted.text and 'class="badge accepted"' in accepted.text
    assert 'class="badge solved"' in browser.get("/questions").text
    assert 'class="accept-button"' not in helper.get(question).text   # only the asker accepts
    unanswered = browser.get("/questions?unanswered=true").text
    assert question not in unanswered


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_answer_accept_and_vote_in_chromium(site: Server, chromium: Any, second_chromium: Any) -> None:
    asker, helper = User(chromium, site.base_url), User(second_chromium, site.base_url)
    for user in (asker, helper):
        user.driver.delete_all_cookies()
        name = "qa" + secrets.token_hex(4)
        user.open("/register")
        user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    asker.open("/questions")
    asker.press("a.button[href='/questions/new']")
    title = "Chromium asks " + secrets.token_hex(3)
    asker.fill("#question-form", title=title, category="testing", content="How?")
    question_path = urlsplit(asker.driver.current_url).path
    helper.open("/questions")
    helper.press(f"#questions a.title[href='{question_path}']")
    helper.fill("#answer-form", content="Like this")
    asker.open(question_path)
    asker.press("#answers .vote-up")
    assert asker.text("#answers .score") == "1"
    asker.press("#answers .accept-button")
    assert asker.text("h1 .badge.solved") == "solved"
    assert asker.text("#answers .badge.accepted") == "accepted"


# -- bookmarks and what is new since the last visit (API.md §10, §12) ---------------------------------

def comment_as_member(site: Server, post: str, content: str) -> Browser:
    """Another user joins the post's group (the group page's Join button) and comments on the post."""
    other = Browser(site.base_url)
    other.register()
    group = re.search(r'<p class="crumbs"><a href="(/groups/\d+)"', other.get(post).text).group(1)  # type: ignore[union-attr]
    other.submit(group, {}, page=group)
    made = other.submit(post, {"content": content}, page=post)
    assert "#comment-" in made.url, made.text[:300]
    return other


def test_bookmarks_and_new_comments_on_the_pages(site: Server, browser: Browser) -> None:
    browser.register()
    post = new_post(browser, title="Kept " + secrets.token_hex(3))
    assert 'href="/bookmarks"' in browser.get(post).text                          # in the navigation
    kept = browser.submit(f"{post}/bookmark", {"next": post}, page=post)
    assert kept.url.endswith(post) and 'class="bookmark-button" aria-pressed="true"' in kept.text
    listed = browser.get("/bookmarks").text
    assert f'href="{post}"' in listed and 'class="badge new"' not in listed
    comment_as_member(site, post, "Something new")
    listed = browser.get("/bookmarks").text
    assert '<span class="badge new">1 new</span>' in listed
    home = browser.get("/").text                                                  # lists show it too
    assert re.search(rf'href="{post}">[^<]*</a> <span class="badge new">1 new</span>', home), home[:2000]
    thread = browser.get(post).text
    assert 'id="first-unread"' in thread and thread.index('id="first-unread"') < thread.index("Something new")
    assert 'id="first-unread"' not in browser.get(post).text                      # seen now
    assert 'class="badge new"' not in browser.get("/bookmarks").text
    dropped = browser.submit(f"{post}/unbookmark", {"next": post}, page=post)
    assert 'class="bookmark-button" aria-pressed="false"' in dropped.text
    assert f'href="{post}"' not in browser.get("/bookmarks").text
    question = ask(browser, "Kept question " + secrets.token_hex(3))
    browser.submit(f"{question}/bookmark", {"next": question}, page=question)
    assert f'href="{question}"' in browser.get("/bookmarks").text
    assert Browser(site.base_url).get("/bookmarks", allow_redirects=False).status_code == 302   # to /login


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_bookmark_a_post_and_see_what_is_new_in_chromium(site: Server, chromium: Any) -> None:
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "keeper" + secrets.token_hex(3)
    user.open("/register")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    user.open("/groups/new")
    user.fill("#group-form", name=f"Kept by {name}", category="testing", description="")
    user.press("#new-post")
    title = "Worth keeping " + secrets.token_hex(3)
    user.fill("#post-form", title=title, content="Read me later")
    post = urlsplit(user.driver.current_url).path
    user.press("#post .bookmark-button")
    assert user.text("#post .bookmark-button") == "Remove bookmark"
    user.press("#nav-bookmarks")
    assert user.text("h1") == "Bookmarks" and user.text("#bookmarks a.title") == title
    comment_as_member(site, post, "A reply while you were away")
    user.press("#nav-bookmarks")
    assert user.text("#bookmarks .badge.new") == "1 new"
    user.press("#bookmarks a.title")
    assert user.find("#first-unread").is_displayed()
    assert "A reply while you were away" in user.text("#comments")


# --------------------------------------------------------------------------- the editors: preview, images


def png_file(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_every_editor_has_its_tabs_and_image_button(site: Server, browser: Browser) -> None:
    browser.register()
    post = new_post(browser)
    for path in ("/questions/new", post, f"{post}/edit"):      # the new post page: the Chromium walk
        page = browser.get(path).text
        assert '<div class="editor" id="f-content-editor" data-for="f-content"' in page, path
        assert 'id="f-content-preview-tab"' in page and 'id="f-content-image"' in page, path
        assert "/editor.js" in page and 'hidden>' in page, path                  # shown by the script only


def test_the_editor_script_uploads_and_previews_with_the_session(site: Server, browser: Browser) -> None:
    anonymous = Browser(site.base_url)
    assert anonymous.submit("/editor/preview", {"content": "x"}).status_code == 401
    browser.register()
    token = browser.token("/questions/new")
    forged = browser.http.post(site.base_url + "/editor/preview", data={"content": "x"}, timeout=10)
    assert forged.status_code == 403
    assert forged.headers["Content-Type"] == "application/problem+json", site.flavour   # the script reads it
    assert forged.json()["status"] == 403
    preview = browser.http.post(site.base_url + "/editor/preview", timeout=10, data={
        "_xsrf": token, "content": "| a |\n|---|\n| <script>x</script> |\n\n![i](https://evil.example/i.png)"})
    assert preview.status_code == 200 and preview.headers["Content-Type"].startswith("application/json")
    html = preview.json()["html"]
    assert "<table>" in html and "<script" not in html and "evil.example" not in html
    upload = browser.http.post(site.base_url + "/editor/upload", data={"_xsrf": token}, timeout=10,
                               files={"file": ("x.png", png_file(), "image/png")})
    assert upload.status_code == 201, upload.text[:300]
    image = upload.json()
    assert image["url"].startswith("/media/") and (image["width"], image["height"]) == (40, 30)
    assert browser.get(image["url"]).content[:8] == b"\x89PNG\r\n\x1a\n"
    refused = browser.http.post(site.base_url + "/editor/upload", data={"_xsrf": token}, timeout=10,
                                files={"file": ("x.png", b"not an image", "image/png")})
    assert refused.status_code == 415 and refused.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_write_preview_and_publish_a_post_with_an_image_in_chromium(site: Server, chromium: Any,
                                                                    tmp_path: Path) -> None:
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    name = "writer" + secrets.token_hex(3)
    user.open("/register")
    user.fill("#register-form", username=name, email=f"{name}@example.com", password=PASSWORD)
    user.open("/groups/new")
    user.fill("#group-form", name=f"Pictures of {name}", category="testing", description="")
    user.press("#new-post")
    wait = WebDriverWait(chromium, 15)
    wait.until(lambda _: user.find("#f-content-editor").is_displayed())   # the script showed the bar
    user.find("#post-form [name=title]").send_keys("A table, some code and a picture")
    user.find("#f-content").send_keys("| fruit | count |\n|---|---|\n| apple | 3 |\n\n```python\nprint('hi')\n```\n")
    picture = tmp_path / "picture.png"
    picture.write_bytes(png_file((40, 30)))
    user.find("#f-content-image").send_keys(str(picture))
    wait.until(lambda _: "![](/media/" in (user.find("#f-content").get_attribute("value") or ""))

    user.find("#f-content-preview-tab").click()
    wait.until(lambda _: chromium.find_elements(By.CSS_SELECTOR, "#f-content-preview img"))
    assert not user.find("#f-content").is_displayed()
    assert user.text("#f-content-preview td") == "apple"
    assert "print" in user.text("#f-content-preview pre")
    user.find("#f-content-write").click()
    assert user.find("#f-content").is_displayed()

    user.press("#post-form button[type=submit]")
    image = user.find("#post .content img")
    assert (image.get_attribute("src") or "").startswith(site.base_url + "/media/")
    wait.until(lambda _: chromium.execute_script("return arguments[0].naturalWidth", image) == 40)
    assert user.text("#post .content td") == "apple"
