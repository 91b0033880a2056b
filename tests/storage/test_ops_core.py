"""The domain core's operations on real databases, through both runners: sqlite3, PyMySQL, aiosqlite, aiomysql.

``run`` (tests/storage/conftest.py) drives an operation with the blocking or the coroutine runner on
a fresh, migrated database.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from shared.auth import ANONYMOUS, Viewer
from shared.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from shared.revocation import Standings
from shared.storage import groups, guestbook, notifications, sessions, users
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Query
from shared.storage.runners import run_sync

Run = Callable[[Op[Any]], Awaitable[Any]]
PASSWORD = "correct horse battery"
ADDRESS = "192.0.2.1"
JOINERS = 6


async def sign_up(run: Run, name: str) -> Viewer:
    user = await run(users.register(ANONYMOUS, {"username": name, "email": f"{name}@example.org",
                                                "password": PASSWORD}))
    return Viewer(user["id"])


async def all_items(run: Run, make_op: Callable[[dict[str, str]], Op[dict[str, Any]]], limit: int = 2) -> list[Any]:
    """Every item of a list, page by page, following next_cursor."""
    items: list[Any] = []
    query = {"limit": str(limit)}
    while True:
        answer = await run(make_op(query))
        items += answer["items"]
        if answer["next_cursor"] is None:
            return items
        query = {"limit": str(limit), "cursor": answer["next_cursor"]}


# -- users ------------------------------------------------------------------------------------------

async def test_account_life(run: Run, standings: Standings) -> None:
    ann = await sign_up(run, "ann")
    login = await run(users.login(ANONYMOUS, {"login": "ANN@example.org", "password": PASSWORD}, ADDRESS))
    assert login["user"]["id"] == ann.user_id and "email" not in login["user"]
    assert await run(sessions.authenticate(login["access_token"])) == ann
    assert await run(sessions.authenticate(login["access_token"], standings)) == ann   # remembered now

    me = await run(users.update_me(ann, {"nickname": "Annie", "bio": "hello"}))
    assert me["nickname"] == "Annie" and me["email"] == "ann@example.org"
    assert (await run(users.get_user(ANONYMOUS, ann.user_id)))["bio"] == "hello"

    with pytest.raises(Invalid):
        await run(users.change_password(ann, {"old_password": "wrong one", "new_password": "a new secret"}))
    await run(users.change_password(ann, {"old_password": PASSWORD, "new_password": "a new secret"}))
    with pytest.raises(Unauthorized):                    # the token from before the change
        await run(sessions.authenticate(login["access_token"]))
    with pytest.raises(Unauthorized):                    # forgotten by the runner that changed it
        await run(sessions.authenticate(login["access_token"], standings))
    with pytest.raises(Unauthorized):
        await run(users.login(ANONYMOUS, {"login": "ann", "password": PASSWORD}, ADDRESS))
    fresh = await run(users.login(ANONYMOUS, {"login": "ann", "password": "a new secret"}, ADDRESS))
    assert await run(sessions.authenticate(fresh["access_token"])) == ann


async def test_taken_names_ignore_case(run: Run) -> None:
    await sign_up(run, "Bob")
    with pytest.raises(Conflict, match="username"):
        await run(users.register(ANONYMOUS, {"username": "bob", "email": "b2@example.org", "password": PASSWORD}))
    with pytest.raises(Conflict, match="email"):
        await run(users.register(ANONYMOUS, {"username": "bob2", "email": "BOB@example.org",
                                             "password": PASSWORD}))


async def test_unknown_user_and_wrong_password(run: Run) -> None:
    await sign_up(run, "cyd")
    with pytest.raises(Unauthorized) as unknown:
        await run(users.login(ANONYMOUS, {"login": "nobody", "password": PASSWORD}, ADDRESS))
    with pytest.raises(Unauthorized) as wrong:
        await run(users.login(ANONYMOUS, {"login": "cyd", "password": "not the password"}, ADDRESS))
    assert unknown.value.body() == wrong.value.body()
    with pytest.raises(NotFound):
        await run(users.get_user(ANONYMOUS, 999999))


async def test_avatar_is_saved_under_a_random_name(run: Run, tmp_path: Path) -> None:
    dee = await sign_up(run, "dee")
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(out, "PNG")
    me = await run(users.set_avatar(dee, out.getvalue(), str(tmp_path)))
    name = me["avatar_url"].removeprefix("/media/")
    assert me["avatar_url"].startswith("/media/") and (tmp_path / name).is_file()
    assert (await run(users.get_user(ANONYMOUS, dee.user_id)))["avatar_url"] == me["avatar_url"]


# -- groups -----------------------------------------------------------------------------------------

async def test_joining_by_approval(run: Run) -> None:
    owner, bob = await sign_up(run, "owner"), await sign_up(run, "bob")
    group = await run(groups.create_group(owner, {"name": "Rust", "category": "code",
                                                  "description": "ownership", "join_policy": "approval"}))
    assert group["membership"] == "owner" and group["member_count"] == 1 and group["owner"]["username"] == "owner"
    gid = group["id"]

    application = await run(groups.apply(bob, gid, {"reason": "I like crabs"}))
    assert application["status"] == "pending" and application["user"]["id"] == bob.user_id
    assert (await run(groups.get_group(bob, gid)))["membership"] == "pending"
    with pytest.raises(Conflict):
        await run(groups.apply(bob, gid, {}))
    assert await run(notifications.unread_count(owner)) == {"count": 1}

    with pytest.raises(Forbidden):
        await run(groups.list_applications(bob, gid, {}))
    pending = await run(groups.list_applications(owner, gid, {"status": "pending"}))
    assert [a["id"] for a in pending["items"]] == [application["id"]]

    decided = await run(groups.decide_application(owner, gid, application["id"], {"status": "approved"}))
    assert decided["status"] == "approved"
    with pytest.raises(Conflict):
        await run(groups.decide_application(owner, gid, application["id"], {"status": "rejected"}))
    assert (await run(groups.get_group(bob, gid)))["membership"] == "member"
    assert (await run(groups.get_group(ANONYMOUS, gid)))["member_count"] == 2
    assert await run(groups.membership_role(gid, bob.user_id)) == "member"

    notes = await run(notifications.list_notifications(bob, {"unread": "true"}))
    assert [(n["kind"], n["actor"]["id"], n["target"]) for n in notes["items"]] == [
        ("approved", owner.user_id, {"type": "group", "id": gid})]

    members = await all_items(run, lambda q: groups.list_members(ANONYMOUS, gid, q), limit=1)
    assert [(m["user"]["id"], m["role"]) for m in members] == [(owner.user_id, "owner"), (bob.user_id, "member")]


async def test_rejection_and_leaving(run: Run) -> None:
    owner, eve = await sign_up(run, "owner2"), await sign_up(run, "eve")
    gid = (await run(groups.create_group(owner, {"name": "Go", "category": "code", "join_policy": "approval"})))["id"]
    application = await run(groups.apply(eve, gid, {}))
    await run(groups.decide_application(owner, gid, application["id"], {"status": "rejected"}))
    assert (await run(groups.get_group(eve, gid)))["membership"] == "none"
    assert [n["kind"] for n in (await run(notifications.list_notifications(eve, {})))["items"]] == ["rejected"]

    await run(groups.update_group(owner, gid, {"join_policy": "open"}))
    joined = await run(groups.apply(eve, gid, {}))              # may apply again; open now: in at once
    assert joined["status"] == "approved"
    assert (await run(groups.get_group(ANONYMOUS, gid)))["member_count"] == 2
    with pytest.raises(Conflict):
        await run(groups.apply(eve, gid, {}))

    await run(groups.leave(eve, gid))
    assert (await run(groups.get_group(eve, gid)))["member_count"] == 1
    with pytest.raises(NotFound):
        await run(groups.leave(eve, gid))
    with pytest.raises(Conflict):
        await run(groups.leave(owner, gid))


async def test_group_lists_search_and_pages(run: Run) -> None:
    owner, fay = await sign_up(run, "owner3"), await sign_up(run, "fay")
    names = ["Python", "100% Python", "Py_thon", "Haskell", "Elm"]
    ids = [(await run(groups.create_group(owner, {"name": n, "category": "fp" if n in ("Haskell", "Elm") else "py",
                                                  "description": f"all about {n}"})))["id"] for n in names]
    with pytest.raises(Conflict):
        await run(groups.create_group(fay, {"name": "PYTHON", "category": "py"}))
    with pytest.raises(Conflict):
        await run(groups.update_group(owner, ids[3], {"name": "elm"}))
    await run(groups.apply(fay, ids[1], {}))

    listed = await all_items(run, lambda q: groups.list_groups(fay, q))
    assert [g["id"] for g in listed] == ids[::-1]
    assert {g["id"]: g["membership"] for g in listed}[ids[1]] == "member"
    assert [g["name"] for g in await all_items(run, lambda q: groups.list_groups(ANONYMOUS, {**q, "category": "fp"}))] \
        == ["Elm", "Haskell"]
    assert [g["name"] for g in (await run(groups.list_groups(ANONYMOUS, {"q": "100%"})))["items"]] == ["100% Python"]
    assert [g["name"] for g in (await run(groups.list_groups(ANONYMOUS, {"q": "y_t"})))["items"]] == ["Py_thon"]

    mine = await all_items(run, lambda q: groups.list_user_groups(ANONYMOUS, owner.user_id, q))
    assert [g["id"] for g in mine] == ids[::-1]
    assert [g["id"] for g in (await run(groups.list_user_groups(ANONYMOUS, fay.user_id, {})))["items"]] == [ids[1]]
    with pytest.raises(NotFound):
        await run(groups.list_user_groups(ANONYMOUS, 999999, {}))
    with pytest.raises(NotFound):
        await run(groups.list_members(ANONYMOUS, 999999, {}))


async def test_cover_needs_the_owner(run: Run, tmp_path: Path) -> None:
    owner, gus = await sign_up(run, "owner4"), await sign_up(run, "gus")
    gid = (await run(groups.create_group(owner, {"name": "Art", "category": "art"})))["id"]
    out = io.BytesIO()
    Image.new("RGB", (32, 16), "red").save(out, "JPEG")
    with pytest.raises(Forbidden):
        await run(groups.set_cover(gus, gid, out.getvalue(), str(tmp_path)))
    group = await run(groups.set_cover(owner, gid, out.getvalue(), str(tmp_path)))
    assert group["cover_url"].endswith(".jpg")


# -- notifications ----------------------------------------------------------------------------------

def _mention_event(text: str, actor: Viewer, exclude: set[int]) -> Op[None]:
    """What a comment does: mention notifications in the causing transaction (about a group, which no
    hiding takes out of the list: a post that does not exist would)."""
    yield from notifications.notify_mentions(text, actor.require(), "group", 1, text, exclude)


async def test_mentions_and_marking_read(run: Run) -> None:
    hal, ivy, jo = await sign_up(run, "hal"), await sign_up(run, "ivy"), await sign_up(run, "joe")
    await run(_mention_event("@IVY and @joe and @hal and @nobody, see `@ivy`", hal, exclude={jo.user_id}))
    notes = (await run(notifications.list_notifications(ivy, {})))["items"]
    assert [(n["kind"], n["actor"]["username"], n["read"]) for n in notes] == [("mention", "hal", False)]
    assert await run(notifications.unread_count(jo)) == {"count": 0}
    assert await run(notifications.unread_count(hal)) == {"count": 0}

    for _ in range(3):
        await run(_mention_event("@ivy again", hal, set()))
    every = await all_items(run, lambda q: notifications.list_notifications(ivy, q))
    assert len(every) == 4 and [n["id"] for n in every] == sorted((n["id"] for n in every), reverse=True)

    await run(notifications.mark_read(hal, {"ids": [every[0]["id"]]}))    # not hal's: ignored
    assert await run(notifications.unread_count(ivy)) == {"count": 4}
    await run(notifications.mark_read(ivy, {"ids": [every[0]["id"], every[1]["id"]]}))
    assert await run(notifications.unread_count(ivy)) == {"count": 2}
    unread = await run(notifications.list_notifications(ivy, {"unread": "true"}))
    assert [n["id"] for n in unread["items"]] == [every[2]["id"], every[3]["id"]]
    await run(notifications.mark_read(ivy, {"all": True}))
    assert await run(notifications.unread_count(ivy)) == {"count": 0}


# -- guestbook --------------------------------------------------------------------------------------

async def test_guestbook(run: Run) -> None:
    signed = [await run(guestbook.sign(ANONYMOUS, {"name": f"guest {i}", "message": f"hello {i}",
                                                   "email": "g@example.org" if i else "", "address": "Earth"}))
              for i in range(5)]
    assert signed[0]["email"] == "" and signed[1]["created_at"].endswith("Z")
    assert await all_items(run, lambda q: guestbook.list_entries(ANONYMOUS, q)) == signed[::-1]


# -- counters under concurrent writers --------------------------------------------------------------

def test_member_count_is_exact_under_concurrent_joins_and_leaves(db_url: str, settings_for: Any) -> None:
    """Threads join, double-join and leave one open group at once; the counter equals the rows after."""
    db = open_sync(settings_for(db_url, pool_size=JOINERS, pool_timeout=30))
    try:
        def sync_run(op: Op[Any]) -> Any:
            return run_sync(db, op)

        owner = Viewer(sync_run(users.register(ANONYMOUS, {"username": "boss", "email": "boss@example.org",
                                                           "password": PASSWORD}))["id"])
        joiners = [Viewer(sync_run(users.register(ANONYMOUS, {"username": f"joiner{i}",
                                                              "email": f"j{i}@example.org",
                                                              "password": PASSWORD}))["id"])
                   for i in range(JOINERS)]
        gid = sync_run(groups.create_group(owner, {"name": "Busy", "category": "load"}))["id"]
        start = threading.Barrier(JOINERS)
        outcomes: list[str] = []

        def member(viewer: Viewer) -> None:
            start.wait()
            for op in (groups.apply(viewer, gid, {}), groups.apply(viewer, gid, {}), groups.leave(viewer, gid),
                       groups.apply(viewer, gid, {})):
                try:
                    sync_run(op)
                    outcomes.append("ok")
                except Conflict:
                    outcomes.append("conflict")
                except Exception as exc:  # a deadlock or timeout would show here
                    outcomes.append(repr(exc))

        threads = [threading.Thread(target=member, args=(v,)) for v in joiners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(set(outcomes)) == ["conflict", "ok"], outcomes
        assert outcomes.count("conflict") == JOINERS                    # every second apply
        rows = sync_run(_count_members(gid))
        assert sync_run(groups.get_group(ANONYMOUS, gid))["member_count"] == rows == JOINERS + 1
    finally:
        db.close()


def _count_members(group_id: int) -> Op[int]:
    count = yield Query("SELECT COUNT(*) FROM memberships WHERE group_id = %s", (group_id,), "value")
    return int(count)
