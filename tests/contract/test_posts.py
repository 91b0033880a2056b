"""Posts in a group: who may post, reading counts views, editing, pinning, locking, deleting, likes, hot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import requests

from .client import POST_KEYS, SUMMARY_KEYS, field_errors, is_time, items, ok, problem


def test_members_post_and_everyone_reads(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, bob, title="  Hello  ", content="**bold** and `code`")
    assert set(post) == POST_KEYS, post
    assert post["title"] == "Hello" and post["content"] == "**bold** and `code`"
    assert "<strong>bold</strong>" in post["content_html"] and "<code>code</code>" in post["content_html"]
    assert post["group_id"] == group["id"] and set(post["author"]) == SUMMARY_KEYS
    assert post["author"]["id"] == bob["id"]
    assert (post["pinned"], post["locked"], post["liked"]) == (False, False, False)
    assert (post["view_count"], post["comment_count"], post["like_count"]) == (0, 0, 0)
    assert is_time(post["created_at"]) and is_time(post["updated_at"])
    assert ok(api.get(f"/groups/{group['id']}"))["post_count"] == 1
    assert ok(api.get(f"/posts/{post['id']}"))["title"] == "Hello"


def test_non_members_cannot_post(api, forum, make_user):
    alice, carol = make_user(), make_user()
    group = forum.group(alice)
    problem(api.post(f"/groups/{group['id']}/posts", user=carol, json={"title": "t", "content": "c"}), 403)
    problem(api.post(f"/groups/{group['id']}/posts", json={"title": "t", "content": "c"}), 401)
    problem(api.post("/groups/999999999/posts", user=carol, json={"title": "t", "content": "c"}), 404)


def test_post_field_limits(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    url = f"/groups/{group['id']}/posts"
    assert "title" in field_errors(api.post(url, user=alice, json={"title": "x" * 121, "content": "c"}))
    assert "title" in field_errors(api.post(url, user=alice, json={"title": "   ", "content": "c"}))
    assert "content" in field_errors(api.post(url, user=alice, json={"title": "t", "content": "x" * 20001}))
    assert "content" in field_errors(api.post(url, user=alice, json={"title": "t"}))
    ok(api.post(url, user=alice, json={"title": "x" * 120, "content": "x" * 20000}), 201)


def test_content_html_is_sanitised(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    content = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> '
               '[click](javascript:alert(3)) <a href="javascript:alert(4)">x</a>')
    post = forum.post(group, alice, content=content)
    assert post["content"] == content
    assert unsafe_markup(post["content_html"]) == [], post["content_html"]


class _Markup(HTMLParser):
    """Collects what a browser would run: script elements, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.unsafe: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed"):
            self.unsafe.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.unsafe.append(f"{tag} {name}={value}")


