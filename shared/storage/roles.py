"""Who the viewer is to a thing: the moderation rule's inputs, bans in force, and the audit log's one writer.

Every moderation operation asks :func:`moderates` (or :func:`require_moderator`), which reads the
viewer's site role and membership role in one query and asks :func:`shared.moderation.may_moderate`.
Lists that hide hidden rows add :func:`visible_filter`, the same rule spelt as SQL.

A ban is in force while its ``ends_at`` is NULL or still ahead, so one that has ended lifts itself:
no job runs, every check compares with the clock. Group id 0 is the whole site.

:func:`audit` writes one audit-log entry inside the transaction of the action it records; no
statement anywhere updates or deletes an entry (a test reads every SQL string to be sure).
"""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import Forbidden
from shared.i18n import _l
from shared.moderation import GROUP_STAFF, STAFF, is_site_staff, may_moderate
from shared.storage.effects import Op, Query

SITE = 0                  # bans.group_id of a site-wide ban

# The rule's roles as SQL literals (constants, never input).
_SITE_STAFF_ROLES = ", ".join(f"'{role}'" for role in sorted(STAFF))
_GROUP_STAFF_ROLES = ", ".join(f"'{role}'" for role in sorted(GROUP_STAFF))
STAFFED_GROUPS = f"SELECT group_id FROM memberships WHERE user_id = %s AND role IN ({_GROUP_STAFF_ROLES})"  # noqa: S608


def standing(user_id: int, group_id: int | None) -> Op[tuple[str | None, str | None]]:
    """``(site role, membership role in group_id)``; None for a user who does not exist (or is erased)."""
    row = yield Query("SELECT u.role, m.role AS group_role FROM users u"
                      " LEFT JOIN memberships m ON m.user_id = u.id AND m.group_id = %s"
                      " WHERE u.id = %s AND u.deleted_at IS NULL", (group_id or 0, user_id), "row")
    if row is None:
        return None, None
    return row["role"], row["group_role"]


def moderates(viewer: Viewer, group_id: int | None) -> Op[bool]:
    """Whether the viewer moderates things in ``group_id`` (None: a site-wide thing)."""
    if viewer.user_id is None:
        return False
    site_role, group_role = yield from standing(viewer.user_id, group_id)
    return may_moderate(site_role, group_role, group_id)


def require_moderator(viewer: Viewer, group_id: int | None) -> Op[int]:
    """The caller's id if they moderate ``group_id``'s things (401 anonymous, else 403)."""
    user_id = viewer.require()
    if not (yield from moderates(viewer, group_id)):
        raise Forbidden(_l("Only a moderator of this content may do this."))
    return user_id


def require_site_role(viewer: Viewer, roles: frozenset[str]) -> Op[int]:
    """The caller's id if their site role is one of ``roles`` (admins only, or site staff)."""
    user_id = viewer.require()
    site_role, _ = yield from standing(user_id, None)
    if site_role not in roles:
        raise Forbidden(_l("Only admins or moderators may do this.") if "moderator" in roles
                        else _l("Only admins may do this."))
    return user_id


def visible_filter(viewer: Viewer, alias: str, group_column: str | None = None) -> tuple[list[str], list[Any]]:
    """A list's WHERE conditions that keep hidden rows (``alias.hidden_at``) from those who may not see them.

    The rule of :func:`shared.moderation.may_moderate`, spelt as SQL so a list costs no extra query:
    a hidden row is listed for its author, for site staff, and (when ``group_column`` names the row's
    group) for that group's owner and moderators. Anonymous viewers see visible rows only.
    """
    if viewer.user_id is None:
        return [f"{alias}.hidden_at IS NULL"], []
    condition = (f"{alias}.hidden_at IS NULL OR {alias}.user_id = %s"  # noqa: S608
                 f" OR EXISTS (SELECT 1 FROM users v WHERE v.id = %s AND v.role IN ({_SITE_STAFF_ROLES}))")
    params: list[Any] = [viewer.user_id, viewer.user_id]
    if group_column is not None:
        condition += f" OR {group_column} IN ({STAFFED_GROUPS})"
        params.append(viewer.user_id)
    return [f"({condition})"], params


def may_see(viewer: Viewer, row: dict[str, Any], group_id: int | None) -> Op[bool]:
    """Whether one row (with ``hidden_at`` and ``user_id``) is visible to the viewer."""
    if row["hidden_at"] is None or (viewer.user_id is not None and row["user_id"] == viewer.user_id):
        return True
    return (yield from moderates(viewer, group_id))


def may_see_in_place(viewer: Viewer, item: dict[str, Any]) -> Op[bool]:
    """Whether an item found by ``moderation.locate`` is visible to the viewer, and so is the post or
    question it is on (``page_user_id``, ``page_hidden_at``): a hidden post hides its comments."""
    page = {"user_id": item["page_user_id"], "hidden_at": item["page_hidden_at"]}
    for one in (item, page):
        if not (yield from may_see(viewer, one, item["group_id"])):
            return False
    return True


def is_staff(viewer: Viewer) -> Op[bool]:
    if viewer.user_id is None:
        return False
    site_role, _ = yield from standing(viewer.user_id, None)
    return is_site_staff(site_role)


# -- bans in force ----------------------------------------------------------------------------------

def ban_in_force(user_id: int, group_id: int = SITE) -> Op[dict[str, Any] | None]:
    """The user's ban in that scope, if it has not ended: ``{reason, ends_at}``."""
    row: dict[str, Any] | None = yield Query(
        "SELECT reason, ends_at FROM bans WHERE user_id = %s AND group_id = %s AND (ends_at IS NULL OR ends_at > %s)",
        (user_id, group_id, clock.db_time()), "row")
    return row


def ban_message(ban: dict[str, Any], where: str) -> str:
    """What a banned user is told: the scope (``forum`` or ``group``), the end (or none) and the reason."""
    reason, until = ban["reason"], clock.iso(ban["ends_at"])
    if where == "forum":
        if until is None:
            return _l("You are banned from this forum with no end. Reason: %(reason)s", reason=reason)
        return _l("You are banned from this forum until %(until)s. Reason: %(reason)s", until=until, reason=reason)
    if until is None:
        return _l("You are banned from this group with no end. Reason: %(reason)s", reason=reason)
    return _l("You are banned from this group until %(until)s. Reason: %(reason)s", until=until, reason=reason)


def refuse_banned(user_id: int, group_id: int = SITE) -> Op[None]:
    """403 naming the reason and the end, for a user banned from the site or from ``group_id``."""
    ban = yield from ban_in_force(user_id, group_id)
    if ban is not None:
        raise Forbidden(ban_message(ban, "forum" if group_id == SITE else "group"))


# -- the audit log ----------------------------------------------------------------------------------

def audit(actor_id: int | None, action: str, target_type: str, target_id: int, group_id: int | None = None,
          reason: str = "") -> Op[int]:
    """One audit-log entry, in the caller's transaction (``actor_id`` None: the command line)."""
    entry_id: int = yield Query(
        "INSERT INTO audit_log (actor_id, action, target_type, target_id, group_id, reason, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (actor_id, action, target_type, target_id, group_id, reason[:1000], clock.db_time()), "lastrowid")
    return entry_id
