"""Moderation from the pages (API.md §12): in Chromium on both apps, a user reports a comment, the group's
moderator hides it from the queue, its author sees the notice, the reporter is told, the admin sees the
audit entry. Then, in plain HTTP, the other buttons: restore, delete, bans, roles, group moderators."""

from __future__ import annotations

import re
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.servers import Server, run_forum

from .conftest import PASSWORD, Browser
from .test_browser import BOTH_APPS, User


def log_in(chromium: Any, site: Server, name: str) -> User:
    chromium.delete_all_cookies()
    user = User(chromium, site.base_url)
    user.open("/login")
    user.fill("#login-form", login=name, password=PASSWORD)
    assert user.text("#nav-user") == name
    return user


def forum_thread(site: Server) -> dict[str, Any]:
    """owner's open group; author posts and comments in it. Browsers and paths by role."""
    owner, author = Browser(site.base_url), Browser(site.base_url)
    names = {"owner": owner.register(), "author": author.register()}
    made = owner.submit("/groups/new", {"name": "mods " + names["owner"], "category": "c", "join_policy": "open"},
                        page="/groups/new")
    group = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]
    author.submit(group, {}, page=group)
    post = author.submit(group + "/posts/new", {"title": "Mind the gap", "content": "A post."},
                         page=group + "/posts/new")
    post_path = re.search(r"/posts/\d+(?=\?done=posted$)", post.url).group(0)  # type: ignore[union-attr]
    comment = author.submit(post_path, {"content": "You are all wrong"}, page=post_path)
    comment_id = re.search(r"#comment-(\d+)$", comment.url).group(1)  # type: ignore[union-attr]
    return {"owner": owner, "author": author, "names": names, "group": group, "post": post_path,
            "comment": comment_id}


def own_id(browser: Browser) -> str:
    """The signed-in user's id, from the navigation bar's link to their profile."""
    return re.search(r'id="nav-user" href="/users/(\d+)"', browser.get("/").text).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_a_report_is_resolved_from_the_queue(site: Server, chromium: Any) -> None:
    t = forum_thread(site)
    reporter, admin = Browser(site.base_url), Browser(site.base_url)
    reporter_name, admin_name = reporter.register(), admin.register()
    run_forum(site.database_url, "admin", "grant", admin_name, "admin")
    item = f"#comment-{t['comment']}"

    user = log_in(chromium, site, reporter_name)                       # a user reports the comment
    user.open(t["post"])
    user.find(f"{item} details.report summary").click()
    Select(user.find(f"{item} .report-form select[name=reason]")).select_by_value("abuse")
    user.fill(f"{item} .report-form", note="Rude to everyone")
    assert chromium.current_url.endswith(t["post"] + "?done=reported" + item)

    user = log_in(chromium, site, t["names"]["owner"])                  # the group's moderator: the queue
    user.open(t["group"])
    user.press("#group-moderation")
    assert "Rude to everyone" in user.text("#reports")
    Select(user.find("#reports .resolve-form select[name=resolution]")).select_by_value("hide")
    user.fill("#reports .resolve-form", note="Thanks for telling us")
    assert "No open reports." in user.text("#reports")
    assert "You are all wrong" in user.text("#hidden")

    assert "You are all wrong" not in reporter.get(t["post"]).text      # gone for everyone else
    user = log_in(chromium, site, t["names"]["author"])                 # its author sees the notice
    user.open(t["post"])
    assert "Hidden by a moderator" in user.text(f"{item} .hidden-notice")

    user = log_in(chromium, site, reporter_name)                       # the reporter is told
    user.open("/notifications")
    assert "resolved your report" in user.text("#notifications") and "Thanks for telling us" in user.text(
        "#notifications")

    user = log_in(chromium, site, admin_name)                          # the admin sees the audit entries
    user.press("#nav-admin")
    log = user.text("#audit-log")
    assert "resolve_report" in log and f"hide comment #{t['comment']}" in log
    assert chromium.find_elements(By.CSS_SELECTOR, "#stat-open_reports")
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-admin.png")


def test_the_other_buttons(site: Server) -> None:
    t = forum_thread(site)
    owner, author, post = t["owner"], t["author"], t["post"]
    admin, member = Browser(site.base_url), Browser(site.base_url)
    admin_name = admin.register()
    member.register()
    run_forum(site.database_url, "admin", "grant", admin_name, "admin")
    comment = f"/comments/{t['comment']}"

    hidden = owner.submit(comment + "/hide", {"reason": "noise", "next": post}, page=post)
    assert "Hidden by a moderator: noise" in hidden.text and "Restore" in hidden.text
    assert owner.get("/moderation").status_code == 200
    restored = owner.submit(comment + "/restore", {"next": post}, page=post)
    assert "Hidden by a moderator" not in restored.text
    assert author.submit(comment + "/hide", {"reason": "x", "next": post}, page=post).status_code == 403
    assert owner.get(comment).url.endswith(f"{post}#comment-{t['comment']}")

    member.submit(t["group"], {}, page=t["group"])                     # the owner names a moderator
    member_id = own_id(member)
    page = owner.submit(f"{t['group']}/moderators/{member_id}/add", {}, page=t["group"])
    assert "Remove moderator" in page.text
    banned = owner.submit(f"{t['group']}/bans", {"user_id": member_id, "reason": "spam", "until": ""}, page=t["group"])
    assert banned.status_code == 200
    queue = owner.get(f"/moderation?group_id={t['group'].rsplit('/', 1)[1]}")
    assert "spam" in queue.text and "this group" in queue.text

    profile = f"/users/{own_id(author)}"
    assert "Ban from the forum" in admin.get(profile).text and "Ban from the forum" not in owner.get(profile).text
    admin.submit(profile + "/ban", {"reason": "trolling", "until": ""}, page=profile)
    assert 'id="nav-user"' not in author.get("/").text                 # the session ended at once
    assert "trolling" in admin.get("/moderation").text
    admin.submit(profile + "/unban", {"next": "/moderation"}, page="/moderation")
    admin.submit(profile + "/role", {"role": "moderator"}, page=profile)
    assert 'id="nav-moderation"' in Browser(site.base_url).submit(
        "/login", {"login": t["names"]["author"], "password": PASSWORD}, page="/login").text
    assert "Audit log" in admin.get("/admin").text and owner.get("/admin").status_code == 403

    deleted = owner.submit(post + "/delete", {"next": t["group"]}, page=post)
    assert deleted.url.endswith(t["group"] + "?done=deleted") and "Mind the gap" not in deleted.text
