"""The HTML pages over real sockets, in plain HTTP: every flavour answers the same pages, safely."""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import urlsplit

import pytest
import requests

from shared.pages import DONE, XSRF_FIELD, security_headers
from shared.storage.sessions import COOKIE_NAME
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

from .conftest import PASSWORD, TARGETS, Browser


def cookie_attributes(answer: requests.Response, name: str) -> set[str]:
    """The attributes (lower case, values dropped) of the ``Set-Cookie`` for ``name``, redirects included."""
    for step in [*answer.history, answer]:
        for value in step.raw.headers.get_all("Set-Cookie") or []:
            if value.startswith(name + "="):
                return {part.split("=", 1)[0].strip().lower() for part in value.split(";")[1:]}
    raise AssertionError(f"no {name} cookie was set")


def test_pages_answer_html_with_security_headers(site: Server, browser: Browser) -> None:
    # gunicorn's pages may also connect to the notifier beside it (its own port): only there
    notifier_port = urlsplit(site.notifications_url).port
    live_port = 0 if notifier_port == urlsplit(site.base_url).port else notifier_port
    browser.register()
    for path in ("/", "/login", "/register", "/questions", "/guestbook", "/notifications", "/groups/new",
                 "/questions/new", "/users/1"):
        answer = browser.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith("text/html"), path
        for name, value in security_headers(live_port or 0).items():
            assert answer.headers[name] == value, (path, name)
    css = browser.get("/static/forum.css")
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]


def test_missing_things_get_html_error_pages(browser: Browser) -> None:
    for path in ("/posts/99999", "/groups/99999", "/questions/99999", "/users/99999"):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"].startswith("text/html")
        assert "Page not found" in answer.text
    assert browser.get("/questions?cursor=junk").status_code == 400
    # A query value that is not UTF-8 is Tornado's bare 400 page on every flavour (no detail).
    undecodable = browser.get("/questions?category=%ff")
    assert undecodable.status_code == 400 and '<p class="error-status">Error 400</p>' in undecodable.text
    # The API keeps problem+json.
    assert browser.get("/api/v1/posts/99999").headers["Content-Type"].startswith("application/problem+json")


def test_login_cookie_is_httponly_lax_new_each_time_and_dies_at_logout(site: Server, browser: Browser) -> None:
    name = browser.register()
    first = browser.http.cookies[COOKIE_NAME]
    second_browser = Browser(site.base_url)
    login = second_browser.submit("/login", {"login": name, "password": PASSWORD}, page="/login")
    assert login.status_code == 200 and 'id="nav-user"' in login.text
    assert cookie_attributes(login, COOKIE_NAME) >= {"httponly", "samesite"}
    assert "secure" not in cookie_attributes(login, COOKIE_NAME)   # plain HTTP here
    assert second_browser.http.cookies[COOKIE_NAME] != first   # a new session at every login

    # A cookie alone is no credential for the API (it reads bearer tokens only).
    assert requests.get(site.base_url + "/api/v1/me", cookies={COOKIE_NAME: first}, timeout=10).status_code == 401

    old = dict(browser.http.cookies)
    assert browser.submit("/logout", {}, page="/").status_code == 200
    replay = requests.get(site.base_url + "/notifications", cookies=old, timeout=10, allow_redirects=False)
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    assert 'id="nav-login"' in requests.get(site.base_url + "/", cookies=old, timeout=10).text


