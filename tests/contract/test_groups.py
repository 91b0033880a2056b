"""Groups: create, read, edit, cover, applications (open and approval), members, leaving."""

from __future__ import annotations

import io

from PIL import Image

from .client import (
    APPLICATION_KEYS,
    GROUP_KEYS,
    SUMMARY_KEYS,
    field_errors,
    is_time,
    items,
    ok,
    problem,
    unique,
)


def kinds(forum, user) -> list[str]:
    return [n["kind"] for n in forum.notifications(user)]


def test_create_group_makes_the_creator_its_owner(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice, name=unique("Rustaceans "), category="rust", description="All things Rust.")
    assert set(group) == GROUP_KEYS, group
    assert group["membership"] == "owner"
    assert group["member_count"] == 1 and group["post_count"] == 0
    assert set(group["owner"]) == SUMMARY_KEYS and group["owner"]["id"] == alice["id"]
    assert group["join_policy"] == "open" and group["category"] == "rust"
    assert group["cover_url"] is None and is_time(group["created_at"])

    members = items(api.get(f"/groups/{group['id']}/members"))
    assert [(m["user"]["id"], m["role"]) for m in members] == [(alice["id"], "owner")]
    assert set(members[0]) == {"user", "role", "joined_at"} and is_time(members[0]["joined_at"])


def test_membership_is_the_callers(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice, join_policy="approval")
    assert ok(api.get(f"/groups/{group['id']}"))["membership"] == "none"
    assert ok(api.get(f"/groups/{group['id']}", user=bob))["membership"] == "none"
    assert ok(api.get(f"/groups/{group['id']}", user=alice))["membership"] == "owner"
    ok(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "let me in"}), 201)
    assert ok(api.get(f"/groups/{group['id']}", user=bob))["membership"] == "pending"


def test_group_name_is_unique(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    problem(api.post("/groups", user=bob, json={"name": group["name"], "category": "python", "description": "",
                                                "join_policy": "open"}), 409)


def test_create_group_rules(api, make_user):
    alice = make_user()
    problem(api.post("/groups", json={"name": unique("g"), "category": "x", "description": "",
                                      "join_policy": "open"}), 401)
    resp = api.post("/groups", user=alice, json={"name": unique("g"), "category": "python", "description": "",
                                                 "join_policy": "sometimes"})
    assert "join_policy" in field_errors(resp)
    assert "name" in field_errors(api.post("/groups", user=alice, json={"name": "", "category": "python",
                                                                        "description": "", "join_policy": "open"}))


def test_open_group_join_is_approved_at_once(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    app = ok(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "hello"}), 201)
    assert set(app) == APPLICATION_KEYS, app
    assert app["status"] == "approved" and app["group_id"] == group["id"] and app["user"]["id"] == bob["id"]
    after = ok(api.get(f"/groups/{group['id']}", user=bob))
    assert after["membership"] == "member" and after["member_count"] == 2
    problem(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "again"}), 409)
    problem(api.post(f"/groups/{group['id']}/applications", user=alice, json={"reason": "mine"}), 409)
    roles = {m["user"]["id"]: m["role"] for m in items(api.get(f"/groups/{group['id']}/members"))}
    assert roles == {alice["id"]: "owner", bob["id"]: "member"}
    assert group["id"] in [g["id"] for g in items(api.get(f"/users/{bob['id']}/groups"))]


def test_approval_flow_notifies_owner_and_applicant(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice, join_policy="approval")
    app = ok(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "I know Python"}), 201)
    assert app["status"] == "pending" and app["reason"] == "I know Python"
    problem(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "again"}), 409)

    owner_notes = forum.notifications(alice)
    assert [n["kind"] for n in owner_notes] == ["application"]
    assert owner_notes[0]["actor"]["id"] == bob["id"]

    pending = items(api.get(f"/groups/{group['id']}/applications", user=alice, params={"status": "pending"}))
    assert [a["id"] for a in pending] == [app["id"]]
    problem(api.get(f"/groups/{group['id']}/applications", user=bob), 403)
    problem(api.patch(f"/groups/{group['id']}/applications/{app['id']}", user=bob,
                      json={"status": "approved"}), 403)

    decided = ok(api.patch(f"/groups/{group['id']}/applications/{app['id']}", user=alice,
                           json={"status": "approved"}))
    assert decided["status"] == "approved" and decided["id"] == app["id"]
    assert kinds(forum, bob) == ["approved"]
    assert ok(api.get(f"/groups/{group['id']}", user=bob))["membership"] == "member"
    assert ok(api.get(f"/groups/{group['id']}"))["member_count"] == 2
    assert items(api.get(f"/groups/{group['id']}/applications", user=alice, params={"status": "pending"})) == []
    approved = items(api.get(f"/groups/{group['id']}/applications", user=alice, params={"status": "approved"}))
    assert [a["id"] for a in approved] == [app["id"]]


