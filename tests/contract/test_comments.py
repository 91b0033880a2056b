"""Comments and replies on posts, their likes, and the notifications they make."""

from __future__ import annotations

from .client import COMMENT_KEYS, field_errors, is_time, items, ok, problem


def setup_post(forum, make_user):
    """A group owned by alice with members bob and carol, and a post by alice."""
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    forum.join(group, carol)
    return alice, bob, carol, group, forum.post(group, alice)


def test_members_comment_oldest_first(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    first = forum.comment(post, bob, content="  First!  ")
    second = forum.comment(post, carol, content="*Second*")
    assert set(first) == COMMENT_KEYS, first
    assert first["content"] == "First!" and first["post_id"] == post["id"]
    assert first["parent_id"] is None and first["reply_to"] is None
    assert (first["like_count"], first["reply_count"], first["liked"]) == (0, 0, False)
    assert "<em>Second</em>" in second["content_html"] and is_time(first["created_at"])
    listed = items(api.get(f"/posts/{post['id']}/comments"))
    assert [c["id"] for c in listed] == [first["id"], second["id"]]
    assert ok(api.get(f"/posts/{post['id']}"))["comment_count"] == 2


def test_non_members_cannot_comment(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    dave = make_user()
    problem(api.post(f"/posts/{post['id']}/comments", user=dave, json={"content": "hi"}), 403)
    problem(api.post(f"/posts/{post['id']}/comments", json={"content": "hi"}), 401)
    problem(api.post("/posts/999999999/comments", user=bob, json={"content": "hi"}), 404)
    assert "content" in field_errors(api.post(f"/posts/{post['id']}/comments", user=bob, json={"content": " "}))


def test_replies_and_reply_counts(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    top = forum.comment(post, bob)
    reply = forum.comment(post, carol, parent_id=top["id"], reply_to_user_id=bob["id"])
    assert reply["parent_id"] == top["id"] and reply["reply_to"]["id"] == bob["id"]
    replies = items(api.get(f"/comments/{top['id']}/replies"))
    assert [r["id"] for r in replies] == [reply["id"]] and set(replies[0]) == COMMENT_KEYS
    assert [c["id"] for c in items(api.get(f"/posts/{post['id']}/comments"))] == [top["id"]]
    assert items(api.get(f"/posts/{post['id']}/comments"))[0]["reply_count"] == 1
    problem(api.get("/comments/999999999/replies"), 404)


def test_parent_must_be_a_top_level_comment_of_the_same_post(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    other_post = forum.post(group, alice)
    elsewhere = forum.comment(other_post, bob)
    top = forum.comment(post, bob)
    reply = forum.comment(post, carol, parent_id=top["id"])
    url = f"/posts/{post['id']}/comments"
    assert "parent_id" in field_errors(api.post(url, user=carol, json={"content": "x", "parent_id": elsewhere["id"]}))
    assert "parent_id" in field_errors(api.post(url, user=carol, json={"content": "x", "parent_id": reply["id"]}))
    assert "parent_id" in field_errors(api.post(url, user=carol, json={"content": "x", "parent_id": 999999999}))


def test_comment_notifies_the_post_author(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    comment = forum.comment(post, bob, content="Nice post")
    notes = [n for n in forum.notifications(alice) if n["kind"] == "comment"]
    assert len(notes) == 1 and notes[0]["actor"]["id"] == bob["id"]
    assert "Nice post" in notes[0]["excerpt"]
    assert notes[0]["target"]["type"] in ("post", "comment")
    assert notes[0]["target"]["id"] in (post["id"], comment["id"])


def test_reply_notifies_parent_author_and_reply_to_user(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    dave = make_user()
    forum.join(group, dave)
    top = forum.comment(post, bob)
    forum.comment(post, carol, parent_id=top["id"], reply_to_user_id=dave["id"])
    assert [n["kind"] for n in forum.notifications(bob)] == ["reply"]
    assert [n["kind"] for n in forum.notifications(dave)] == ["reply"]
    assert forum.notifications(carol) == []  # nobody is notified of their own words


def test_mention_notifies_the_user(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    forum.comment(post, bob, content=f"what do you think, @{carol['username']}?")
    mentions = [n for n in forum.notifications(carol) if n["kind"] == "mention"]
    assert len(mentions) == 1 and mentions[0]["actor"]["id"] == bob["id"]


def test_delete_comment_by_author(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    comment = forum.comment(post, bob)
    problem(api.delete(f"/comments/{comment['id']}", user=carol), 403)
    problem(api.delete(f"/comments/{comment['id']}"), 401)
    ok(api.delete(f"/comments/{comment['id']}", user=bob), 204)
    assert items(api.get(f"/posts/{post['id']}/comments")) == []
    assert ok(api.get(f"/posts/{post['id']}"))["comment_count"] == 0
    problem(api.delete(f"/comments/{comment['id']}", user=bob), 404)


def test_comment_likes(api, forum, make_user):
    alice, bob, carol, group, post = setup_post(forum, make_user)
    comment = forum.comment(post, bob)
    url = f"/comments/{comment['id']}/like"
    assert ok(api.put(url, user=carol)) == {"liked": True, "like_count": 1}
    assert ok(api.put(url, user=carol)) == {"liked": True, "like_count": 1}
    listed = items(api.get(f"/posts/{post['id']}/comments", user=carol))
    assert listed[0]["liked"] is True and listed[0]["like_count"] == 1
    assert items(api.get(f"/posts/{post['id']}/comments"))[0]["liked"] is False
    assert ok(api.delete(url, user=carol)) == {"liked": False, "like_count": 0}
    assert ok(api.delete(url, user=carol)) == {"liked": False, "like_count": 0}
    likes = [n for n in forum.notifications(bob) if n["kind"] == "like"]
    assert len(likes) == 1
    problem(api.put("/comments/999999999/like", user=carol), 404)
