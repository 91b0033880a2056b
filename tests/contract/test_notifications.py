"""GET /notifications (?unread), GET /notifications/unread-count, POST /notifications/read."""

from __future__ import annotations

from .client import NOTIFICATION_KEYS, SUMMARY_KEYS, field_errors, is_time, items, ok, problem


def three_notifications(forum, make_user):
    """Alice's post gets a comment from each of three other members: three notifications, newest last."""
    alice = make_user()
    group = forum.group(alice)
    post = forum.post(group, alice)
    for _ in range(3):
        commenter = make_user()
        forum.join(group, commenter)
        forum.comment(post, commenter)
    return alice


def unread(api, user) -> int:
    body = ok(api.get("/notifications/unread-count", user=user))
    assert set(body) == {"count"}, body
    return body["count"]


def test_list_is_newest_first_with_the_contract_shape(api, forum, make_user):
    alice = three_notifications(forum, make_user)
    notes = forum.notifications(alice)
    assert len(notes) == 3
    assert [n["id"] for n in notes] == sorted((n["id"] for n in notes), reverse=True)
    for note in notes:
        assert set(note) == NOTIFICATION_KEYS, note
        assert note["kind"] == "comment" and note["read"] is False
        assert set(note["actor"]) == SUMMARY_KEYS and set(note["target"]) == {"type", "id"}
        assert isinstance(note["excerpt"], str) and is_time(note["created_at"])


def test_read_by_ids_then_all(api, forum, make_user):
    alice = three_notifications(forum, make_user)
    assert unread(api, alice) == 3
    newest = forum.notifications(alice)[0]
    ok(api.post("/notifications/read", user=alice, json={"ids": [newest["id"]]}), 204)
    assert unread(api, alice) == 2
    left = forum.notifications(alice, unread="true")
    assert len(left) == 2 and newest["id"] not in [n["id"] for n in left]
    assert [n["read"] for n in forum.notifications(alice)] == [True, False, False]
    ok(api.post("/notifications/read", user=alice, json={"all": True}), 204)
    assert unread(api, alice) == 0
    assert forum.notifications(alice, unread="true") == []


def test_reading_someone_elses_ids_changes_nothing(api, forum, make_user):
    alice = three_notifications(forum, make_user)
    mallory = make_user()
    ids = [n["id"] for n in forum.notifications(alice)]
    resp = api.post("/notifications/read", user=mallory, json={"ids": ids})
    assert resp.status_code in (204, 403, 404), resp.text
    assert unread(api, alice) == 3


def test_notifications_need_a_user_and_a_valid_body(api, make_user):
    alice = make_user()
    problem(api.get("/notifications"), 401)
    problem(api.get("/notifications/unread-count"), 401)
    problem(api.post("/notifications/read", json={"all": True}), 401)
    assert "ids" in field_errors(api.post("/notifications/read", user=alice, json={"ids": "all"}))
    problem(api.get("/notifications", user=alice, params={"unread": "perhaps"}), 400)
    assert items(api.get("/notifications", user=alice)) == []


def test_a_huge_id_list_is_refused_not_crashed_on(api, make_user):
    alice = make_user()
    resp = api.post("/notifications/read", user=alice, json={"ids": list(range(1, 100_001))})
    assert resp.status_code in (413, 422), resp.text[:300]
    problem(resp, resp.status_code)
