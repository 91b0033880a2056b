"""API.md §10, writing and reading: edits with history, accepted answers and votes, bookmarks and unread."""

from __future__ import annotations

from .client import ANSWER_KEYS, COMMENT_KEYS, REVISION_KEYS, field_errors, is_time, items, ok, problem

# --------------------------------------------------------------------------- edits with history


def test_editing_a_post_keeps_every_version(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    post = forum.post(group, alice, title="First title", content="First text")
    assert post["edited_at"] is None
    assert items(api.get(f"/posts/{post['id']}/revisions")) == []

    ok(api.patch(f"/posts/{post['id']}", user=alice, json={"content": "Second *text*"}))
    edited = ok(api.patch(f"/posts/{post['id']}", user=alice, json={"title": "Third title"}))
    assert is_time(edited["edited_at"]) and edited["title"] == "Third title"
    assert "<em>text</em>" in edited["content_html"]

    versions = items(api.get(f"/posts/{post['id']}/revisions"))
    assert all(set(v) == REVISION_KEYS for v in versions)
    assert [(v["title"], v["content"]) for v in versions] == [
        ("Third title", "Second *text*"), ("First title", "Second *text*"),
        ("First title", "First text")]
    assert all(v["editor"]["id"] == alice["id"] for v in versions)
    assert versions[-1]["created_at"] == post["created_at"]       # the original, as written


def test_pinning_is_not_an_edit(api, forum, make_user):
    alice = make_user()
    post = forum.post(forum.group(alice), alice)
    pinned = ok(api.patch(f"/posts/{post['id']}", user=alice, json={"pinned": True}))
    assert pinned["edited_at"] is None
    assert items(api.get(f"/posts/{post['id']}/revisions")) == []


def test_comments_are_edited_by_their_author_only(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, alice)
    comment = forum.comment(post, bob, content="Frist!")
    assert comment["edited_at"] is None
    problem(api.patch(f"/comments/{comment['id']}", json={"content": "x"}), 401)
    problem(api.patch(f"/comments/{comment['id']}", user=alice, json={"content": "mine now"}), 403)
    assert "content" in field_errors(api.patch(f"/comments/{comment['id']}", user=bob, json={"content": ""}))
    problem(api.patch("/comments/999999999", user=bob, json={"content": "x"}), 404)

    edited = ok(api.patch(f"/comments/{comment['id']}", user=bob, json={"content": "First, **sorry**"}))
    assert set(edited) == COMMENT_KEYS and is_time(edited["edited_at"])
    assert edited["content"] == "First, **sorry**" and "<strong>sorry</strong>" in edited["content_html"]
    listed = items(api.get(f"/posts/{post['id']}/comments"))
    assert listed[0]["content"] == "First, **sorry**" and listed[0]["edited_at"] == edited["edited_at"]
    versions = items(api.get(f"/comments/{comment['id']}/revisions"))
    assert [(v["title"], v["content"]) for v in versions] == [(None, "First, **sorry**"), (None, "Frist!")]


def test_answers_and_questions_keep_their_history(api, forum, make_user):
    alice, bob = make_user(), make_user()
    question = forum.question(alice, content="How?")
    answer = forum.answer(question, bob, content="Like this.")
    problem(api.patch(f"/answers/{answer['id']}", user=alice, json={"content": "No"}), 403)
    edited = ok(api.patch(f"/answers/{answer['id']}", user=bob, json={"content": "Like this, with `code`."}))
    assert set(edited) == ANSWER_KEYS and "<code>code</code>" in edited["content_html"]
    assert [v["content"] for v in items(api.get(f"/answers/{answer['id']}/revisions"))] == [
        "Like this, with `code`.", "Like this."]
    ok(api.patch(f"/questions/{question['id']}", user=alice, json={"content": "How, exactly?"}))
    assert [v["content"] for v in items(api.get(f"/questions/{question['id']}/revisions"))] == [
        "How, exactly?", "How?"]
    problem(api.get("/answers/999999999/revisions"), 404)


def test_edits_are_found_by_search_and_history_pages(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice)
    post = forum.post(group, alice)
    comment = forum.comment(post, alice, content="nothing to see")
    ok(api.patch(f"/comments/{comment['id']}", user=alice, json={"content": "zanzibarquokka appears"}))
    found = items(api.get("/search", params={"q": "zanzibarquokka", "type": "comment"}))
    assert [r["id"] for r in found] == [comment["id"]]
    for n in range(3):
        ok(api.patch(f"/comments/{comment['id']}", user=alice, json={"content": f"version {n}"}))
    versions = forum.all_pages(f"/comments/{comment['id']}/revisions", limit=2)
    assert [v["content"] for v in versions] == ["version 2", "version 1", "version 0", "zanzibarquokka appears",
                                                "nothing to see"]


def test_a_hidden_items_history_is_hidden_too(api, forum, make_user, server):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, alice)
    comment = forum.comment(post, bob)
    ok(api.patch(f"/comments/{comment['id']}", user=bob, json={"content": "edited"}))
    ok(api.post(f"/comments/{comment['id']}/hide", user=alice, json={"reason": "spam"}), 204)
    problem(api.get(f"/comments/{comment['id']}/revisions", user=carol), 404)
    assert len(items(api.get(f"/comments/{comment['id']}/revisions", user=bob))) == 2
    assert len(items(api.get(f"/comments/{comment['id']}/revisions", user=alice))) == 2
    ok(api.patch(f"/comments/{comment['id']}", user=bob, json={"content": "edited again"}))   # still its author's
    ok(api.delete(f"/comments/{comment['id']}", user=alice), 204)             # the group's owner may delete
    problem(api.get(f"/comments/{comment['id']}/revisions", user=bob), 404)
