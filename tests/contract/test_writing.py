"""API.md §10, writing and reading: edits with history, accepted answers and votes, bookmarks and unread."""

from __future__ import annotations

import io
from urllib.parse import urljoin

from PIL import Image

from .client import (
    ANSWER_KEYS,
    COMMENT_KEYS,
    REVISION_KEYS,
    describe,
    field_errors,
    is_time,
    items,
    ok,
    problem,
)
from .rawhttp import multipart, raw_request

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
    ok(api.post(f"/comments/{comment['id']}/restore", user=alice), 204)
    ok(api.post(f"/posts/{post['id']}/hide", user=alice, json={"reason": "spam"}), 204)      # its post hidden
    problem(api.get(f"/comments/{comment['id']}/revisions", user=carol), 404)
    assert len(items(api.get(f"/comments/{comment['id']}/revisions", user=alice))) == 3   # the post's author
    ok(api.delete(f"/comments/{comment['id']}", user=alice), 204)             # the group's owner may delete
    problem(api.get(f"/comments/{comment['id']}/revisions", user=bob), 404)


# --------------------------------------------------------------------------- answers: accept and vote


def test_the_asker_accepts_one_answer_and_it_comes_first(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    question = forum.question(alice)
    assert question["accepted_answer_id"] is None
    first, second = forum.answer(question, bob), forum.answer(question, carol)
    reply = forum.answer(question, alice, parent_id=first["id"])
    path = f"/questions/{question['id']}/accepted-answer"
    problem(api.put(path, user=bob, json={"answer_id": second["id"]}), 403)
    problem(api.put(path, json={"answer_id": second["id"]}), 401)
    assert "answer_id" in field_errors(api.put(path, user=alice, json={"answer_id": reply["id"]}))
    assert "answer_id" in field_errors(api.put(path, user=alice, json={"answer_id": "x"}))
    other = forum.answer(forum.question(bob), carol)
    assert "answer_id" in field_errors(api.put(path, user=alice, json={"answer_id": other["id"]}))

    accepted = ok(api.put(path, user=alice, json={"answer_id": second["id"]}))
    assert accepted["accepted_answer_id"] == second["id"]
    listed = items(api.get(f"/questions/{question['id']}/answers"))
    assert [(a["id"], a["accepted"]) for a in listed] == [(second["id"], True), (first["id"], False)]
    ok(api.put(path, user=alice, json={"answer_id": first["id"]}))        # another one: the first is unmarked
    assert [a["accepted"] for a in items(api.get(f"/questions/{question['id']}/answers"))] == [True, False]
    assert ok(api.delete(path, user=alice))["accepted_answer_id"] is None
    assert [a["id"] for a in items(api.get(f"/questions/{question['id']}/answers"))] == [first["id"], second["id"]]
    ok(api.put(path, user=alice, json={"answer_id": second["id"]}))
    ok(api.delete(f"/answers/{second['id']}", user=carol), 204)           # deleting it takes the mark away
    assert ok(api.get(f"/questions/{question['id']}"))["accepted_answer_id"] is None


def test_votes_move_the_score_and_the_order(api, forum, make_user):
    alice, bob, carol, dave = make_user(), make_user(), make_user(), make_user()
    question = forum.question(alice)
    older, newer = forum.answer(question, bob), forum.answer(question, carol)
    assert (older["score"], older["my_vote"], older["accepted"]) == (0, 0, False)
    problem(api.put(f"/answers/{older['id']}/vote", user=bob, json={"value": 1}), 403)       # not your own
    problem(api.put(f"/answers/{older['id']}/vote", json={"value": 1}), 401)
    assert "value" in field_errors(api.put(f"/answers/{older['id']}/vote", user=dave, json={"value": 2}))
    problem(api.put("/answers/999999999/vote", user=dave, json={"value": 1}), 404)

    assert ok(api.put(f"/answers/{newer['id']}/vote", user=dave, json={"value": 1})) == {"score": 1, "my_vote": 1}
    assert ok(api.put(f"/answers/{newer['id']}/vote", user=dave, json={"value": 1})) == {"score": 1, "my_vote": 1}
    assert ok(api.put(f"/answers/{newer['id']}/vote", user=alice, json={"value": 1})) == {"score": 2, "my_vote": 1}
    assert ok(api.put(f"/answers/{older['id']}/vote", user=dave, json={"value": -1})) == {"score": -1, "my_vote": -1}
    listed = items(api.get(f"/questions/{question['id']}/answers", user=dave))
    assert [(a["id"], a["score"], a["my_vote"]) for a in listed] == [(newer["id"], 2, 1), (older["id"], -1, -1)]
    assert ok(api.put(f"/answers/{newer['id']}/vote", user=dave, json={"value": -1})) == {"score": 0, "my_vote": -1}
    assert ok(api.delete(f"/answers/{newer['id']}/vote", user=dave)) == {"score": 1, "my_vote": 0}
    assert ok(api.delete(f"/answers/{newer['id']}/vote", user=dave)) == {"score": 1, "my_vote": 0}
    assert [a["my_vote"] for a in items(api.get(f"/questions/{question['id']}/answers"))] == [0, 0]   # anonymous


def test_ranked_answers_page_without_repeats(api, forum, make_user):
    alice, bob = make_user(), make_user()
    voters = [make_user() for _ in range(3)]
    question = forum.question(alice)
    made = [forum.answer(question, bob) for _ in range(5)]
    for n, answer in enumerate(made[:3]):                  # scores 1, 2, 3 for the first three
        for voter in voters[: n + 1]:
            ok(api.put(f"/answers/{answer['id']}/vote", user=voter, json={"value": 1}))
    ok(api.put(f"/questions/{question['id']}/accepted-answer", user=alice, json={"answer_id": made[4]["id"]}))
    seen = forum.all_pages(f"/questions/{question['id']}/answers", limit=2)
    assert [a["id"] for a in seen] == [made[4]["id"], made[2]["id"], made[1]["id"], made[0]["id"], made[3]["id"]]


def test_unanswered_questions(api, forum, make_user):
    alice, bob = make_user(), make_user()
    category = "unanswered" + bob["username"][-8:]
    answered, waiting = forum.question(alice, category=category), forum.question(alice, category=category)
    forum.answer(answered, bob)
    listed = items(api.get("/questions", params={"category": category, "unanswered": "true"}))
    assert [q["id"] for q in listed] == [waiting["id"]]
    assert len(items(api.get("/questions", params={"category": category, "unanswered": "false"}))) == 2
    problem(api.get("/questions", params={"unanswered": "maybe"}), 400)


# --------------------------------------------------------------------------- views


def test_the_authors_own_visits_are_not_views(api, forum, make_user):
    alice, bob = make_user(), make_user()
    post = forum.post(forum.group(alice), alice)
    question = forum.question(alice)
    for path in (f"/posts/{post['id']}", f"/questions/{question['id']}"):
        assert ok(api.get(path, user=alice))["view_count"] == 0
        assert ok(api.get(path, user=bob))["view_count"] == 1
        assert ok(api.get(path))["view_count"] == 2
        assert ok(api.get(path, user=alice))["view_count"] == 2


# --------------------------------------------------------------------------- images in text, previews


def png_bytes(size: tuple[int, int] = (24, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_uploaded_image_is_served_and_shows_in_a_post(api, forum, make_user):
    alice = make_user()
    problem(api.post("/uploads", files={"file": ("a.png", png_bytes(), "image/png")}), 401)
    image = ok(api.post("/uploads", user=alice, files={"file": ("../mine.png", png_bytes(), "image/png")}), 201)
    assert set(image) == {"url", "width", "height"} and (image["width"], image["height"]) == (24, 16)
    assert image["url"].startswith("/media/") and "mine" not in image["url"] and ".." not in image["url"]
    served = api.http.get(urljoin(api.base_url + "/", image["url"]), timeout=30)
    assert served.status_code == 200 and served.headers.get("X-Content-Type-Options") == "nosniff", describe(served)
    assert Image.open(io.BytesIO(served.content)).size == (24, 16)
    post = forum.post(forum.group(alice), alice, content=f"Look: ![chart]({image['url']})")
    assert f'<img src="{image["url"]}" alt="chart"' in post["content_html"]


def test_uploads_follow_the_avatar_rules(api, make_user):
    alice = make_user()
    body, content_type = multipart("file", "big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024), "image/png")
    status, headers, text = raw_request(api.base_url, "POST", "/api/v1/uploads", body,
                                        {"Content-Type": content_type, "Authorization": f"Bearer {alice['token']}"})
    assert status == 413 and headers.get("content-type") == "application/problem+json", (status, text[:300])
    just_over = b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024)      # under the body limit, over the image's
    problem(api.post("/uploads", user=alice, files={"file": ("big.png", just_over, "image/png")}), 413)
    text_file = api.post("/uploads", user=alice, files={"file": ("notes.png", b"just some text\n" * 20, "image/png")})
    assert text_file.status_code in (415, 422), describe(text_file)
    problem(text_file, text_file.status_code)
    problem(api.post("/uploads", user=alice, files={"image": ("a.png", png_bytes(), "image/png")}), 422)


def test_uploads_are_rate_limited_per_user(api, make_user):
    alice, bob = make_user(), make_user()
    statuses = [api.post("/uploads", user=alice, files={"file": ("x.png", b"not an image", "image/png")}).status_code
                for _ in range(31)]
    assert statuses[:30] == [415] * 30 and statuses[30] == 429, statuses
    ok(api.post("/uploads", user=bob, files={"file": ("b.png", png_bytes(), "image/png")}), 201)


def test_a_preview_renders_as_a_post_would_and_sanitised(api, make_user):
    alice = make_user()
    problem(api.post("/markdown", json={"content": "hi"}), 401)
    hostile = ("| a |\n|---|\n| **b** |\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
               "![x](https://evil.example/x.png) ![y](/media/y.png)\n\n```python\nprint(1)\n```\n")
    html = ok(api.post("/markdown", user=alice, json={"content": hostile}))["html"]
    assert "<table>" in html and "<strong>b</strong>" in html and '<span class="nb">print</span>' in html
    assert "<script" not in html and "&lt;script&gt;" in html          # shown as text, never run
    assert 'href="javascript' not in html and "evil.example" not in html
    assert '<img src="/media/y.png"' in html
    assert ok(api.post("/markdown", user=alice, json={"content": ""})) == {"html": ""}
    assert "content" in field_errors(api.post("/markdown", user=alice, json={"content": "x" * 20001}))
    assert "content" in field_errors(api.post("/markdown", user=alice, json={}))


def test_a_mention_links_to_the_users_page(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    post = forum.post(group, alice, content=f"Hello @{bob['username']}, not `@{bob['username']}` nor a@b.org")
    link = f'<a href="/users/by-name/{bob["username"]}" class="mention" rel="nofollow noopener">@{bob["username"]}</a>'
    assert link in post["content_html"] and post["content_html"].count("/users/by-name/") == 1
    for name in (bob["username"], bob["username"].upper()):                  # any case, like the mention
        found = api.get(f"/users/by-name/{name}", site=True, allow_redirects=False)
        assert found.status_code == 302 and found.headers["Location"].endswith(f"/users/{bob['id']}"), found
    for name in ("nobody_here_at_all", "no", "a%3Cb%3E", "x" * 40):
        assert api.get(f"/users/by-name/{name}", site=True, allow_redirects=False).status_code == 404, name
