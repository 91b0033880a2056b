"""Groups from the pages (API.md §12, issues #14 and #17): in Chromium on both apps, the owner reaches
/groups from the navigation, filters by category and by text, opens the group, sees its members, edits
its settings, uploads a cover, names a moderator, pins and locks a post and searches within the group;
a member leaves; a list is paged forward and back again."""

from __future__ import annotations

import io
import re
import secrets
from typing import Any

import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from tests.support.servers import Server

from .conftest import Browser
from .test_browser import BOTH_APPS
from .test_moderation_pages import log_in, own_id


def png(path: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 40, 40)).save(buffer, "PNG")
    with open(path, "wb") as file:
        file.write(buffer.getvalue())
    return path


@pytest.mark.parametrize("site", BOTH_APPS, indirect=True, ids=lambda t: f"{t[0]}:{t[1]}")
def test_an_owner_runs_a_group_from_the_pages(site: Server, chromium: Any, tmp_path: Any) -> None:
    owner, member = Browser(site.base_url), Browser(site.base_url)
    names = {"owner": owner.register(), "member": member.register()}
    tag = secrets.token_hex(3)
    category = "cat" + tag
    groups = {}
    for name in ("Alpha", "Beta"):                     # Alpha is the older of the two
        made = owner.submit("/groups/new", {"name": f"{name} {tag}", "category": category, "join_policy": "open"},
                            page="/groups/new")
        groups[name] = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]
    alpha = groups["Alpha"]
    member.submit(alpha, {}, page=alpha)
    post = owner.submit(alpha + "/posts/new", {"title": f"Findable {tag}", "content": "Pin me."},
                        page=alpha + "/posts/new")
    post_path = re.search(r"/posts/\d+(?=\?done=posted$)", post.url).group(0)  # type: ignore[union-attr]
    member_id = own_id(member)

    user = log_in(chromium, site, names["owner"])
    user.press("#nav-groups")                                     # /groups from the navigation, as HTML
    assert user.text("h1") == "Groups"
    user.fill("#group-filter", category=category)
    assert f"Alpha {tag}" in user.text("#groups") and f"Beta {tag}" in user.text("#groups")
    user.fill("#group-filter", q="Alpha")
    assert f"Alpha {tag}" in user.text("#groups") and f"Beta {tag}" not in user.text("#groups")
    user.press(f"#groups a[href='{alpha}']")

    user.press("#group-members")                                  # members with their roles
    members = user.text("#member-list")
    assert names["owner"] in members and "owner" in members and names["member"] in members
    user.press(".crumbs a")

    user.press("#group-settings")                                 # the owner's settings
    user.fill("#group-settings-form", description="Edited from the settings")
    assert user.driver.current_url.endswith(alpha + "?done=group_saved")
    assert user.text("p.flash[role=alert]") == "The group's settings are saved."
    assert user.text(".description") == "Edited from the settings"
    user.press("#group-settings")
    user.find("#f-cover").send_keys(png(str(tmp_path / "cover.png")))
    user.press("#upload-cover")
    assert user.find("#cover img.cover").get_attribute("src")
    user.press(f"#moderators #member-{member_id} .set-moderator")
    assert "moderator" in user.text(f"#moderators #member-{member_id} .role")

    user.open(post_path)                                          # pin and lock the post
    user.press("#pin-post")
    assert user.text("#post .badge.pinned") == "pinned"
    user.press("#lock-post")
    assert "locked" in user.text("#post .meta") and not chromium.find_elements(By.CSS_SELECTOR, "#comment-form")
    user.press(".crumbs a")
    assert user.find("#posts .summary .badge.pinned")

    user.fill("#group-search", q=f"Findable {tag}")               # search within the group
    assert "group_id=" in user.driver.current_url and f"Findable {tag}" in user.text("main")

    user.open(f"/groups?category={category}&limit=1")             # forward, then back
    assert f"Beta {tag}" in user.text("#groups")
    user.press("a[rel=next]")
    assert f"Alpha {tag}" in user.text("#groups") and not chromium.find_elements(By.CSS_SELECTOR, "a[rel=next]")
    user.press("a[rel=prev]")
    assert f"Beta {tag}" in user.text("#groups") and "cursor=" not in user.driver.current_url

    user = log_in(chromium, site, names["member"])                # a member leaves
    user.open(alpha)
    assert not chromium.find_elements(By.CSS_SELECTOR, "#group-settings")
    user.press("#leave-group")
    assert chromium.find_elements(By.CSS_SELECTOR, "#join")
    chromium.save_screenshot(f"/tmp/forum-pages-{site.flavour}-groups.png")


def test_group_pages_refuse_who_may_not(site: Server) -> None:
    """Over plain HTTP: the settings page is the owner's, the owner cannot leave, only the owner pins."""
    owner, other = Browser(site.base_url), Browser(site.base_url)
    owner.register()
    other.register()
    made = owner.submit("/groups/new", {"name": "Refusals " + secrets.token_hex(3), "category": "c",
                                        "join_policy": "open"}, page="/groups/new")
    group = re.search(r"/groups/\d+(?=\?done=group_created$)", made.url).group(0)  # type: ignore[union-attr]
    other.submit(group, {}, page=group)
    post = other.submit(group + "/posts/new", {"title": "Mine", "content": "x"}, page=group + "/posts/new")
    post_path = re.search(r"/posts/\d+(?=\?done=posted$)", post.url).group(0)  # type: ignore[union-attr]
    assert other.get(group + "/settings").status_code == 403
    assert owner.submit(group + "/leave", {}, page=group).status_code == 409
    assert other.submit(post_path + "/pin", {}, page=post_path).status_code == 403
    assert 'id="pin-post"' not in other.get(post_path).text and 'id="pin-post"' in owner.get(post_path).text
    bad = owner.submit(group + "/settings", {"name": "", "category": "c", "description": "", "join_policy": "open"},
                       page=group + "/settings")
    assert bad.status_code == 422 and 'id="f-name-error"' in bad.text
    assert owner.get("/groups?q=" + "x" * 300).status_code == 400


def test_a_profiles_lists_page_forward_and_back(site: Server) -> None:
    """The profile's headings open its lists in full (/users/{id}/groups ...), paged both ways."""
    person = Browser(site.base_url)
    person.register()
    tag = secrets.token_hex(3)
    for n in range(3):
        person.submit("/groups/new", {"name": f"Mine {n} {tag}", "category": "c", "join_policy": "open"},
                      page="/groups/new")
    profile = f"/users/{own_id(person)}"
    assert f'href="{profile}/groups"' in person.get(profile).text
    first = person.get(profile + "/groups?limit=2")
    assert f"Mine 2 {tag}" in first.text and 'rel="prev"' not in first.text
    older = re.search(r'<a rel="next" href="([^"]+)">', first.text).group(1)  # type: ignore[union-attr]
    second = person.get(older.replace("&amp;", "&"))
    assert f"Mine 0 {tag}" in second.text and f"Mine 2 {tag}" not in second.text and 'rel="next"' not in second.text
    newer = re.search(r'<a rel="prev" href="([^"]+)">', second.text).group(1)  # type: ignore[union-attr]
    back = person.get(newer.replace("&amp;", "&"))
    assert f"Mine 2 {tag}" in back.text and f"Mine 1 {tag}" in back.text and f"Mine 0 {tag}" not in back.text
    for kind in ("posts", "questions"):
        assert person.get(f"{profile}/{kind}").status_code == 200
    assert person.get("/users/999999/posts").status_code == 404