def test_cookies_are_secure_when_a_trusted_proxy_says_https(site: Server) -> None:
    """One rule on every flavour (shared.pages.cookie_is_secure): plain HTTP, no Secure; nginx on
    loopback (a trusted proxy by default) saying the browser came over https, Secure."""
    plain = requests.get(site.base_url + "/guestbook", timeout=10)
    assert "secure" not in cookie_attributes(plain, XSRF_FIELD)
    proxied = requests.get(site.base_url + "/guestbook", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert "secure" in cookie_attributes(proxied, XSRF_FIELD)

    name = Browser(site.base_url).register()
    login = Browser(site.base_url).submit("/login", {"login": name, "password": PASSWORD}, page="/login",
                                          headers={"X-Forwarded-Proto": "https"})
    assert cookie_attributes(login, COOKIE_NAME) >= {"httponly", "samesite", "secure"}


@pytest.mark.parametrize("flavour", sorted({flavour for flavour, _ in TARGETS}))
def test_an_untrusted_peer_cannot_make_cookies_secure(flavour: str) -> None:
    """Anyone can send X-Forwarded-Proto: a server that trusts no proxy on loopback ignores it."""
    try:
        with fresh_database("sqlite", prefix="forum_pg_") as url, \
                running_server(flavour, url, extra_env={"FORUM_TRUSTED_PROXIES": "192.0.2.1"}) as server:
            proxied = requests.get(server.base_url + "/guestbook", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:sqlite server", exc)
    assert proxied.status_code == 200
    assert "secure" not in cookie_attributes(proxied, XSRF_FIELD)


def test_forms_need_the_xsrf_token(site: Server, browser: Browser) -> None:
    form = {"name": "Eve", "message": "no token"}
    assert requests.post(site.base_url + "/guestbook", data=form, timeout=10).status_code == 403
    browser.token()   # the browser now has the XSRF cookie, but sends a wrong token
    wrong = browser.http.post(site.base_url + "/guestbook", data={**form, "_xsrf": "wrong"}, timeout=10)
    assert wrong.status_code == 403 and wrong.headers["Content-Type"].startswith("text/html")
    assert browser.http.post(site.base_url + "/guestbook", data=form, timeout=10).status_code == 403
    signed = browser.submit("/guestbook", {**form, "message": "with token"})
    assert signed.status_code == 200 and "with token" in signed.text


def test_refused_forms_show_errors_and_keep_input(site: Server, browser: Browser) -> None:
    bad = browser.submit("/register", {"username": "x!", "email": "not-an-email", "password": "short"},
                         page="/register")
    assert bad.status_code == 422
    assert 'id="f-username-error"' in bad.text and 'value="x!"' in bad.text
    assert 'value="short"' not in bad.text   # a password is never sent back
    name = browser.register()
    taken = Browser(site.base_url).submit(
        "/register", {"username": name, "email": "other@example.com", "password": PASSWORD}, page="/register")
    assert taken.status_code == 409 and 'class="flash"' in taken.text
    wrong = Browser(site.base_url).submit("/login", {"login": name, "password": "wrong password"}, page="/login")
    assert wrong.status_code == 401 and 'class="flash"' in wrong.text


def test_group_with_approval_post_comment_reply_like(site: Server, browser: Browser) -> None:
    owner = browser.register()
    made = browser.submit("/groups/new", {"name": "club " + owner, "category": "c", "description": "d",
                                          "join_policy": "approval"}, page="/groups/new")
    assert made.status_code == 200
    group_path = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]

    member = Browser(site.base_url)
    member_name = member.register()
    assert member.get(group_path + "/posts/new").status_code == 200   # the form shows; posting is refused
    assert member.submit(group_path, {"reason": "let me in"}, page=group_path).status_code == 200
    assert "waiting for the owner" in member.get(group_path).text

    page = browser.get(group_path).text
    assert "let me in" in page and member_name in page
    application = re.search(r'action="(/groups/\d+/applications/\d+)"', page).group(1)  # type: ignore[union-attr]
    browser.submit(application, {"status": "approved"}, page=group_path)
    assert 'id="new-post"' in member.get(group_path).text

    post = member.submit(group_path + "/posts/new", {"title": "Hello", "content": "**hi** @" + owner},
                         page=group_path + "/posts/new")
    post_path = re.search(r"/posts/\d+(?=\?done=posted$)", post.url).group(0)  # type: ignore[union-attr]
    assert "<strong>hi</strong>" in post.text
    comment = browser.submit(post_path, {"content": "welcome"}, page=post_path)
    comment_id = re.search(r"#comment-(\d+)$", comment.url).group(1)  # type: ignore[union-attr]
    reply = member.submit(post_path, {"content": "thanks", "parent_id": comment_id}, page=post_path)
    assert reply.status_code == 200
    replies = re.search(rf'id="comment-{comment_id}".*?</article>', reply.text, re.S).group(0)  # type: ignore[union-attr]
    assert "thanks" in replies and 'class="item reply"' in replies
    bad_parent = member.submit(post_path, {"content": "x", "parent_id": "nope"}, page=post_path)
    assert bad_parent.status_code == 422 and 'class="flash"' in bad_parent.text

    liked = browser.submit(post_path + "/like", {"next": post_path}, page=post_path)
    assert liked.url.endswith(post_path) and 'aria-pressed="true"' in liked.text
    unliked = browser.submit(post_path + "/unlike", {"next": "//evil.example/"}, page=post_path, allow_redirects=False)
    assert unliked.status_code == 303 and unliked.headers["Location"] == "/"   # never an open redirect

    notes = member.get("/notifications").text
    assert "let you into" in notes and "commented on" in notes and 'class="notification unread"' in notes
    read = member.submit("/notifications", {}, page="/notifications")
    assert "notification unread" not in read.text and 'id="unread-count">0<' in read.text


def test_non_member_cannot_post(site: Server, browser: Browser) -> None:
    owner = browser.register()
    made = browser.submit("/groups/new", {"name": "solo " + owner, "category": "c", "join_policy": "open"},
                          page="/groups/new")
    group_path = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]
    stranger = Browser(site.base_url)
    stranger.register()
    refused = stranger.submit(group_path + "/posts/new", {"title": "t", "content": "c"}, page="/guestbook")
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith("text/html")
    assert 'id="join"' in stranger.get(group_path).text
    anonymous = requests.get(site.base_url + group_path + "/posts/new", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


def test_user_text_is_escaped(site: Server, browser: Browser) -> None:
    browser.register()
    asked = browser.submit("/questions/new", {"title": "<script>alert(1)</script>", "category": "<b>x</b>",
                                              "content": "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"},
                           page="/questions/new")
    assert asked.status_code == 200
    assert "<script>alert(1)</script>" not in asked.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in asked.text
    assert "<b>x</b>" not in asked.text
    content = asked.text.split('<div class="content">', 1)[1].split("</div>", 1)[0]
    assert 'href="javascript:' not in content and "<img" not in content   # inert text, no link, no tag


def test_older_link_pages_through_a_list(browser: Browser) -> None:
    browser.register()
    titles = [f"Question {n} {secrets.token_hex(3)}" for n in range(3)]
    for title in titles:
        browser.submit("/questions/new", {"title": title, "category": "paging", "content": "?"}, page="/questions/new")
    first = browser.get("/questions?limit=2&category=paging")
    older = re.search(r'<a rel="next" href="([^"]+)">Older →</a>', first.text)
    assert older and titles[2] in first.text and titles[0] not in first.text
    href = html.unescape(older.group(1))
    assert "limit=2" in href and "category=paging" in href and "cursor=" in href
    last = browser.get(href)
    assert titles[0] in last.text and titles[2] not in last.text and 'rel="next"' not in last.text


def test_head_is_not_served_on_pages(browser: Browser) -> None:
    assert browser.http.head(browser.base_url + "/", timeout=10).status_code == 405


@pytest.mark.parametrize("flavour", sorted({flavour for flavour, _ in TARGETS}))
def test_a_429_is_shown_on_the_form_with_the_wait_and_what_was_typed(flavour: str) -> None:
    """Over the guestbook's limit: the same page again, the time to wait on top, nothing typed lost."""
    try:
        with fresh_database("sqlite", prefix="forum_pg_") as url, \
                running_server(flavour, url, extra_env={"FORUM_LIMIT_GUESTBOOK": "1/600"}) as server:
            browser = Browser(server.base_url)
            first = browser.submit("/guestbook", {"name": "Ann", "email": "", "address": "", "message": "one"})
            typed = "second <b>words</b>, kept"
            over = browser.submit("/guestbook", {"name": "Ann", "email": "", "address": "", "message": typed})
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:sqlite server", exc)
    assert first.status_code == 200
    assert over.status_code == 429 and 0 < int(over.headers["Retry-After"]) <= 600
    assert re.search(r"try again in \d+ seconds", over.text)
    assert html.escape(typed) in over.text and 'name="message"' in over.text


def tiny_png() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_settings_profile_avatar_password_export_and_leaving(site: Server, browser: Browser) -> None:
    """Every /settings form runs its API operation and lands on a page confirming it (``?done=``)."""
    name = browser.register()
    saved = browser.submit("/settings/profile", {"nickname": "Walker <3", "bio": "Hello & bye"}, page="/settings")
    assert saved.url.endswith("/settings?done=profile") and "Your profile is saved." in saved.text
    assert 'value="Walker &lt;3"' in saved.text and "Hello &amp; bye</textarea>" in saved.text
    assert 'role="alert"' not in browser.get("/settings?done=anything-else").text   # only known keys speak

    token = browser.token("/settings")
    junk = browser.http.post(site.base_url + "/settings/avatar", data={"_xsrf": token},
                             files={"avatar": ("a.png", b"not an image", "image/png")}, timeout=10)
    assert junk.status_code == 415 and 'role="alert"' in junk.text and 'id="settings-avatar"' in junk.text
    uploaded = browser.http.post(site.base_url + "/settings/avatar", data={"_xsrf": token},
                                 files={"avatar": ("a.png", tiny_png(), "image/png")}, timeout=10)
    assert uploaded.url.endswith("/settings?done=avatar") and "Your new picture is in place." in uploaded.text
    avatar = re.search(r'id="current-avatar" src="([^"]+)"', uploaded.text).group(1)  # type: ignore[union-attr]
    assert browser.get(avatar).headers["Content-Type"] == "image/png"
    me = re.search(r'id="nav-user" href="(/users/\d+)"', uploaded.text).group(1)  # type: ignore[union-attr]
    assert f'<img class="avatar" src="{avatar}" alt="" width="24" height="24"><a class="user"' in browser.get(
        "/groups/new").text or avatar in browser.get(me).text

    wrong = browser.submit("/settings/password", {"old_password": "not it", "new_password": "a new password"},
                           page="/settings")
    assert wrong.status_code == 422 and 'id="f-old_password-error"' in wrong.text
    changed = browser.submit("/settings/password", {"old_password": PASSWORD, "new_password": "a new password 2"},
                             page="/settings")
    assert changed.url.endswith("/settings?done=password") and 'id="nav-user"' in changed.text   # still logged in
    again = Browser(site.base_url)
    assert again.submit("/login", {"login": name, "password": PASSWORD}, page="/login").status_code == 401
    assert 'id="nav-user"' in again.submit("/login", {"login": name, "password": "a new password 2"},
                                           page="/login").text
    assert 'id="nav-user"' in browser.get("/settings").text   # the new session of this browser still works

    export = browser.get("/settings/export")
    assert export.headers["Content-Type"] == "application/json; charset=utf-8"
    assert export.headers["Content-Disposition"] == 'attachment; filename="forum-export.json"'
    assert export.json()["profile"]["username"] == name and export.json()["profile"]["bio"] == "Hello & bye"

    unticked = browser.submit("/settings/delete", {"password": "a new password 2"}, page="/settings")
    assert unticked.status_code == 422 and 'id="f-confirm-error"' in unticked.text
    mistyped = browser.submit("/settings/delete", {"password": "nope nope", "confirm": "yes"}, page="/settings")
    assert mistyped.status_code == 422 and 'id="f-password-error"' in mistyped.text
    gone = browser.submit("/settings/delete", {"password": "a new password 2", "confirm": "yes"}, page="/settings")
    assert gone.url.endswith("/?done=account_deleted") and "Your account is deleted" in gone.text
    assert 'id="nav-login"' in gone.text and 'id="nav-login"' in again.get("/").text   # every session ended
    assert browser.get(me).status_code == 404


def test_authors_delete_their_own_content_in_two_steps(site: Server, browser: Browser) -> None:
    owner = browser.register()
    made = browser.submit("/groups/new", {"name": "own " + owner, "category": "c", "description": "d",
                                          "join_policy": "open"}, page="/groups/new")
    group_path = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]
    post = browser.submit(group_path + "/posts/new", {"title": "Mine", "content": "mine"}, page=group_path + "/posts/new")
    post_path = re.search(r"/posts/\d+(?=\?done=posted$)", post.url).group(0)  # type: ignore[union-attr]
    comment = browser.submit(post_path, {"content": "my comment"}, page=post_path)
    comment_id = re.search(r"#comment-(\d+)$", comment.url).group(1)  # type: ignore[union-attr]
    page = comment.text
    assert f'action="/comments/{comment_id}/delete"' in page and f'value="{post_path}?done=deleted"' in page

    other = Browser(site.base_url)
    other.register()
    assert 'class="own-delete"' not in other.get(post_path).text   # only the author has the button

    deleted = browser.submit(f"/comments/{comment_id}/delete", {"next": f"{post_path}?done=deleted"}, page=post_path)
    assert deleted.url.endswith(f"{post_path}?done=deleted") and "Deleted." in deleted.text
    assert "my comment" not in deleted.text
    gone = browser.submit(post_path + "/delete", {"next": f"{group_path}?done=deleted"}, page=post_path)
    assert gone.url.endswith(f"{group_path}?done=deleted") and browser.get(post_path).status_code == 404


