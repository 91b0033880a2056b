"""Bans (API.md §6): from the whole site (site moderators and admins) or from one group (its owner and moderators).

A ban is a row in ``bans`` per user and scope (group 0: the site) with an end or none; it is in
force while the end is ahead, so one that ended needs no job. What a site ban stops:

- logging in: 403 whose detail names the reason and the end (``users.check_login``);
- every token and session at once: the check is part of ``sessions.authenticate`` and
  ``session_viewer``, the lookup every request makes;
- open WebSockets and what each process remembers: the ban (and its lift) publishes
  ``Publish(user_id, close=True)`` after its commit; every process forgets the user's standing
  (:mod:`shared.revocation`) and closes their sockets with 1008.

A group ban removes the membership (the member count moves with it), turns a pending application
down, and refuses applying again until it ends (``groups.apply``); posting and commenting already
need membership. Nothing the user made is deleted. Every ban and lift writes its audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from shared import clock
from shared.auth import Viewer
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.i18n import _l
from shared.moderation import STAFF
from shared.pagination import page, parse_page
from shared.shapes import user_columns, user_summary
from shared.storage import roles
from shared.storage.effects import Op, Publish, Query, read_only
from shared.storage.threads import Keyset, fetch_page
from shared.validation import MAX_ID, Body, check_id, parse

BY_USER = Keyset(("b.user_id",), descending=False)
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Until = Annotated[datetime, Field(strict=False)]   # ISO 8601 from JSON; with a zone, or taken as UTC


class NewBan(Body):
    until: Until | None = None
    reason: Reason


class NewGroupBan(NewBan):
    user_id: Annotated[int, Field(gt=0, le=MAX_ID)]


def _end(until: datetime | None) -> str | None:
    """The ban's end as stored (naive UTC); one already past is refused (422)."""
    if until is None:
        return None
    moment = until.astimezone(UTC).replace(tzinfo=None) if until.tzinfo else until
    if moment <= clock.now():
        raise Invalid.one("until", _l("must be in the future (or empty: no end)"))
    return clock.db_time(moment.replace(microsecond=0))


