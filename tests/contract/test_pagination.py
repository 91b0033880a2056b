"""Lists: ?limit (1–100, default 20), opaque ?cursor, next_cursor null exactly at the end, keyset stability."""

from __future__ import annotations

import pytest

from .client import ok, problem


@pytest.fixture
def author_with_posts(forum, make_user):
    """A user with exactly four posts (newest first: ids[0] is the last one made)."""
    alice = make_user()
    group = forum.group(alice)
    ids = [forum.post(group, alice)["id"] for _ in range(4)]
    return alice, group, ids[::-1]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", ""])
def test_limit_out_of_bounds_is_400(api, limit):
    problem(api.get("/guestbook", params={"limit": limit}), 400)


@pytest.mark.parametrize("cursor", ["garbage", "AAAA", "eyJpZCI6MX0", "x" * 600, "%00"])
def test_a_cursor_the_server_did_not_make_is_400(api, cursor):
    problem(api.get("/guestbook", params={"cursor": cursor}), 400)


def test_limit_bounds_are_inclusive(api):
    for limit in ("1", "100"):
        ok(api.get("/guestbook", params={"limit": limit}))


def test_next_cursor_is_null_exactly_at_the_end(api, author_with_posts):
    alice, group, ids = author_with_posts
    url = f"/users/{alice['id']}/posts"
    whole = ok(api.get(url, params={"limit": 4}))
    assert [p["id"] for p in whole["items"]] == ids and whole["next_cursor"] is None

    first = ok(api.get(url, params={"limit": 2}))
    assert [p["id"] for p in first["items"]] == ids[:2] and isinstance(first["next_cursor"], str)
    second = ok(api.get(url, params={"limit": 2, "cursor": first["next_cursor"]}))
    assert [p["id"] for p in second["items"]] == ids[2:] and second["next_cursor"] is None

    three = ok(api.get(url, params={"limit": 3}))
    assert three["next_cursor"] is not None
    rest = ok(api.get(url, params={"limit": 3, "cursor": three["next_cursor"]}))
    assert [p["id"] for p in rest["items"]] == ids[3:] and rest["next_cursor"] is None


def test_default_limit_is_20(api, forum, make_user):
    alice = make_user()
    for _ in range(21 - len(forum.all_pages("/groups", limit=100))):
        forum.group(alice)
    body = ok(api.get("/groups"))
    assert len(body["items"]) == 20 and body["next_cursor"] is not None


def test_rows_added_while_paging_neither_repeat_nor_go_missing(api, forum, author_with_posts):
    alice, group, ids = author_with_posts
    url = f"/groups/{group['id']}/posts"
    first = ok(api.get(url, params={"limit": 2}))
    forum.post(group, alice)   # arrives at the head of the list while the client pages
    forum.post(group, alice)
    second = ok(api.get(url, params={"limit": 2, "cursor": first["next_cursor"]}))
    seen = [p["id"] for p in first["items"] + second["items"]]
    assert seen == ids and second["next_cursor"] is None


def test_a_deleted_row_does_not_break_the_next_page(api, forum, author_with_posts):
    alice, group, ids = author_with_posts
    url = f"/users/{alice['id']}/posts"
    first = ok(api.get(url, params={"limit": 2}))
    ok(api.delete(f"/posts/{ids[1]}", user=alice), 204)  # the very row the cursor points at
    second = ok(api.get(url, params={"limit": 2, "cursor": first["next_cursor"]}))
    assert [p["id"] for p in second["items"]] == ids[2:]


@pytest.mark.parametrize("path", ["/groups", "/questions", "/guestbook"])
def test_every_list_pages_to_its_end(forum, path):
    seen = forum.all_pages(path, limit=7)
    ids = [item["id"] for item in seen]
    assert len(ids) == len(set(ids))