def test_rejection_notifies_the_applicant(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice, join_policy="approval")
    app = ok(api.post(f"/groups/{group['id']}/applications", user=bob, json={"reason": "please"}), 201)
    assert "status" in field_errors(api.patch(f"/groups/{group['id']}/applications/{app['id']}", user=alice,
                                              json={"status": "maybe"}))
    decided = ok(api.patch(f"/groups/{group['id']}/applications/{app['id']}", user=alice,
                           json={"status": "rejected"}))
    assert decided["status"] == "rejected"
    assert kinds(forum, bob) == ["rejected"]
    assert ok(api.get(f"/groups/{group['id']}", user=bob))["membership"] == "none"
    assert ok(api.get(f"/groups/{group['id']}"))["member_count"] == 1


def test_owner_cannot_leave_members_can(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    problem(api.delete(f"/groups/{group['id']}/members/me", user=alice), 409)
    ok(api.delete(f"/groups/{group['id']}/members/me", user=bob), 204)
    after = ok(api.get(f"/groups/{group['id']}", user=bob))
    assert after["membership"] == "none" and after["member_count"] == 1


def test_leaving_a_group_you_are_not_in_is_refused(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    resp = api.delete(f"/groups/{group['id']}/members/me", user=bob)
    assert resp.status_code in (404, 409), resp.text
    problem(resp, resp.status_code)


def test_patch_group_is_for_the_owner(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    problem(api.patch(f"/groups/{group['id']}", user=bob, json={"description": "mine now"}), 403)
    problem(api.patch(f"/groups/{group['id']}", json={"description": "anon"}), 401)
    edited = ok(api.patch(f"/groups/{group['id']}", user=alice, json={"description": "  Edited.  "}))
    assert edited["description"] == "Edited." and edited["membership"] == "owner"


def test_cover_upload_is_for_the_owner(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (0, 90, 200)).save(buffer, "JPEG")
    files = {"cover": ("cover.jpg", buffer.getvalue(), "image/jpeg")}
    problem(api.put(f"/groups/{group['id']}/cover", user=bob, files=files), 403)
    updated = ok(api.put(f"/groups/{group['id']}/cover", user=alice, files=files))
    assert isinstance(updated["cover_url"], str) and updated["cover_url"]
    assert set(updated) == GROUP_KEYS


def test_group_list_filters_and_order(api, forum, make_user):
    alice = make_user()
    category = unique("cat")[:30]
    tag = unique("Zebra")
    older = forum.group(alice, category=category, name=f"{tag} one")
    newer = forum.group(alice, category=category, name=f"{tag} two")
    forum.group(alice, category="other")
    listed = items(api.get("/groups", params={"category": category}))
    assert [g["id"] for g in listed] == [newer["id"], older["id"]]
    assert all(set(g) == GROUP_KEYS for g in listed)
    found = items(api.get("/groups", params={"q": tag}))
    assert {g["id"] for g in found} == {older["id"], newer["id"]}


def test_missing_group_is_404(api, make_user):
    alice = make_user()
    problem(api.get("/groups/999999999"), 404)
    problem(api.post("/groups/999999999/applications", user=alice, json={"reason": "x"}), 404)
    problem(api.get("/groups/999999999/members"), 404)


def test_application_lists_and_decisions_check_their_input(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice, join_policy="approval")
    problem(api.get(f"/groups/{group['id']}/applications", user=alice, params={"status": "maybe"}), 400)
    problem(api.patch(f"/groups/{group['id']}/applications/999999999", user=alice, json={"status": "approved"}), 404)
    problem(api.get(f"/groups/{group['id']}/applications"), 401)


def test_renaming_a_group_to_a_taken_name_is_409(api, forum, make_user):
    alice = make_user()
    first, second = forum.group(alice), forum.group(alice)
    problem(api.patch(f"/groups/{second['id']}", user=alice, json={"name": first["name"]}), 409)
