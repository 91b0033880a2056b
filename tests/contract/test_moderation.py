"""API.md §6: roles, group moderators, reports, hiding, bans, the audit log, leaving, statistics.

The first admin comes from the command line (``forum admin grant``), run against the server's
database as an operator would; everything else goes through the API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.servers import run_forum

from .client import SUMMARY_KEYS, USER_KEYS, field_errors, is_time, items, ok, problem

REPORT_KEYS = {"id", "target", "reason", "note", "reporter", "status", "resolution", "resolver", "created_at",
               "resolved_at"}
AUDIT_KEYS = {"id", "actor", "action", "target", "reason", "created_at"}
STATS_KEYS = {"users", "posts", "comments", "questions", "answers", "open_reports", "signups_7d", "posts_7d"}


def forum_command(server: Any, *args: str) -> str:
    """``forum ARGS`` against the server's database (the way an operator makes the first admin)."""
    return run_forum(server.database_url, *args)


@pytest.fixture
def staff(api, make_user):
    """``{"admin": user, "moderator": user}``: site roles given on the command line."""
    admin, moderator = make_user(), make_user()
    forum_command(api.server, "admin", "grant", admin["username"], "admin")
    forum_command(api.server, "admin", "grant", moderator["username"], "moderator")
    return {"admin": admin, "moderator": moderator}


def thread(forum, make_user):
    """A group owned by ``owner`` with ``member`` in it; member posts, ``commenter`` comments."""
    owner, member, commenter = make_user(), make_user(), make_user()
    group = forum.group(owner)
    forum.join(group, member)
    forum.join(group, commenter)
    post = forum.post(group, member)
    comment = forum.comment(post, commenter)
    return {"owner": owner, "member": member, "commenter": commenter, "group": group, "post": post,
            "comment": comment}


def audit_actions(api, admin, **params: Any) -> list[dict[str, Any]]:
    return items(api.get("/audit-log", user=admin, params={"limit": 100, **params}))


