"""``shared/storage/page_data.py`` on both databases (the page operations, the replies query), and the
framework-free helpers of ``shared/pages.py`` (forms, redirects, the Secure-cookie rule)."""

from __future__ import annotations

from typing import Any

from shared import pages
from shared.auth import Viewer
from shared.errors import Invalid
from shared.storage import comments, groups, page_data, posts, users
from shared.storage.drivers import BlockingDatabase
from shared.storage.runners import run_sync

ANYONE = Viewer()


def make_user(db: BlockingDatabase, name: str) -> Viewer:
    user = run_sync(db, users.register(ANYONE, {"username": name, "email": f"{name}@example.com",
                                                "password": "correct horse battery"}))
    return Viewer(user["id"])


def test_post_page_has_the_first_replies_of_each_comment_in_order(sync_db: BlockingDatabase) -> None:
    owner, other = make_user(sync_db, "owner"), make_user(sync_db, "other")
    group = run_sync(sync_db, groups.create_group(owner, {"name": "g", "category": "c"}))
    post = run_sync(sync_db, posts.create_post(owner, group["id"], {"title": "t", "content": "c"}))
    busy = run_sync(sync_db, comments.create_comment(owner, post["id"], {"content": "busy"}))
    quiet = run_sync(sync_db, comments.create_comment(owner, post["id"], {"content": "quiet"}))
    lonely = run_sync(sync_db, comments.create_comment(owner, post["id"], {"content": "lonely"}))
    made = [run_sync(sync_db, comments.create_comment(owner, post["id"], {"content": f"r{n}", "parent_id": busy["id"]}))
            for n in range(page_data.REPLIES_SHOWN + 2)]
    answer = run_sync(sync_db, comments.create_comment(owner, post["id"], {"content": "q", "parent_id": quiet["id"]}))
    run_sync(sync_db, comments.like_comment(other, made[1]["id"]))

    page: dict[str, Any] = run_sync(sync_db, page_data.post_page(other, post["id"], {}))
    by_id = {item["id"]: item for item in page["comments"]["items"]}
    assert [r["id"] for r in by_id[busy["id"]]["replies"]] == [r["id"] for r in made[:page_data.REPLIES_SHOWN]]
    assert [r["id"] for r in by_id[quiet["id"]]["replies"]] == [answer["id"]]
    assert by_id[lonely["id"]]["replies"] == []
    assert [r["liked"] for r in by_id[busy["id"]]["replies"][:2]] == [False, True]
    assert page["post"]["view_count"] == 1 and page["group"]["membership"] == "none"


def test_home_and_group_pages(sync_db: BlockingDatabase) -> None:
    owner, applicant = make_user(sync_db, "owner"), make_user(sync_db, "applicant")
    group = run_sync(sync_db, groups.create_group(owner, {"name": "g", "category": "c", "join_policy": "approval"}))
    run_sync(sync_db, posts.create_post(owner, group["id"], {"title": "hello", "content": "c"}))
    run_sync(sync_db, groups.apply(applicant, group["id"], {"reason": "please"}))
    home = run_sync(sync_db, page_data.home(ANYONE))
    assert [p["title"] for p in home["posts"]] == ["hello"] and [g["name"] for g in home["groups"]] == ["g"]
    assert run_sync(sync_db, page_data.group_page(applicant, group["id"], {}))["applications"] == []
    seen = run_sync(sync_db, page_data.group_page(owner, group["id"], {}))
    assert [a["reason"] for a in seen["applications"]] == ["please"]


def test_visitor_without_or_with_an_unknown_session_is_anonymous(sync_db: BlockingDatabase) -> None:
    for cookie in (None, "", "nope", "x" * 500):
        assert run_sync(sync_db, page_data.visitor(cookie))["user"] is None


def test_form_body_maps_forms_to_api_bodies() -> None:
    assert pages.form_body("reply", {"content": "hi", "parent_id": ""}) == {"content": "hi"}
    assert pages.form_body("reply", {"content": "hi", "parent_id": "12"}) == {"content": "hi", "parent_id": 12}
    assert pages.form_body("reply", {"content": "hi", "parent_id": "x"})["parent_id"] == "x"   # 422 later
    assert pages.form_body("login", {"login": "a", "extra": "ignored"}) == {"login": "a", "password": ""}


def test_form_state_and_local_paths() -> None:
    state = pages.form_state(Invalid.one("title", "too long"), {"title": "t" * 200})
    assert state["errors"] == {"title": "too long"} and state["values"]["title"] == "t" * 200
    assert pages.local_path("/posts/1#comment-2", "/") == "/posts/1#comment-2"
    for bad in ("//evil.example/", "/\\evil.example", "https://evil.example/", "", "/\nx"):
        assert pages.local_path(bad, "/") == "/"


def test_cookies_are_secure_when_the_browser_came_over_https() -> None:
    assert not pages.cookie_is_secure("http", None, from_trusted_proxy=False)     # plain HTTP
    assert pages.cookie_is_secure("https", None, from_trusted_proxy=False)        # the server speaks TLS itself
    assert pages.cookie_is_secure("http", "https", from_trusted_proxy=True)       # nginx says the browser used TLS
    assert pages.cookie_is_secure("http", " HTTPS ", from_trusted_proxy=True)
    assert not pages.cookie_is_secure("http", "http", from_trusted_proxy=True)    # nginx's word, either way
    assert not pages.cookie_is_secure("http", "https", from_trusted_proxy=False)  # anyone can send the header


def test_pager_links_go_older_and_back_newer() -> None:
    first = pages.pager_links("/groups", {"category": "c"}, "C1")
    assert first == {"older": "/groups?category=c&cursor=C1&prev=", "newer": None}
    second = pages.pager_links("/groups", {"category": "c", "cursor": "C1", "prev": ""}, "C2")
    assert second == {"older": "/groups?category=c&cursor=C2&prev=.C1", "newer": "/groups?category=c"}
    third = pages.pager_links("/groups", {"category": "c", "cursor": "C2", "prev": ".C1"}, None)
    assert third == {"older": None, "newer": "/groups?category=c&cursor=C1&prev="}
    assert pages.pager_links("/q", {"cursor": "C9"}, None) == {"older": None, "newer": "/q"}   # no trail: the start
    deep = pages.pager_links("/q", {"cursor": "C30", "prev": ".".join(f"C{n}" for n in range(30))}, "C31")
    assert deep["older"] is not None and deep["older"].count("C") == pages.PREV_KEPT + 1