def ban(actor_id: int, user_id: int, group_id: int, ends_at: str | None, reason: str) -> Op[None]:
    """Ban ``user_id`` from a group (or the site: ``roles.SITE``), replacing a ban already there; audited."""
    if group_id != roles.SITE:
        role = yield Query("SELECT role FROM memberships WHERE group_id = %s AND user_id = %s",
                           (group_id, user_id), "value")
        if role == "owner":
            raise Conflict(_l("A group's owner cannot be banned from it."))
        if role is not None:                                     # the group row first: the lock order
            yield Query("UPDATE forum_groups SET member_count = member_count - 1 WHERE id = %s", (group_id,),
                        "rowcount")
            yield Query("DELETE FROM memberships WHERE group_id = %s AND user_id = %s", (group_id, user_id),
                        "rowcount")
        yield Query("UPDATE applications SET status = 'rejected', pending = NULL, decided_at = %s"
                    " WHERE group_id = %s AND user_id = %s AND pending = 1",
                    (clock.db_time(), group_id, user_id), "rowcount")
    yield Query("DELETE FROM bans WHERE user_id = %s AND group_id = %s", (user_id, group_id), "rowcount")
    yield Query("INSERT INTO bans (user_id, group_id, reason, ends_at, banned_by, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (user_id, group_id, reason, ends_at, actor_id, clock.db_time()), "rowcount")
    site = group_id == roles.SITE
    yield from roles.audit(actor_id, "ban" if site else "group_ban", "user", user_id, None if site else group_id,
                           reason)
    if site:
        yield Publish(user_id, close=True)   # after the commit: every process forgets the user's standing
        # (shared.revocation) and closes their open sockets


def _bannable(actor_id: int, user_id: int, actor_is_admin: bool) -> Op[None]:
    """Nobody bans themselves; only an admin bans site staff."""
    check_id(user_id, "user")
    if user_id == actor_id:
        raise Conflict(_l("You cannot ban yourself."))
    site_role, _ = yield from roles.standing(user_id, None)
    if site_role is None:
        raise NotFound("user")
    if site_role in STAFF and not actor_is_admin:
        raise Forbidden(_l("Only an admin may ban a moderator or an admin."))


def ban_user(viewer: Viewer, user_id: int, body: Any) -> Op[None]:
    """``POST /users/{id}/ban {until, reason}`` (site moderators, admins)."""
    data = parse(NewBan, body)
    actor_id = yield from roles.require_site_role(viewer, STAFF)
    actor_role, _ = yield from roles.standing(actor_id, None)
    yield from _bannable(actor_id, user_id, actor_role == "admin")
    yield from ban(actor_id, user_id, roles.SITE, _end(data.until), data.reason)


def _lift(actor_id: int, user_id: int, group_id: int) -> Op[None]:
    gone = yield Query("DELETE FROM bans WHERE user_id = %s AND group_id = %s", (user_id, group_id), "rowcount")
    if not gone:
        raise NotFound("ban")
    site = group_id == roles.SITE
    yield from roles.audit(actor_id, "unban" if site else "group_unban", "user", user_id,
                           None if site else group_id)
    if site:
        yield Publish(user_id, close=True)   # every process forgets the standing that said "banned"


def unban_user(viewer: Viewer, user_id: int) -> Op[None]:
    """``DELETE /users/{id}/ban`` (site moderators, admins); no ban: 404."""
    actor_id = yield from roles.require_site_role(viewer, STAFF)
    check_id(user_id, "user")
    yield from _lift(actor_id, user_id, roles.SITE)


def _group_staff(viewer: Viewer, group_id: int) -> Op[int]:
    check_id(group_id, "group")
    exists = yield Query("SELECT id FROM forum_groups WHERE id = %s", (group_id,), "value")
    if exists is None:
        raise NotFound("group")
    actor_id: int = yield from roles.require_moderator(viewer, group_id)
    return actor_id


def ban_from_group(viewer: Viewer, group_id: int, body: Any) -> Op[None]:
    """``POST /groups/{id}/bans {user_id, until?, reason}`` (owner, group moderators)."""
    data = parse(NewGroupBan, body)
    actor_id = yield from _group_staff(viewer, group_id)
    if data.user_id == actor_id:
        raise Conflict(_l("You cannot ban yourself."))
    site_role, _ = yield from roles.standing(data.user_id, None)
    if site_role is None:
        raise Invalid.one("user_id", _l("no such user"))
    yield from ban(actor_id, data.user_id, group_id, _end(data.until), data.reason)


def unban_from_group(viewer: Viewer, group_id: int, user_id: int) -> Op[None]:
    """``DELETE /groups/{id}/bans/{user_id}`` (owner, group moderators); no ban: 404."""
    actor_id = yield from _group_staff(viewer, group_id)
    check_id(user_id, "user")
    yield from _lift(actor_id, user_id, group_id)


_BAN_SELECT = (
    "SELECT b.user_id, b.group_id, b.reason, b.ends_at, b.created_at, "  # noqa: S608
    + user_columns("u", "user_") + " FROM bans b JOIN users u ON u.id = b.user_id"
)


def shape_ban(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Ban`."""
    return {"user": user_summary(row, "user_"), "group_id": row["group_id"] or None, "reason": row["reason"],
            "until": clock.iso(row["ends_at"]), "created_at": clock.iso(row["created_at"])}


def _bans_in_force(group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    request = parse_page(query)
    rows = yield from fetch_page(_BAN_SELECT, ["b.group_id = %s", "(b.ends_at IS NULL OR b.ends_at > %s)"],
                                 [group_id, clock.db_time()], BY_USER, request)
    return page(rows, request, BY_USER.key, shape_ban)


@read_only
def list_group_bans(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``GET /groups/{id}/bans`` (owner, group moderators): the bans in force."""
    yield from _group_staff(viewer, group_id)
    return (yield from _bans_in_force(group_id, query))


@read_only
def list_site_bans(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``GET /bans`` (site moderators, admins): the site bans in force."""
    yield from roles.require_site_role(viewer, STAFF)
    return (yield from _bans_in_force(roles.SITE, query))