def in_the_future(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- roles ------------------------------------------------------------------------------------------

def test_the_command_line_makes_admins_who_grant_roles_over_the_api(api, make_user, staff):
    admin, someone = staff["admin"], make_user()
    assert ok(api.get(f"/users/{admin['id']}"))["role"] == "admin"
    assert ok(api.get(f"/users/{someone['id']}"))["role"] == "member"
    assert admin["username"] in forum_command(api.server, "admin", "list")
    problem(api.put(f"/users/{someone['id']}/role", user=someone, json={"role": "admin"}), 403)
    problem(api.put(f"/users/{someone['id']}/role", user=staff["moderator"], json={"role": "moderator"}), 403)
    granted = ok(api.put(f"/users/{someone['id']}/role", user=admin, json={"role": "moderator"}))
    assert set(granted) == USER_KEYS and granted["role"] == "moderator"
    assert "role" in field_errors(api.put(f"/users/{someone['id']}/role", user=admin, json={"role": "king"}))
    problem(api.put(f"/users/{admin['id']}/role", user=admin, json={"role": "member"}), 409)
    problem(api.put("/users/999999999/role", user=admin, json={"role": "member"}), 404)
    entries = audit_actions(api, admin, action="grant_role")
    mine = [e for e in entries if e["target"] == {"type": "user", "id": someone["id"]}]
    assert mine and mine[0]["actor"]["id"] == admin["id"] and mine[0]["reason"] == "moderator"
    forum_command(api.server, "admin", "revoke", someone["username"])
    assert ok(api.get(f"/users/{someone['id']}"))["role"] == "member"


def test_the_owner_names_group_moderators_among_members(api, forum, make_user):
    t = thread(forum, make_user)
    group, owner, member = t["group"], t["owner"], t["member"]
    outsider = make_user()
    url = f"/groups/{group['id']}/moderators"
    problem(api.put(f"{url}/{member['id']}", user=member), 403)
    problem(api.put(f"{url}/{outsider['id']}", user=owner), 409)
    ok(api.put(f"{url}/{member['id']}", user=owner), 204)
    ok(api.put(f"{url}/{member['id']}", user=owner), 204)                     # idempotent
    roles = {m["user"]["id"]: m["role"] for m in items(api.get(f"/groups/{group['id']}/members"))}
    assert roles[member["id"]] == "moderator" and roles[owner["id"]] == "owner"
    assert ok(api.get(f"/groups/{group['id']}", user=member))["membership"] == "moderator"
    ok(api.delete(f"{url}/{member['id']}", user=owner), 204)
    problem(api.delete(f"{url}/{member['id']}", user=owner), 404)


# -- hiding -----------------------------------------------------------------------------------------

def test_a_hidden_comment_leaves_lists_and_counts_and_comes_back_whole(api, forum, make_user):
    t = thread(forum, make_user)
    post, comment, owner, commenter = t["post"], t["comment"], t["owner"], t["commenter"]
    reader = make_user()
    liker = make_user()
    ok(api.put(f"/comments/{comment['id']}/like", user=liker))
    problem(api.post(f"/comments/{comment['id']}/hide", user=reader, json={"reason": "x"}), 403)
    assert "reason" in field_errors(api.post(f"/comments/{comment['id']}/hide", user=owner, json={}))
    ok(api.post(f"/comments/{comment['id']}/hide", user=owner, json={"reason": "rude"}), 204)
    problem(api.post(f"/comments/{comment['id']}/hide", user=owner, json={"reason": "rude"}), 409)

    assert items(api.get(f"/posts/{post['id']}/comments", user=reader)) == []
    assert items(api.get(f"/posts/{post['id']}/comments")) == []
    assert ok(api.get(f"/posts/{post['id']}"))["comment_count"] == 0
    for viewer in (commenter, owner):                 # its author and its moderator see it, marked
        seen = items(api.get(f"/posts/{post['id']}/comments", user=viewer))
        assert [c["id"] for c in seen] == [comment["id"]]
        assert seen[0]["hidden"] is True and seen[0]["hidden_reason"] == "rude"

    ok(api.post(f"/comments/{comment['id']}/restore", user=owner), 204)
    problem(api.post(f"/comments/{comment['id']}/restore", user=owner), 409)
    back = items(api.get(f"/posts/{post['id']}/comments", user=reader))
    assert back == [{**comment, "like_count": 1}]                              # whole, its like kept
    assert ok(api.get(f"/posts/{post['id']}"))["comment_count"] == 1


def test_a_hidden_post_is_404_but_to_its_author_and_moderators(api, forum, make_user, staff):
    t = thread(forum, make_user)
    post, group, member, owner = t["post"], t["group"], t["member"], t["owner"]
    ok(api.post(f"/posts/{post['id']}/hide", user=staff["moderator"], json={"reason": "spam"}), 204)
    problem(api.get(f"/posts/{post['id']}"), 404)
    problem(api.get(f"/posts/{post['id']}", user=t["commenter"]), 404)
    for viewer in (member, owner, staff["moderator"], staff["admin"]):
        seen = ok(api.get(f"/posts/{post['id']}", user=viewer))
        assert seen["hidden"] is True and seen["hidden_reason"] == "spam"
    assert items(api.get(f"/groups/{group['id']}/posts")) == []
    assert items(api.get(f"/users/{member['id']}/posts")) == []
    assert ok(api.get(f"/groups/{group['id']}"))["post_count"] == 0
    problem(api.post(f"/posts/{post['id']}/comments", user=t["commenter"], json={"content": "hi"}), 404)
    ok(api.post(f"/posts/{post['id']}/restore", user=owner), 204)
    assert ok(api.get(f"/groups/{group['id']}"))["post_count"] == 1
    assert "hidden" not in ok(api.get(f"/posts/{post['id']}"))


def test_a_hidden_posts_thread_and_its_notifications_go_with_it(api, forum, make_user, staff):
    t = thread(forum, make_user)
    post, comment, member, owner, commenter = t["post"], t["comment"], t["member"], t["owner"], t["commenter"]
    reply = forum.comment(post, member, content=f"thanks @{commenter['username']}", parent_id=comment["id"])
    excerpts = [n["excerpt"] for n in forum.notifications(member)]
    assert comment["content"] in " ".join(excerpts)
    ok(api.post(f"/comments/{comment['id']}/hide", user=owner, json={"reason": "leak"}), 204)
    assert comment["content"] not in " ".join(n["excerpt"] for n in forum.notifications(member))
    assert ok(api.get("/notifications/unread-count", user=member))["count"] == len(excerpts) - 1
    problem(api.get(f"/comments/{comment['id']}/replies", user=make_user()), 404)   # a hidden item's replies
    assert [r["id"] for r in items(api.get(f"/comments/{comment['id']}/replies", user=owner))] == [reply["id"]]
    ok(api.post(f"/comments/{comment['id']}/restore", user=owner), 204)
    assert [n["excerpt"] for n in forum.notifications(member)] == excerpts             # back, whole
    assert ok(api.get("/notifications/unread-count", user=member))["count"] == len(excerpts)

    ok(api.post(f"/posts/{post['id']}/hide", user=staff["moderator"], json={"reason": "spam"}), 204)
    for viewer in (None, commenter, make_user()):                                      # 404 to others ...
        problem(api.get(f"/posts/{post['id']}/comments", user=viewer), 404)
        problem(api.get(f"/comments/{comment['id']}/replies", user=viewer), 404)
    assert forum.notifications(commenter) == []                 # the reply that mentioned them is on it
    for viewer in (member, owner, staff["moderator"]):                                 # ... not to these
        assert [c["id"] for c in items(api.get(f"/posts/{post['id']}/comments", user=viewer))] == [comment["id"]]
        assert [r["id"] for r in items(api.get(f"/comments/{comment['id']}/replies", user=viewer))] == [reply["id"]]
    ok(api.post(f"/posts/{post['id']}/restore", user=owner), 204)
    assert [n["excerpt"] for n in forum.notifications(commenter)] != []


def test_questions_and_answers_are_moderated_by_site_staff_only(api, forum, make_user, staff):
    asker, answerer, group_owner = make_user(), make_user(), make_user()
    forum.group(group_owner)
    question = forum.question(asker)
    answer = forum.answer(question, answerer)
    problem(api.post(f"/answers/{answer['id']}/hide", user=group_owner, json={"reason": "x"}), 403)
    ok(api.post(f"/answers/{answer['id']}/hide", user=staff["moderator"], json={"reason": "wrong"}), 204)
    assert ok(api.get(f"/questions/{question['id']}"))["answer_count"] == 0
    assert items(api.get(f"/questions/{question['id']}/answers")) == []
    ok(api.post(f"/questions/{question['id']}/hide", user=staff["moderator"], json={"reason": "dup"}), 204)
    assert question["id"] not in [q["id"] for q in items(api.get("/questions", params={"limit": 100}))]
    problem(api.get(f"/questions/{question['id']}"), 404)
    problem(api.get(f"/questions/{question['id']}/answers", user=answerer), 404)     # its answers with it
    problem(api.get(f"/answers/{answer['id']}/replies"), 404)
    assert ok(api.get(f"/questions/{question['id']}", user=asker))["hidden"] is True
    assert items(api.get(f"/questions/{question['id']}/answers", user=asker)) == []   # the answer is hidden too
    ok(api.post(f"/questions/{question['id']}/restore", user=staff["admin"]), 204)
    ok(api.post(f"/answers/{answer['id']}/restore", user=staff["admin"]), 204)
    assert ok(api.get(f"/questions/{question['id']}"))["answer_count"] == 1


def test_moderators_delete_content_in_their_scope_and_it_is_audited(api, forum, make_user, staff):
    t = thread(forum, make_user)
    reply = forum.comment(t["post"], t["member"], parent_id=t["comment"]["id"])
    problem(api.delete(f"/comments/{reply['id']}", user=t["commenter"]), 403)
    ok(api.delete(f"/comments/{reply['id']}", user=t["owner"]), 204)
    ok(api.delete(f"/posts/{t['post']['id']}", user=staff["moderator"]), 204)
    deletes = audit_actions(api, staff["admin"], action="delete")
    targets = {(e["target"]["type"], e["target"]["id"]): e["actor"]["id"] for e in deletes}
    assert targets[("comment", reply["id"])] == t["owner"]["id"]
    assert targets[("post", t["post"]["id"])] == staff["moderator"]["id"]


# -- reports ----------------------------------------------------------------------------------------

def test_reports_are_queued_for_those_who_may_act_and_resolved_together(api, forum, make_user, staff):
    t = thread(forum, make_user)
    comment, owner = t["comment"], t["owner"]
    first, second, stranger = make_user(), make_user(), make_user()
    body = {"target": {"type": "comment", "id": comment["id"]}, "reason": "abuse", "note": "rude to me"}
    report = ok(api.post("/reports", user=first, json=body), 201)
    assert set(report) == REPORT_KEYS and report["status"] == "open" and report["resolution"] is None
    assert report["target"] == {"type": "comment", "id": comment["id"]} and set(report["reporter"]) == SUMMARY_KEYS
    assert is_time(report["created_at"]) and report["resolved_at"] is None and report["resolver"] is None
    problem(api.post("/reports", user=first, json=body), 409)
    ok(api.post("/reports", user=second, json={**body, "reason": "spam"}), 201)
    assert "reason" in field_errors(api.post("/reports", user=first, json={**body, "reason": "ugly"}))
    problem(api.post("/reports", user=first, json={**body, "target": {"type": "comment", "id": 999999999}}), 404)
    problem(api.post("/reports", json=body), 401)

    problem(api.get("/reports", user=stranger), 403)
    problem(api.get("/reports", user=stranger, params={"group_id": t["group"]["id"]}), 403)
    queue = [r["id"] for r in items(api.get("/reports", user=owner))]
    assert report["id"] in queue
    assert report["id"] in [r["id"] for r in items(api.get("/reports", user=staff["moderator"],
                                                           params={"limit": 100}))]
    problem(api.patch(f"/reports/{report['id']}", user=stranger, json={"resolution": "hide"}), 403)
    resolved = ok(api.patch(f"/reports/{report['id']}", user=owner, json={"resolution": "hide", "note": "thanks"}))
    assert resolved["status"] == "resolved" and resolved["resolution"] == "hide"
    assert resolved["resolver"]["id"] == owner["id"] and is_time(resolved["resolved_at"])
    problem(api.patch(f"/reports/{report['id']}", user=owner, json={"resolution": "dismiss"}), 409)
    assert items(api.get("/reports", user=owner)) == []                       # both resolved together
    assert len(items(api.get("/reports", user=owner, params={"status": "resolved"}))) == 2
    assert items(api.get(f"/posts/{t['post']['id']}/comments", user=stranger)) == []   # hidden
    for reporter in (first, second):
        notes = [n for n in forum.notifications(reporter) if n["kind"] == "report_resolved"]
        assert len(notes) == 1 and notes[0]["actor"]["id"] == owner["id"]


def test_a_report_can_ban_the_author(api, forum, make_user, staff):
    spammer, reporter = make_user(), make_user()
    question = forum.question(spammer)
    report = ok(api.post("/reports", user=reporter, json={"target": {"type": "question", "id": question["id"]},
                                                          "reason": "spam"}), 201)
    problem(api.patch(f"/reports/{report['id']}", user=staff["moderator"], json={"resolution": "nuke"}), 422)
    ok(api.patch(f"/reports/{report['id']}", user=staff["moderator"], json={"resolution": "ban_author"}))
    problem(api.get("/me", user=spammer), 401)
    login = problem(api.post("/auth/login", json={"login": spammer["username"], "password": spammer["password"]}),
                    403)
    assert "spam" in login["detail"] and "no end" in login["detail"]


# -- bans -------------------------------------------------------------------------------------------

def test_a_site_ban_stops_tokens_at_once_and_login_says_why_and_until_when(api, make_user, staff):
    """RELIABILITY 49: the token in use is refused on its very next request."""
    user, moderator = make_user(), staff["moderator"]
    ok(api.get("/me", user=user))
    problem(api.post(f"/users/{user['id']}/ban", user=user, json={"reason": "x"}), 403)
    problem(api.post(f"/users/{moderator['id']}/ban", user=moderator, json={"reason": "x"}), 409)
    problem(api.post(f"/users/{staff['admin']['id']}/ban", user=moderator, json={"reason": "x"}), 403)
    assert "until" in field_errors(api.post(f"/users/{user['id']}/ban", user=moderator,
                                            json={"reason": "x", "until": "2001-01-01T00:00:00Z"}))
    until = in_the_future(days=3)
    ok(api.post(f"/users/{user['id']}/ban", user=moderator, json={"reason": "flooding", "until": until}), 204)
    problem(api.get("/me", user=user), 401)
    detail = problem(api.post("/auth/login", json={"login": user["username"], "password": user["password"]}),
                     403)["detail"]
    assert "flooding" in detail and until in detail
    problem(api.post("/auth/login", json={"login": user["username"], "password": "not the password"}), 401)
    bans = items(api.get("/bans", user=moderator, params={"limit": 100}))
    assert any(b["user"]["id"] == user["id"] and b["until"] == until for b in bans)
    ok(api.delete(f"/users/{user['id']}/ban", user=moderator), 204)
    problem(api.delete(f"/users/{user['id']}/ban", user=moderator), 404)
    ok(api.post("/auth/login", json={"login": user["username"], "password": user["password"]}))
    assert {e["action"] for e in audit_actions(api, staff["admin"], actor_id=moderator["id"])} >= {"ban", "unban"}


def test_a_group_ban_removes_the_member_and_keeps_them_out(api, forum, make_user):
    t = thread(forum, make_user)
    group, owner, member = t["group"], t["owner"], t["member"]
    url = f"/groups/{group['id']}/bans"
    before = ok(api.get(f"/groups/{group['id']}"))["member_count"]
    problem(api.post(url, user=member, json={"user_id": t["commenter"]["id"], "reason": "x"}), 403)
    problem(api.post(url, user=owner, json={"user_id": owner["id"], "reason": "x"}), 409)
    ok(api.post(url, user=owner, json={"user_id": member["id"], "reason": "trolling"}), 204)
    assert ok(api.get(f"/groups/{group['id']}"))["member_count"] == before - 1
    refused = problem(api.post(f"/groups/{group['id']}/applications", user=member, json={"reason": "sorry"}), 403)
    assert "trolling" in refused["detail"]
    problem(api.post(f"/groups/{group['id']}/posts", user=member, json={"title": "t", "content": "c"}), 403)
    problem(api.post(f"/posts/{t['post']['id']}/comments", user=member, json={"content": "c"}), 403)
    assert [b["user"]["id"] for b in items(api.get(url, user=owner))] == [member["id"]]
    problem(api.get(url, user=t["commenter"]), 403)
    assert ok(api.get(f"/posts/{t['post']['id']}"))["author"]["id"] == member["id"]    # nothing deleted
    ok(api.delete(f"{url}/{member['id']}", user=owner), 204)
    forum.join(group, member)
    entries = audit_actions_of_group(api, owner, group)
    assert [e["action"] for e in entries][:2] == ["group_unban", "group_ban"]


def audit_actions_of_group(api, owner, group):
    return items(api.get("/audit-log", user=owner, params={"group_id": group["id"]}))


# -- the audit log ----------------------------------------------------------------------------------

def test_the_audit_log_is_for_admins_and_owners_and_cannot_be_changed(api, forum, make_user, staff):
    t = thread(forum, make_user)
    ok(api.post(f"/comments/{t['comment']['id']}/hide", user=t["owner"], json={"reason": "noise"}), 204)
    problem(api.get("/audit-log", user=t["owner"]), 403)
    problem(api.get("/audit-log", user=staff["moderator"]), 403)
    entry = audit_actions_of_group(api, t["owner"], t["group"])[0]
    assert set(entry) == AUDIT_KEYS and entry["action"] == "hide" and entry["reason"] == "noise"
    assert entry["target"] == {"type": "comment", "id": t["comment"]["id"]} and is_time(entry["created_at"])
    problem(api.get("/audit-log", user=t["member"], params={"group_id": t["group"]["id"]}), 403)
    assert entry in audit_actions(api, staff["admin"], action="hide")
    problem(api.get("/audit-log", user=staff["admin"], params={"action": "drop"}), 400)
    for method in ("put", "patch", "delete", "post"):
        problem(getattr(api, method)("/audit-log", user=staff["admin"], json={}), 405)


# -- accounts and statistics ------------------------------------------------------------------------

def test_leaving_erases_the_account_and_keeps_the_content(api, forum, make_user):
    t = thread(forum, make_user)
    member = t["member"]
    exported = ok(api.get("/me/export", user=member))
    assert exported["profile"]["email"] == member["email"]
    assert [p["id"] for p in exported["posts"]] == [t["post"]["id"]] and exported["groups"]
    assert "password" in field_errors(api.delete("/me", user=member, json={"password": "not it at all"}))
    ok(api.delete("/me", user=member, json={"password": member["password"]}), 204)
    problem(api.get("/me", user=member), 401)
    problem(api.get(f"/users/{member['id']}"), 404)
    assert ok(api.get(f"/posts/{t['post']['id']}"))["author"] is None
    problem(api.post("/auth/login", json={"login": member["username"], "password": member["password"]}), 401)


def test_statistics_are_for_admins(api, forum, make_user, staff):
    problem(api.get("/admin/stats", user=staff["moderator"]), 403)
    before = ok(api.get("/admin/stats", user=staff["admin"]))
    assert set(before) == STATS_KEYS and all(isinstance(v, int) for v in before.values())
    owner = make_user()
    forum.post(forum.group(owner), owner)
    after = ok(api.get("/admin/stats", user=staff["admin"]))
    assert after["users"] >= before["users"] + 1 and after["posts_7d"] >= before["posts_7d"] + 1
    assert after["signups_7d"] >= 1


def test_a_ban_closes_the_users_open_websocket(api, make_user, staff):
    """RELIABILITY 49: the socket in use ends at once, from whichever process holds it."""
    import websocket

    user = make_user()
    ws = websocket.create_connection(f"{api.server.notifications_url}?token={user['token']}", timeout=10)
    try:
        assert json.loads(ws.recv()) == {"type": "unread_count", "count": 0}
        ok(api.post(f"/users/{user['id']}/ban", user=staff["moderator"], json={"reason": "abuse"}), 204)
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1008
    finally:
        ws.close()
