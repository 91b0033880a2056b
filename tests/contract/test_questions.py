"""Questions and answers: asking, listing, editing, deleting, answers, replies, likes, notifications."""

from __future__ import annotations

from .client import ANSWER_KEYS, QUESTION_KEYS, field_errors, is_time, items, ok, problem, unique


def test_ask_and_read(api, forum, make_user):
    alice = make_user()
    question = forum.question(alice, title="  Why is my *loop* blocked?  ", content="I call `time.sleep`.")
    assert set(question) == QUESTION_KEYS, question
    assert question["title"] == "Why is my *loop* blocked?" and question["author"]["id"] == alice["id"]
    assert "<code>time.sleep</code>" in question["content_html"]
    assert (question["view_count"], question["answer_count"]) == (0, 0)
    assert is_time(question["created_at"]) and is_time(question["updated_at"])
    first = ok(api.get(f"/questions/{question['id']}"))["view_count"]
    assert ok(api.get(f"/questions/{question['id']}"))["view_count"] == first + 1
    problem(api.get("/questions/999999999"), 404)


def test_asking_needs_a_user_and_valid_fields(api, make_user):
    alice = make_user()
    problem(api.post("/questions", json={"title": "t", "content": "c", "category": "python"}), 401)
    assert "title" in field_errors(api.post("/questions", user=alice,
                                            json={"title": "", "content": "c", "category": "python"}))
    assert "category" in field_errors(api.post("/questions", user=alice, json={"title": "t", "content": "c"}))


def test_question_list_filters_and_sorts(api, forum, make_user):
    alice, bob = make_user(), make_user()
    category = unique("qc")[:30]
    word = unique("Quokka")
    older = forum.question(alice, category=category, title=f"{word} older")
    newer = forum.question(alice, category=category, title=f"{word} newer")
    forum.question(alice, category="elsewhere")
    listed = items(api.get("/questions", params={"category": category}))
    assert [q["id"] for q in listed] == [newer["id"], older["id"]]
    assert all(set(q) == QUESTION_KEYS for q in listed)
    assert {q["id"] for q in items(api.get("/questions", params={"q": word}))} == {older["id"], newer["id"]}
    forum.answer(older, bob)
    forum.answer(older, alice)
    hot = items(api.get("/questions", params={"category": category, "sort": "hot"}))
    assert [q["id"] for q in hot] == [older["id"], newer["id"]]
    problem(api.get("/questions", params={"sort": "sideways"}), 400)


def test_only_the_author_edits_and_deletes(api, forum, make_user):
    alice, bob = make_user(), make_user()
    question = forum.question(alice)
    problem(api.patch(f"/questions/{question['id']}", user=bob, json={"title": "mine"}), 403)
    edited = ok(api.patch(f"/questions/{question['id']}", user=alice, json={"title": "Better title"}))
    assert edited["title"] == "Better title"
    problem(api.delete(f"/questions/{question['id']}", user=bob), 403)
    ok(api.delete(f"/questions/{question['id']}", user=alice), 204)
    problem(api.get(f"/questions/{question['id']}"), 404)
    problem(api.delete(f"/questions/{question['id']}", user=alice), 404)


def test_answers_replies_and_notifications(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    question = forum.question(alice)
    answer = forum.answer(question, bob, content="Use `asyncio.sleep`.")
    assert set(answer) == ANSWER_KEYS, answer
    assert answer["question_id"] == question["id"] and answer["parent_id"] is None
    assert "<code>asyncio.sleep</code>" in answer["content_html"]
    assert [n["kind"] for n in forum.notifications(alice)] == ["answer"]

    reply = forum.answer(question, carol, parent_id=answer["id"], reply_to_user_id=bob["id"])
    assert reply["parent_id"] == answer["id"] and reply["reply_to"]["id"] == bob["id"]
    assert [n["kind"] for n in forum.notifications(bob)] == ["reply"]
    assert [r["id"] for r in items(api.get(f"/answers/{answer['id']}/replies"))] == [reply["id"]]
    top = items(api.get(f"/questions/{question['id']}/answers"))
    assert [a["id"] for a in top] == [answer["id"]] and top[0]["reply_count"] == 1
    assert ok(api.get(f"/questions/{question['id']}"))["answer_count"] >= 1
    assert "parent_id" in field_errors(api.post(f"/questions/{question['id']}/answers", user=carol,
                                                json={"content": "x", "parent_id": reply["id"]}))
    problem(api.post(f"/questions/{question['id']}/answers", json={"content": "anon"}), 401)


def test_answer_likes_and_delete(api, forum, make_user):
    alice, bob = make_user(), make_user()
    answer = forum.answer(forum.question(alice), bob)
    url = f"/answers/{answer['id']}/like"
    assert ok(api.put(url, user=alice)) == {"liked": True, "like_count": 1}
    assert ok(api.put(url, user=alice)) == {"liked": True, "like_count": 1}
    assert ok(api.delete(url, user=alice)) == {"liked": False, "like_count": 0}
    problem(api.delete(f"/answers/{answer['id']}", user=alice), 403)
    ok(api.delete(f"/answers/{answer['id']}", user=bob), 204)
    problem(api.delete(f"/answers/{answer['id']}", user=bob), 404)
    problem(api.get("/answers/999999999/replies"), 404)