def confirmed(answer: requests.Response, key: str) -> str:
    """The page a form landed on confirms what was done: its URL names the key (``?done=``, before any
    ``#fragment``), its flash says that key's message. The path it landed on."""
    landed = urlsplit(answer.url)
    assert answer.status_code == 200 and landed.query == f"done={key}", (answer.url, answer.text[:300])
    flash = re.findall(r'<p class="flash" role="alert">(.*?)</p>', answer.text)
    assert [html.unescape(text) for text in flash] == [str(DONE[key])], (key, flash)
    return landed.path


def test_every_action_is_confirmed_on_the_page_it_lands_on(site: Server) -> None:
    """Issue #17, a representative walk in plain HTTP: each form's redirect names a ``DONE`` key and the
    page shows its message once; a key the table does not have says nothing and is not echoed."""
    owner, member = Browser(site.base_url), Browser(site.base_url)
    name = "c" + secrets.token_hex(5)
    confirmed(owner.submit("/register", {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
                           page="/register"), "welcome")
    member_name = member.register()
    group = confirmed(owner.submit("/groups/new", {"name": "confirm " + name, "category": "c", "join_policy": "open"},
                                   page="/groups/new"), "group_created")
    confirmed(member.submit(group, {}, page=group), "joined")
    post = confirmed(member.submit(group + "/posts/new", {"title": "Said", "content": "done"},
                                   page=group + "/posts/new"), "posted")
    comment = owner.submit(post, {"content": "noted"}, page=post)
    assert confirmed(comment, "commented") == post and urlsplit(comment.url).fragment.startswith("comment-")
    item = "/comments/" + urlsplit(comment.url).fragment.removeprefix("comment-")
    reported = member.submit("/reports", {"target_type": "comment", "target_id": item.rsplit("/", 1)[1],
                                          "reason": "spam", "note": "", "next": f"{post}#{urlsplit(comment.url).fragment}"},
                             page=post)
    assert confirmed(reported, "reported") == post
    # a form on a page reached with ?done= (the moderation queue's "next" is the page itself): one key, the new one
    hidden = owner.submit(item + "/hide", {"reason": "noise", "next": f"{post}?done=reported"}, page=post)
    assert confirmed(hidden, "hidden") == post and "Hidden by a moderator: noise" in hidden.text
    member_id = re.search(r'id="nav-user" href="/users/(\d+)"', member.get("/").text).group(1)  # type: ignore[union-attr]
    banned = owner.submit(group + "/bans", {"user_id": member_id, "reason": "spam", "until": ""}, page=group)
    assert confirmed(banned, "banned") == group
    assert confirmed(member.submit("/guestbook", {"name": member_name, "email": "", "address": "",
                                                  "message": "Thanks"}), "signed") == "/guestbook"
    assert confirmed(owner.submit("/logout", {}, page="/"), "logged_out") == "/"
    again = owner.submit("/login", {"login": name, "password": PASSWORD, "next": post}, page="/login")
    assert confirmed(again, "logged_in") == post and 'id="nav-user"' in again.text

    for unknown in ("nope", "%3Cb%3Ebold%3C%2Fb%3E"):   # only the table's keys speak, and nothing is echoed
        page = owner.get(f"{post}?done={unknown}").text
        assert 'role="alert"' not in page and "<b>bold" not in page
