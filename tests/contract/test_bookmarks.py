"""Bookmarks and unread (API.md §10): idempotent bookmarks, the list, unread counts on posts and questions."""

from __future__ import annotations

from .client import BOOKMARK_KEYS, is_time, items, ok, problem


def test_bookmarks_are_idempotent_and_listed_newest_first(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    post = forum.post(group, alice)
    question = forum.question(alice)
    for _ in range(2):
        ok(api.put(f"/posts/{post['id']}/bookmark", user=bob), 204)
    ok(api.put(f"/questions/{question['id']}/bookmark", user=bob), 204)
    listed = items(api.get("/me/bookmarks", user=bob))
    assert [(b["type"], b["id"]) for b in listed] == [("question", question["id"]), ("post", post["id"])]
    assert all(set(b) == BOOKMARK_KEYS for b in listed)
    assert listed[1]["title"] == post["title"] and listed[1]["group_id"] == group["id"]
    assert listed[0]["group_id"] is None and listed[0]["author"]["id"] == alice["id"]
    assert is_time(listed[0]["bookmarked_at"]) and listed[1]["unread"] == 0
    assert ok(api.get(f"/posts/{post['id']}", user=bob))["bookmarked"] is True
    assert ok(api.get(f"/posts/{post['id']}", user=alice))["bookmarked"] is False
    assert ok(api.get(f"/posts/{post['id']}"))["bookmarked"] is False
    assert [q["bookmarked"] for q in items(api.get(f"/users/{alice['id']}/questions", user=bob))] == [True]
    assert forum.all_pages("/me/bookmarks", limit=1, user=bob) == listed          # keyset pages
    for _ in range(2):
        ok(api.delete(f"/posts/{post['id']}/bookmark", user=bob), 204)
    assert [b["type"] for b in items(api.get("/me/bookmarks", user=bob))] == ["question"]
    assert items(api.get("/me/bookmarks", user=alice)) == []


def test_bookmark_refusals(api, forum, make_user):
    alice = make_user()
    post = forum.post(forum.group(alice), alice)
    problem(api.put(f"/posts/{post['id']}/bookmark"), 401)
    problem(api.delete(f"/questions/{post['id']}/bookmark"), 401)
    problem(api.get("/me/bookmarks"), 401)
    problem(api.put("/posts/999999999/bookmark", user=alice), 404)
    problem(api.delete("/questions/999999999/bookmark", user=alice), 404)
    problem(api.put("/questions/99999999999999999999/bookmark", user=alice), 404)


def test_a_hidden_target_is_left_out_and_cannot_be_bookmarked(api, forum, make_user):
    owner, reader = make_user(), make_user()
    group = forum.group(owner)
    post = forum.post(group, owner)
    ok(api.put(f"/posts/{post['id']}/bookmark", user=reader), 204)
    ok(api.post(f"/posts/{post['id']}/hide", user=owner, json={"reason": "spam"}), 204)
    assert items(api.get("/me/bookmarks", user=reader)) == []
    problem(api.put(f"/posts/{post['id']}/bookmark", user=reader), 404)
    ok(api.post(f"/posts/{post['id']}/restore", user=owner), 204)
    assert [b["id"] for b in items(api.get("/me/bookmarks", user=reader))] == [post["id"]]
    ok(api.delete(f"/posts/{post['id']}", user=owner), 204)
    assert items(api.get("/me/bookmarks", user=reader)) == []


def test_unread_comments_move_when_another_user_comments(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, alice)
    forum.comment(post, bob)
    assert ok(api.get(f"/posts/{post['id']}", user=alice))["unread_comments"] == 0   # never opened before
    forum.comment(post, bob)
    forum.comment(post, alice)                                                       # her own: not unread
    first = forum.comment(post, bob)
    forum.comment(post, bob, parent_id=first["id"])                                   # replies count too
    listed = items(api.get(f"/groups/{group['id']}/posts", user=alice))
    assert [p["unread_comments"] for p in listed] == [3]
    assert items(api.get(f"/groups/{group['id']}/posts"))[0]["unread_comments"] == 0  # anonymous
    assert items(api.get(f"/groups/{group['id']}/posts", user=bob))[0]["unread_comments"] == 0
    ok(api.put(f"/posts/{post['id']}/bookmark", user=alice), 204)
    assert items(api.get("/me/bookmarks", user=alice))[0]["unread"] == 3
    assert ok(api.get(f"/posts/{post['id']}", user=alice))["unread_comments"] == 3   # new until this visit
    assert ok(api.get(f"/posts/{post['id']}", user=alice))["unread_comments"] == 0
    assert items(api.get(f"/users/{alice['id']}/posts", user=alice))[0]["unread_comments"] == 0


def test_unread_answers_on_questions(api, forum, make_user):
    alice, bob = make_user(), make_user()
    question = forum.question(alice)
    ok(api.get(f"/questions/{question['id']}", user=alice))
    forum.answer(question, bob)
    forum.answer(question, bob)
    listed = items(api.get(f"/users/{alice['id']}/questions", user=alice))
    assert [(q["unread_answers"], q["bookmarked"]) for q in listed] == [(2, False)]
    assert ok(api.get(f"/questions/{question['id']}", user=alice))["unread_answers"] == 2
    assert ok(api.get(f"/questions/{question['id']}", user=alice))["unread_answers"] == 0