def unsafe_markup(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    return parser.unsafe


def test_reading_a_post_counts_one_view(api, forum, make_user):
    alice = make_user()
    post = forum.post(forum.group(alice), alice)
    first = ok(api.get(f"/posts/{post['id']}"))["view_count"]
    second = ok(api.get(f"/posts/{post['id']}"))["view_count"]
    assert second == first + 1


def test_only_the_author_edits(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, bob)
    problem(api.patch(f"/posts/{post['id']}", user=alice, json={"title": "owner edit"}), 403)
    problem(api.patch(f"/posts/{post['id']}", json={"title": "anon"}), 401)
    edited = ok(api.patch(f"/posts/{post['id']}", user=bob, json={"title": "New title", "content": "_new_"}))
    assert edited["title"] == "New title" and "<em>new</em>" in edited["content_html"]
    assert edited["updated_at"] >= post["updated_at"]
    assert "title" in field_errors(api.patch(f"/posts/{post['id']}", user=bob, json={"title": ""}))
    assert "group_id" in field_errors(api.patch(f"/posts/{post['id']}", user=bob, json={"group_id": 1}))


def test_only_the_group_owner_pins_and_locks(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, bob)
    problem(api.patch(f"/posts/{post['id']}", user=bob, json={"pinned": True}), 403)
    problem(api.patch(f"/posts/{post['id']}", user=bob, json={"locked": True}), 403)
    pinned = ok(api.patch(f"/posts/{post['id']}", user=alice, json={"pinned": True, "locked": True}))
    assert pinned["pinned"] is True and pinned["locked"] is True
    assert "pinned" in field_errors(api.patch(f"/posts/{post['id']}", user=alice, json={"pinned": "yes"}))


def test_pinned_posts_head_the_new_list(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    old = forum.post(group, alice)
    middle = forum.post(group, alice)
    new = forum.post(group, alice)
    ok(api.patch(f"/posts/{old['id']}", user=alice, json={"pinned": True}))
    listed = items(api.get(f"/groups/{group['id']}/posts", params={"sort": "new"}))
    assert [p["id"] for p in listed] == [old["id"], new["id"], middle["id"]]
    assert listed[0]["pinned"] is True
    assert [p["id"] for p in items(api.get(f"/groups/{group['id']}/posts"))] == [p["id"] for p in listed]


def test_locked_post_takes_no_comments(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, bob)
    ok(api.patch(f"/posts/{post['id']}", user=alice, json={"locked": True}))
    problem(api.post(f"/posts/{post['id']}/comments", user=bob, json={"content": "late"}), 409)
    ok(api.patch(f"/posts/{post['id']}", user=alice, json={"locked": False}))
    forum.comment(post, bob)


def test_hot_ranks_liked_and_discussed_posts_first(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    forum.join(group, carol)
    popular = forum.post(group, alice)
    quiet = forum.post(group, alice)
    for user in (alice, bob, carol):
        ok(api.put(f"/posts/{popular['id']}/like", user=user))
        forum.comment(popular, user)
    hot = items(api.get(f"/groups/{group['id']}/posts", params={"sort": "hot"}))
    assert [p["id"] for p in hot] == [popular["id"], quiet["id"]]
    new = items(api.get(f"/groups/{group['id']}/posts", params={"sort": "new"}))
    assert [p["id"] for p in new] == [quiet["id"], popular["id"]]
    problem(api.get(f"/groups/{group['id']}/posts", params={"sort": "best"}), 400)


def test_delete_by_author_or_group_owner(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    forum.join(group, carol)
    by_author, by_owner = forum.post(group, bob), forum.post(group, bob)
    problem(api.delete(f"/posts/{by_author['id']}", user=carol), 403)
    ok(api.delete(f"/posts/{by_author['id']}", user=bob), 204)
    problem(api.get(f"/posts/{by_author['id']}"), 404)
    problem(api.delete(f"/posts/{by_author['id']}", user=bob), 404)
    ok(api.delete(f"/posts/{by_owner['id']}", user=alice), 204)
    problem(api.get(f"/posts/{by_owner['id']}"), 404)
    assert items(api.get(f"/groups/{group['id']}/posts")) == []
    assert ok(api.get(f"/groups/{group['id']}"))["post_count"] == 0


def test_likes_are_idempotent_with_exact_counts(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    post = forum.post(group, alice)
    url = f"/posts/{post['id']}/like"
    assert ok(api.put(url, user=bob)) == {"liked": True, "like_count": 1}
    assert ok(api.put(url, user=bob)) == {"liked": True, "like_count": 1}
    assert ok(api.put(url, user=alice)) == {"liked": True, "like_count": 2}
    assert ok(api.get(f"/posts/{post['id']}", user=bob))["liked"] is True
    assert ok(api.get(f"/posts/{post['id']}"))["liked"] is False
    assert ok(api.delete(url, user=bob)) == {"liked": False, "like_count": 1}
    assert ok(api.delete(url, user=bob)) == {"liked": False, "like_count": 1}
    assert ok(api.get(f"/posts/{post['id']}", user=bob))["like_count"] == 1
    problem(api.put(url), 401)
    problem(api.put("/posts/999999999/like", user=bob), 404)


def test_a_like_notifies_the_author_once(api, forum, make_user):
    alice, bob = make_user(), make_user()
    post = forum.post(forum.group(alice), alice)
    ok(api.put(f"/posts/{post['id']}/like", user=bob))
    ok(api.put(f"/posts/{post['id']}/like", user=bob))
    likes = [n for n in forum.notifications(alice) if n["kind"] == "like"]
    assert len(likes) == 1
    assert likes[0]["actor"]["id"] == bob["id"] and likes[0]["target"] == {"type": "post", "id": post["id"]}


def test_group_posts_list_shapes(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    forum.post(group, alice)
    listed = items(api.get(f"/groups/{group['id']}/posts"))
    assert len(listed) == 1 and set(listed[0]) == POST_KEYS
    problem(api.get("/groups/999999999/posts"), 404)


def test_concurrent_likes_count_exactly(api, forum, make_user):
    alice = make_user()
    post = forum.post(forum.group(alice), alice)
    likers = [make_user() for _ in range(6)]

    def like_twice(user):
        with requests.Session() as http:   # one connection per client, as real clients have
            for _ in range(2):
                resp = http.put(f"{api.base_url}/api/v1/posts/{post['id']}/like", headers=user["headers"], timeout=30)
                assert resp.status_code == 200, resp.text

    with ThreadPoolExecutor(max_workers=len(likers)) as pool:
        list(pool.map(like_twice, likers))
    assert ok(api.get(f"/posts/{post['id']}"))["like_count"] == len(likers)
    assert len([n for n in forum.notifications(alice) if n["kind"] == "like"]) == len(likers)
