"""The pages of API.md §10 on every flavour: edit your own words and see the history; answer, accept and
vote; bookmarks and what is new since your last visit. Then Chromium does each of them, with no URL typed."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from tests.support.servers import Server

from .conftest import PASSWORD, Browser
from .test_browser import BOTH_APPS, User


def new_post(browser: Browser, title: str = "Original title", content: str = "First line\nsecond line") -> str:
    """A group of the browser's user with one post in it; the post's path."""
    group = browser.submit("/groups/new", {"name": "G " + secrets.token_hex(4), "category": "testing",
                                           "description": "", "join_policy": "open"}, page="/groups/new")
    group_path = group.url.removeprefix(browser.base_url)
    made = browser.submit(f"{group_path}/posts/new", {"title": title, "content": content}, page=f"{group_path}/posts/new")
    assert made.status_code == 200, made.text[:300]
    return made.url.removeprefix(browser.base_url)


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
    assert saved.url.endswith(post) and f'href="{post}/history"' in saved.text

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
    assert made.status_code == 200, made.text[:300]
    return made.url.removeprefix(browser.base_url)


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
    question_path = asker.driver.current_url.removeprefix(site.base_url)
    helper.open("/questions")
    helper.press(f"#questions a.title[href='{question_path}']")
    helper.fill("#answer-form", content="Like this")
    asker.open(question_path)
    asker.press("#answers .vote-up")
    assert asker.text("#answers .score") == "1"
    asker.press("#answers .accept-button")
    assert asker.text("h1 .badge.solved") == "solved"
    assert asker.text("#answers .badge.accepted") == "accepted"
