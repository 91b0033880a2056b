"""Moderation rules through both runners on both databases: who may moderate what, hidden content in
every list and count, bans by time, and the audit log that nothing changes."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared import clock
from shared.auth import ANONYMOUS, Viewer, issue_token
from shared.clock import db_time
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized
from shared.moderation import may_moderate
from shared.revocation import Standings
from shared.storage import (
    accounts,
    answers,
    bans,
    comments,
    groups,
    moderation,
    notifications,
    page_data,
    posts,
    questions,
    roles,
    sessions,
    threads,
    users,
)
from shared.storage.counters import COUNTERS, wrong_counts
from shared.storage.effects import Query
from tests.storage.test_ops_content import add_group, add_user, expect, perform, value

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.parametrize(("site_role", "group_role", "group_id", "allowed"), [
    ("admin", None, None, True), ("moderator", None, 7, True), ("moderator", None, None, True),
    ("member", "owner", 7, True), ("member", "moderator", 7, True), ("member", "member", 7, False),
    ("member", "owner", None, False),          # a group's staff do not moderate site-wide things
    ("member", None, 7, False), (None, None, 7, False),
])
def test_the_one_rule(site_role: str | None, group_role: str | None, group_id: int | None, allowed: bool) -> None:
    assert may_moderate(site_role, group_role, group_id) is allowed


async def test_who_moderates_what(run: Any) -> None:
    owner, mod, member, other, site_mod = [await run(add_user(f"m{n}_{secrets.token_hex(3)}")) for n in range(5)]
    group = await run(add_group(owner, mod, member))
    elsewhere = await run(add_group(other))
    await run(moderation.add_moderator(owner, group, mod.user_id))
    await run(moderation.change_role(None, site_mod.user_id, "moderator"))
    for viewer, here, there, site in [(owner, True, False, False), (mod, True, False, False),
                                      (member, False, False, False), (other, False, True, False),
                                      (site_mod, True, True, True), (ANONYMOUS, False, False, False)]:
        assert await run(roles.moderates(viewer, group)) is here
        assert await run(roles.moderates(viewer, elsewhere)) is there
        assert await run(roles.moderates(viewer, None)) is site
    await expect(run, Forbidden, moderation.add_moderator(mod, group, member.user_id))    # owners only
    await expect(run, Conflict, moderation.add_moderator(owner, group, other.user_id))    # members only
    actions = await run(value("SELECT COUNT(*) FROM audit_log WHERE actor_id = %s AND action = 'add_moderator'",
                              owner.user_id))
    assert actions == 1


async def listed(run: Any, viewer: Viewer, group: int, post_id: int, author: Viewer) -> dict[str, list[int]]:
    """What each list shows ``viewer``: ids by list."""
    try:
        top = (await run(comments.list_comments(viewer, post_id, {})))["items"]
    except NotFound:            # a hidden post's comments are as hidden as the post
        top = []
    parent = [c["id"] for c in top]
    replies = await run(threads.first_replies(comments.COMMENTS, viewer, parent, 10))
    return {
        "group": [p["id"] for p in (await run(posts.list_group_posts(viewer, group, {})))["items"]],
        "latest": [p["id"] for p in (await run(posts.list_latest_posts(viewer, {"limit": "100"})))["items"]
                   if p["group_id"] == group],
        "user": [p["id"] for p in (await run(posts.list_user_posts(viewer, author.user_id, {})))["items"]],
        "comments": parent,
        "replies": [r["id"] for rs in replies.values() for r in rs],
        "by_user": [c["id"] for c in (await run(threads.list_by_user(comments.COMMENTS, viewer, author.user_id,
                                                                      {})))["items"]],
    }


async def test_hidden_content_leaves_every_list_and_count_and_recount_agrees(run: Any) -> None:
    owner, author, reader = [await run(add_user(f"h{n}_{secrets.token_hex(3)}")) for n in range(3)]
    group = await run(add_group(owner, author, reader))
    post = await run(posts.create_post(author, group, {"title": "t", "content": "c"}))
    top = await run(comments.create_comment(author, post["id"], {"content": "top"}))
    reply = await run(comments.create_comment(author, post["id"], {"content": "re", "parent_id": top["id"]}))
    everything = {"group": [post["id"]], "latest": [post["id"]], "user": [post["id"]], "comments": [top["id"]],
                  "replies": [reply["id"]], "by_user": [reply["id"], top["id"]]}
    assert await listed(run, reader, group, post["id"], author) == everything

    await run(moderation.hide_comment(owner, reply["id"], {"reason": "noise"}))
    assert (await run(posts.get_post(reader, post["id"])))["comment_count"] == 1
    assert (await run(comments.list_comments(reader, post["id"], {})))["items"][0]["reply_count"] == 0
    for viewer in (reader, ANONYMOUS):
        shown = await listed(run, viewer, group, post["id"], author)
        assert shown["replies"] == [] and shown["by_user"] == [top["id"]]
    for viewer in (author, owner):           # its author and its moderator still see it, marked hidden
        assert (await listed(run, viewer, group, post["id"], author)) == everything
    assert (await run(comments.list_replies(owner, top["id"], {})))["items"][0]["hidden_reason"] == "noise"

    await run(moderation.hide_post(owner, post["id"], {"reason": "spam"}))
    assert await run(value("SELECT post_count FROM forum_groups WHERE id = %s", group)) == 0
    shown = await listed(run, reader, group, post["id"], author)
    assert shown["group"] == shown["latest"] == shown["user"] == shown["comments"] == []
    for viewer in (reader, ANONYMOUS):       # its thread is 404 to others; its author and moderator read it
        await expect(run, NotFound, comments.list_comments(viewer, post["id"], {}))
        await expect(run, NotFound, comments.list_replies(viewer, top["id"], {}))
    for viewer in (author, owner):
        assert (await run(comments.list_comments(viewer, post["id"], {})))["items"][0]["id"] == top["id"]
        assert (await run(comments.list_replies(viewer, top["id"], {})))["items"][0]["id"] == reply["id"]
    await expect(run, NotFound, posts.get_post(reader, post["id"]))
    assert (await run(posts.get_post(author, post["id"])))["hidden"] is True
    await expect(run, NotFound, page_data.post_page(reader, post["id"], {}))
    for counter in COUNTERS:
        assert await run(wrong_counts(counter)) == [], counter.name

    await run(moderation.restore_post(owner, post["id"]))
    await run(comments.delete_comment(owner, top["id"]))       # a moderator deletes it, with its hidden reply
    assert (await run(posts.get_post(reader, post["id"])))["comment_count"] == 0
    for counter in COUNTERS:
        assert await run(wrong_counts(counter)) == [], counter.name
    hides = await run(value("SELECT COUNT(*) FROM audit_log WHERE actor_id = %s AND action IN ('hide', 'restore',"
                            " 'delete')", owner.user_id))
    assert hides == 4


async def test_a_notification_of_hidden_content_leaves_the_list_and_count_until_restored(run: Any) -> None:
    owner, author, reader = [await run(add_user(f"n{n}_{secrets.token_hex(3)}")) for n in range(3)]
    group = await run(add_group(owner, author, reader))
    post = await run(posts.create_post(reader, group, {"title": "t", "content": "c"}))
    comment = await run(comments.create_comment(author, post["id"], {"content": "secret words"}))
    question = await run(questions.create_question(reader, {"title": "q", "content": "c", "category": "x"}))
    answer = await run(answers.create_answer(author, question["id"], {"content": "an answer"}))

    async def seen() -> tuple[list[str], int, list[str]]:
        items = (await run(notifications.list_notifications(reader, {})))["items"]
        after = await run(notifications.events_after(reader, 0))
        assert [n["excerpt"] for n in after["notifications"]] == [n["excerpt"] for n in reversed(items)]
        return ([n["excerpt"] for n in items], (await run(notifications.unread_count(reader)))["count"],
                [n["excerpt"] for n in (await run(accounts.export_me(reader)))["notifications"]])

    both = (["an answer", "secret words"], 2, ["an answer", "secret words"])
    assert await seen() == both
    await run(moderation.hide_comment(owner, comment["id"], {"reason": "leak"}))
    assert await seen() == (["an answer"], 1, ["an answer"])
    await run(moderation.restore_comment(owner, comment["id"]))
    assert await seen() == both
    site_mod = await run(add_user(f"sm_{secrets.token_hex(3)}"))
    await run(moderation.change_role(None, site_mod.user_id, "moderator"))
    await run(moderation.hide_question(site_mod, question["id"], {"reason": "spam"}))    # its page hidden
    assert await seen() == (["secret words"], 1, ["secret words"])
    for viewer in (author, ANONYMOUS):       # a hidden question's answers are 404 to others ...
        await expect(run, NotFound, answers.list_answers(viewer, question["id"], {}))
        await expect(run, NotFound, answers.list_replies(viewer, answer["id"], {}))
        assert (await run(answers.list_user_answers(viewer, author.user_id, {})))["items"] == [] or viewer == author
    for viewer in (reader, site_mod):        # ... but to its author and the moderators
        assert (await run(answers.list_answers(viewer, question["id"], {})))["items"][0]["id"] == answer["id"]
    await run(moderation.restore_question(site_mod, question["id"]))
    assert await seen() == both
    await run(comments.delete_comment(author, comment["id"]))               # deleted: gone for good
    assert await seen() == (["an answer"], 1, ["an answer"])


@pytest.mark.parametrize("remembered", [False, True], ids=["asked", "remembered"])
async def test_bans_hold_while_their_end_is_ahead(run: Any, standings: Standings, remembered: bool) -> None:
    """The same with each request asking the database, and with the runner's trusted cache of standings
    (every ban and lift must reach it)."""
    mod, user = [await run(add_user(f"b{n}_{secrets.token_hex(3)}")) for n in range(2)]
    await run(moderation.change_role(None, mod.user_id, "moderator"))
    token, _ = issue_token(user.user_id, 0)
    cache = standings if remembered else None

    def authenticate(token: str) -> Any:
        return sessions.authenticate(token, cache)

    assert await run(authenticate(token)) == user
    session = await run(sessions.start_session(user.user_id))
    await run(bans.ban_user(mod, user.user_id, {"reason": "spam", "until": None}))
    await expect(run, Unauthorized, authenticate(token))
    assert await run(sessions.session_viewer(session)) == ANONYMOUS
    refused = await expect(run, Forbidden, roles.refuse_banned(user.user_id))
    assert "spam" in str(refused) and "no end" in str(refused)

    ended = clock.db_time(clock.now() - timedelta(seconds=1))       # a ban that has ended: no job lifts it
    await run(bans.ban(mod.user_id, user.user_id, roles.SITE, ended, "over"))
    assert await run(authenticate(token)) == user
    assert await run(sessions.session_viewer(session)) == user

    ahead = clock.now() + timedelta(hours=2)
    await run(bans.ban_user(mod, user.user_id, {"reason": "cool off", "until": clock.iso(ahead)}))
    refused = await expect(run, Forbidden, roles.refuse_banned(user.user_id))
    assert clock.iso(ahead) in str(refused)
    await expect(run, Unauthorized, authenticate(token))
    await run(bans.unban_user(mod, user.user_id))
    assert await run(authenticate(token)) == user


async def test_a_group_ban_removes_the_member_until_it_ends(run: Any) -> None:
    owner, member = [await run(add_user(f"g{n}_{secrets.token_hex(3)}")) for n in range(2)]
    group = await run(add_group(owner, member))
    await run(bans.ban_from_group(owner, group, {"user_id": member.user_id, "reason": "trolling"}))
    assert await run(groups.membership_role(group, member.user_id)) is None
    assert await run(value("SELECT member_count FROM forum_groups WHERE id = %s", group)) == 1
    await expect(run, Forbidden, groups.apply(member, group, {}))
    await expect(run, Conflict, bans.ban_from_group(owner, group, {"user_id": owner.user_id, "reason": "me"}))
    ended = clock.db_time(clock.now() - timedelta(seconds=1))
    await run(bans.ban(owner.user_id, member.user_id, group, ended, "over"))
    assert (await run(groups.apply(member, group, {})))["status"] == "approved"
    for counter in COUNTERS:
        assert await run(wrong_counts(counter)) == [], counter.name


def test_no_statement_changes_or_deletes_an_audit_entry() -> None:
    """RELIABILITY 49: the only statement on audit_log that writes is the one INSERT in roles.audit."""
    writes = []
    for path in SHARED.rglob("*.py"):
        for match in re.finditer(r"(UPDATE|DELETE FROM|INSERT INTO|REPLACE INTO|TRUNCATE)\s+(TABLE\s+)?audit_log",
                                 path.read_text(), flags=re.IGNORECASE):
            writes.append((path.name, match.group(1).upper()))
    assert writes == [("roles.py", "INSERT INTO")]


async def test_an_erased_username_is_free_again_after_thirty_days(run: Any) -> None:
    """API.md §6: the username of an erased account is held for 30 days, then anyone may take it."""
    body = {"username": "held_name", "email": "held@example.org", "password": "correct horse battery"}
    first = await run(users.register(ANONYMOUS, body))
    await run(accounts.delete_me(Viewer(first["id"]), {"password": body["password"]}))
    again = {**body, "email": "again@example.org"}
    with pytest.raises(Conflict):                      # held
        await run(users.register(ANONYMOUS, again))
    await run(perform(Query("UPDATE users SET deleted_at = %s WHERE id = %s",
                            (db_time(clock.now() - timedelta(days=31)), first["id"]), "rowcount")))
    second = await run(users.register(ANONYMOUS, again))
    assert second["id"] != first["id"] and second["username"] == "held_name"
