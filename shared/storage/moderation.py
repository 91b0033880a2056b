"""Moderation (API.md §6): site roles, group moderators, hiding and restoring, reports, the audit log.

Who may act is always :func:`shared.storage.roles.require_moderator` (the one rule of
:mod:`shared.moderation`); every action writes its audit entry in its own transaction.

Hidden content (``hidden_at`` set, NULL meaning visible) stays in its table, whole: it leaves every
list and count, and comes back as it was on restore. So hiding moves the counters a delete would
move (the group's ``post_count``, the thread's ``comment_count``/``answer_count``, the parent's
``reply_count``), in the usual lock order (container, parent, item), and ``forum recount`` counts
visible rows only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from shared import clock
from shared.auth import Viewer
from shared.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, thing
from shared.i18n import _l
from shared.moderation import (
    AUDIT_ACTIONS,
    CONTENT_TYPES,
    SITE_ROLES,
    ReportReason,
    ReportTargetType,
    Resolution,
    SiteRole,
)
from shared.pagination import page, parse_page
from shared.shapes import user_columns, user_public, user_summary
from shared.storage import bans, groups, posts, questions, roles, threads
from shared.storage.answers import ANSWERS
from shared.storage.comments import COMMENTS
from shared.storage.effects import Op, Query, read_only
from shared.storage.likes import excerpt
from shared.storage.notifications import notify
from shared.storage.threads import Keyset, Thread, bump, fetch_page, refresh_hot
from shared.validation import MAX_ID, Body, check_id, parse

Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(max_length=1000)]
NEWEST_FIRST = Keyset(("x.id",))


# -- what can be moderated --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of target: how to find its author, group, hidden mark and thread position by id."""

    what: str                    # "comment"
    table: str                   # "comments"
    locate: str                  # SELECT user_id, hidden_at, group_id, container_id, parent_id, text,
    #                              page_user_id, page_hidden_at (its post's or question's) ... WHERE id
    thread: Thread | None = None  # comments and answers: the counters a hidden item leaves


KINDS: dict[str, Kind] = {
    "post": Kind("post", "posts",
                 "SELECT p.user_id, p.hidden_at, p.group_id, p.id AS container_id, NULL AS parent_id,"
                 " p.title AS text, NULL AS page_user_id, NULL AS page_hidden_at FROM posts p WHERE p.id = %s"),
    "comment": Kind("comment", "comments",
                    "SELECT t.user_id, t.hidden_at, c.group_id, t.post_id AS container_id, t.parent_id,"
                    " t.content AS text, c.user_id AS page_user_id, c.hidden_at AS page_hidden_at"
                    " FROM comments t JOIN posts c ON c.id = t.post_id WHERE t.id = %s",
                    COMMENTS),
    "question": Kind("question", "questions",
                     "SELECT q.user_id, q.hidden_at, NULL AS group_id, q.id AS container_id, NULL AS parent_id,"
                     " q.title AS text, NULL AS page_user_id, NULL AS page_hidden_at FROM questions q WHERE q.id = %s"),
    "answer": Kind("answer", "answers",
                   "SELECT t.user_id, t.hidden_at, NULL AS group_id, t.question_id AS container_id, t.parent_id,"
                   " t.content AS text, c.user_id AS page_user_id, c.hidden_at AS page_hidden_at"
                   " FROM answers t JOIN questions c ON c.id = t.question_id WHERE t.id = %s", ANSWERS),
    "user": Kind("user", "users",
                 "SELECT u.id AS user_id, NULL AS hidden_at, NULL AS group_id, NULL AS container_id,"
                 " NULL AS parent_id, u.username AS text, NULL AS page_user_id, NULL AS page_hidden_at"
                 " FROM users u WHERE u.id = %s AND u.deleted_at IS NULL"),
}


def locate(kind: str, item_id: int) -> Op[dict[str, Any]]:
    """The target's author, group (None: the site's), hidden mark and place in its thread; 404 if gone."""
    check_id(item_id, kind)
    row: dict[str, Any] | None = yield Query(KINDS[kind].locate, (item_id,), "row")
    if row is None:
        raise NotFound(kind)
    return row


# -- hiding and restoring ---------------------------------------------------------------------------

class Hide(Body):
    reason: Reason


def _count(kind: Kind, item: Mapping[str, Any], delta: int) -> Op[None]:
    """Move the counters the item counts in (container first, then parent: the usual lock order)."""
    if kind.what == "post":
        yield Query("UPDATE forum_groups SET post_count = post_count + %s WHERE id = %s",
                    (delta, item["group_id"]), "rowcount")
    elif kind.thread is not None:
        yield from bump(kind.thread.container, item["container_id"], delta)
        if item["parent_id"] is not None:
            yield Query(f"UPDATE {kind.table} SET reply_count = reply_count + %s WHERE id = %s",  # noqa: S608
                        (delta, item["parent_id"]), "rowcount")
        yield from refresh_hot(kind.thread.container, item["container_id"])


def hide_item(actor_id: int, kind_name: str, item_id: int, item: Mapping[str, Any], reason: str) -> Op[None]:
    """Hide an item the actor may moderate (already hidden: 409), with its counters and audit entry."""
    kind = KINDS[kind_name]
    if item["hidden_at"] is not None:
        raise Conflict(_l("This %(what)s is hidden already.", what=thing(kind.what)))
    yield from _count(kind, item, -1)
    moved = yield Query(f"UPDATE {kind.table} SET hidden_at = %s, hidden_reason = %s"  # noqa: S608
                        " WHERE id = %s AND hidden_at IS NULL", (clock.db_time(), reason, item_id), "rowcount")
    if not moved:                       # hidden by someone else meanwhile: roll the counters back
        raise Conflict(_l("This %(what)s is hidden already.", what=thing(kind.what)))
    yield from roles.audit(actor_id, "hide", kind.what, item_id, item["group_id"], reason)


def _hide(viewer: Viewer, kind: str, item_id: int, data: Hide) -> Op[None]:
    item = yield from locate(kind, item_id)
    actor_id = yield from roles.require_moderator(viewer, item["group_id"])
    yield from hide_item(actor_id, kind, item_id, item, data.reason)


def _restore(viewer: Viewer, kind_name: str, item_id: int) -> Op[None]:
    """Show a hidden item again, whole, with its counters (not hidden: 409)."""
    kind = KINDS[kind_name]
    item = yield from locate(kind_name, item_id)
    actor_id = yield from roles.require_moderator(viewer, item["group_id"])
    if item["hidden_at"] is None:
        raise Conflict(_l("This %(what)s is not hidden.", what=thing(kind.what)))
    yield from _count(kind, item, +1)
    moved = yield Query(f"UPDATE {kind.table} SET hidden_at = NULL, hidden_reason = NULL"  # noqa: S608
                        " WHERE id = %s AND hidden_at IS NOT NULL", (item_id,), "rowcount")
    if not moved:
        raise Conflict(_l("This %(what)s is not hidden.", what=thing(kind.what)))
    yield from roles.audit(actor_id, "restore", kind.what, item_id, item["group_id"])


def hide_post(viewer: Viewer, post_id: int, body: Any) -> Op[None]:
    yield from _hide(viewer, "post", post_id, parse(Hide, body))


def hide_comment(viewer: Viewer, comment_id: int, body: Any) -> Op[None]:
    yield from _hide(viewer, "comment", comment_id, parse(Hide, body))


def hide_question(viewer: Viewer, question_id: int, body: Any) -> Op[None]:
    yield from _hide(viewer, "question", question_id, parse(Hide, body))


def hide_answer(viewer: Viewer, answer_id: int, body: Any) -> Op[None]:
    yield from _hide(viewer, "answer", answer_id, parse(Hide, body))


def restore_post(viewer: Viewer, post_id: int) -> Op[None]:
    yield from _restore(viewer, "post", post_id)


def restore_comment(viewer: Viewer, comment_id: int) -> Op[None]:
    yield from _restore(viewer, "comment", comment_id)


def restore_question(viewer: Viewer, question_id: int) -> Op[None]:
    yield from _restore(viewer, "question", question_id)


def restore_answer(viewer: Viewer, answer_id: int) -> Op[None]:
    yield from _restore(viewer, "answer", answer_id)


# Hidden content by kind, for the /moderation page: (SELECT ..., its alias, the column naming its group or None).
_HIDDEN = {
    "post": ("SELECT p.id, p.hidden_reason, p.hidden_at, p.title AS text, p.id AS page_id FROM posts p"
             " WHERE p.hidden_at IS NOT NULL", "p", "p.group_id"),
    "comment": ("SELECT t.id, t.hidden_reason, t.hidden_at, t.content AS text, t.post_id AS page_id FROM comments t"
                " JOIN posts c ON c.id = t.post_id WHERE t.hidden_at IS NOT NULL", "t", "c.group_id"),
    "question": ("SELECT q.id, q.hidden_reason, q.hidden_at, q.title AS text, q.id AS page_id FROM questions q"
                 " WHERE q.hidden_at IS NOT NULL", "q", None),
    "answer": ("SELECT t.id, t.hidden_reason, t.hidden_at, t.content AS text, t.question_id AS page_id"
               " FROM answers t WHERE t.hidden_at IS NOT NULL", "t", None),
}


@read_only
def list_hidden(viewer: Viewer, limit: int = 50) -> Op[list[dict[str, Any]]]:
    """Hidden content the viewer moderates, newest first, for the ``/moderation`` page:
    ``{type, id, excerpt, reason, hidden_at, link}``. Site staff see all; a group's staff its posts and comments."""
    user_id = viewer.require()
    staff = yield from roles.is_staff(viewer)
    found: list[dict[str, Any]] = []
    for kind, (sql, alias, group_column) in _HIDDEN.items():
        newest = f" ORDER BY {alias}.hidden_at DESC LIMIT %s"
        if staff:
            rows = yield Query(sql + newest, (limit,))
        elif group_column is not None:
            rows = yield Query(f"{sql} AND {group_column} IN ({roles.STAFFED_GROUPS}){newest}", (user_id, limit))
        else:
            continue                                # questions and answers: site staff only
        page_type = "question" if kind in ("question", "answer") else "post"
        found += [{"type": kind, "id": row["id"], "excerpt": excerpt(row["text"]), "reason": row["hidden_reason"] or "",
                   "hidden_at": clock.iso(row["hidden_at"]), "link": f"/{page_type}s/{row['page_id']}"}
                  for row in rows]
    found.sort(key=lambda item: item["hidden_at"], reverse=True)
    return found[:limit]


# -- site roles and group moderators ----------------------------------------------------------------

class RoleChange(Body):
    role: SiteRole


def change_role(actor_id: int | None, user_id: int, role: str) -> Op[dict[str, Any]]:
    """Set a user's site role and audit it (``actor_id`` None: the command line). Returns the User."""
    if role not in SITE_ROLES:
        raise Invalid.one("role", _l("must be one of: %(choices)s", choices="member, moderator, admin"))
    moved = yield Query("UPDATE users SET role = %s WHERE id = %s AND deleted_at IS NULL", (role, user_id), "rowcount")
    if not moved:
        raise NotFound("user")
    yield from roles.audit(actor_id, "grant_role", "user", user_id, None, role)
    row = yield Query("SELECT id, username, nickname, bio, avatar_url, role, created_at FROM users WHERE id = %s",
                      (user_id,), "row")
    return user_public(row)


def set_role(viewer: Viewer, user_id: int, body: Any) -> Op[dict[str, Any]]:
    """``PUT /users/{id}/role`` (admins): grant or revoke a site role; an admin cannot change their own."""
    data = parse(RoleChange, body)
    actor_id = yield from roles.require_site_role(viewer, frozenset({"admin"}))
    check_id(user_id, "user")
    if user_id == actor_id:
        raise Conflict(_l("Admins cannot change their own role (ask another admin)."))
    return (yield from change_role(actor_id, user_id, data.role))


def find_user_id(username: str) -> Op[int]:
    """The id of a (not erased) user by name, for the command line."""
    user_id = yield Query("SELECT id FROM users WHERE username = %s AND deleted_at IS NULL", (username,), "value")
    if user_id is None:
        raise NotFound("user")
    found: int = user_id
    return found


@read_only
def list_staff() -> Op[list[dict[str, Any]]]:
    """Every admin and site moderator (``forum admin list``, the ``/admin`` page)."""
    rows: list[dict[str, Any]] = yield Query(
        "SELECT id, username, nickname, bio, avatar_url, role, created_at FROM users"
        " WHERE role <> 'member' AND deleted_at IS NULL ORDER BY role, username")
    return [user_public(row) for row in rows]


def add_moderator(viewer: Viewer, group_id: int, user_id: int) -> Op[None]:
    """``PUT /groups/{id}/moderators/{user_id}`` (owner): a member becomes a moderator (idempotent)."""
    actor_id = yield from groups.require_owner(viewer, group_id)
    check_id(user_id, "user")
    role = yield Query("SELECT role FROM memberships WHERE group_id = %s AND user_id = %s", (group_id, user_id),
                       "value")
    if role is None:
        raise Conflict(_l("Only a member of the group can be made its moderator."))
    if role == "member":
        yield Query("UPDATE memberships SET role = 'moderator' WHERE group_id = %s AND user_id = %s AND role = 'member'",
                    (group_id, user_id), "rowcount")
        yield from roles.audit(actor_id, "add_moderator", "user", user_id, group_id)


def remove_moderator(viewer: Viewer, group_id: int, user_id: int) -> Op[None]:
    """``DELETE /groups/{id}/moderators/{user_id}`` (owner): back to member; not a moderator: 404."""
    actor_id = yield from groups.require_owner(viewer, group_id)
    check_id(user_id, "user")
    moved = yield Query("UPDATE memberships SET role = 'member' WHERE group_id = %s AND user_id = %s"
                        " AND role = 'moderator'", (group_id, user_id), "rowcount")
    if not moved:
        raise NotFound("moderator")
    yield from roles.audit(actor_id, "remove_moderator", "user", user_id, group_id)


# -- the audit log ----------------------------------------------------------------------------------

_AUDIT_SELECT = (
    "SELECT x.id, x.action, x.target_type, x.target_id, x.reason, x.created_at, "  # noqa: S608
    + user_columns("a", "actor_") + " FROM audit_log x LEFT JOIN users a ON a.id = x.actor_id"
)


def shape_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.AuditEntry`."""
    return {"id": row["id"], "actor": user_summary(row, "actor_"), "action": row["action"],
            "target": {"type": row["target_type"], "id": row["target_id"]}, "reason": row["reason"],
            "created_at": clock.iso(row["created_at"])}


def _id_filter(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**63:
        raise BadRequest(_l("%(name)s: must be a positive integer", name=name))
    return int(raw)


@read_only
def list_audit_log(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``GET /audit-log?action=&actor_id=&group_id=``, newest first: admins read it all, a group's owner
    that group's entries (with ``?group_id=``)."""
    user_id = viewer.require()
    request = parse_page(query)
    where: list[str] = []
    params: list[Any] = []
    group_id = _id_filter(query, "group_id")
    site_role, group_role = yield from roles.standing(user_id, group_id)
    if site_role != "admin" and not (group_id is not None and group_role == "owner"):
        raise Forbidden(_l("Only admins (or a group's owner, with ?group_id=) may read the audit log."))
    if group_id is not None:
        where.append("x.group_id = %s")
        params.append(group_id)
    action = query.get("action")
    if action is not None:
        if action not in AUDIT_ACTIONS:
            raise BadRequest(_l("%(name)s: must be one of: %(choices)s", name="action", choices=", ".join(AUDIT_ACTIONS)))
        where.append("x.action = %s")
        params.append(action)
    actor_id = _id_filter(query, "actor_id")
    if actor_id is not None:
        where.append("x.actor_id = %s")
        params.append(actor_id)
    rows = yield from fetch_page(_AUDIT_SELECT, where, params, NEWEST_FIRST, request)
    return page(rows, request, NEWEST_FIRST.key, shape_entry)


# -- reports ----------------------------------------------------------------------------------------

class ReportedTarget(Body):
    type: ReportTargetType
    id: Annotated[int, Field(gt=0, le=MAX_ID)]


class NewReport(Body):
    target: ReportedTarget
    reason: ReportReason
    note: Note = ""


class ReportDecision(Body):
    resolution: Resolution
    note: Note = ""


_REPORT_SELECT = (
    "SELECT x.id, x.target_type, x.target_id, x.group_id, x.reason, x.note, x.status, x.resolution,"  # noqa: S608
    " x.created_at, x.resolved_at, " + user_columns("r", "reporter_") + ", " + user_columns("v", "resolver_")
    + " FROM reports x JOIN users r ON r.id = x.reporter_id LEFT JOIN users v ON v.id = x.resolver_id"
)


def shape_report(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Report`."""
    return {"id": row["id"], "target": {"type": row["target_type"], "id": row["target_id"]},
            "reason": row["reason"], "note": row["note"], "reporter": user_summary(row, "reporter_"),
            "status": row["status"], "resolution": row["resolution"], "resolver": user_summary(row, "resolver_"),
            "created_at": clock.iso(row["created_at"]), "resolved_at": clock.iso(row["resolved_at"])}


def _report(report_id: int) -> Op[dict[str, Any]]:
    row = yield Query(_REPORT_SELECT + " WHERE x.id = %s", (report_id,), "row")
    if row is None:
        raise NotFound("report")
    return shape_report(row)


def create_report(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """``POST /reports``: anyone signed in reports what they can see; a second open report of theirs: 409."""
    user_id = viewer.require()
    data = parse(NewReport, body)
    kind, target_id = data.target.type, data.target.id
    item = yield from locate(kind, target_id)
    if kind != "user" and not (yield from roles.may_see_in_place(viewer, item)):
        raise NotFound(kind)
    try:
        report_id = yield Query(
            "INSERT INTO reports (target_type, target_id, group_id, reason, note, reporter_id, status, open_flag,"
            " created_at) VALUES (%s, %s, %s, %s, %s, %s, 'open', 1, %s)",
            (kind, target_id, item["group_id"], data.reason, data.note, user_id, clock.db_time()), "lastrowid")
    except Conflict:
        raise Conflict(_l("You have already reported this; a moderator will look at it.")) from None
    return (yield from _report(report_id))


@read_only
def list_reports(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``GET /reports?status=open|resolved&group_id=``, newest first: the reports the caller may act on."""
    user_id = viewer.require()
    request = parse_page(query)
    status = query.get("status", "open")
    if status not in ("open", "resolved"):
        raise BadRequest(_l("status: must be open or resolved"))
    where: list[str] = ["x.status = %s"]
    params: list[Any] = [status]
    group_id = _id_filter(query, "group_id")
    if group_id is not None:
        if not (yield from roles.moderates(viewer, group_id)):
            raise Forbidden(_l("Only the group's owner and moderators may read its reports."))
        where.append("x.group_id = %s")
        params.append(group_id)
    elif not (yield from roles.is_staff(viewer)):
        staffed = yield Query(roles.STAFFED_GROUPS + " LIMIT 1", (user_id,), "value")
        if staffed is None:
            raise Forbidden(_l("Only moderators may read reports."))
        where.append(f"x.group_id IN ({roles.STAFFED_GROUPS})")
        params.append(user_id)
    rows = yield from fetch_page(_REPORT_SELECT, where, params, NEWEST_FIRST, request)
    return page(rows, request, NEWEST_FIRST.key, shape_report)


def resolve_report(viewer: Viewer, report_id: int, body: Any) -> Op[dict[str, Any]]:
    """``PATCH /reports/{id}``: act on the target (dismiss, hide, delete, ban its author) and resolve every
    open report of it together; each reporter gets a ``report_resolved`` notification."""
    data = parse(ReportDecision, body)
    check_id(report_id, "report")
    report = yield Query("SELECT target_type, target_id, group_id, reason, status FROM reports WHERE id = %s",
                         (report_id,), "row")
    if report is None:
        raise NotFound("report")
    actor_id = yield from roles.require_moderator(viewer, report["group_id"])
    if report["status"] != "open":
        raise Conflict(_l("This report has been resolved already."))
    kind, target_id = report["target_type"], report["target_id"]
    if data.resolution != "dismiss":
        yield from _act(viewer, actor_id, kind, target_id, data.resolution, data.note or report["reason"])
    reporters = yield Query("SELECT id, reporter_id FROM reports WHERE target_type = %s AND target_id = %s"
                            " AND open_flag = 1", (kind, target_id))
    yield Query("UPDATE reports SET status = 'resolved', open_flag = NULL, resolution = %s, resolver_id = %s,"
                " resolved_at = %s WHERE target_type = %s AND target_id = %s AND open_flag = 1",
                (data.resolution, actor_id, clock.db_time(), kind, target_id), "rowcount")
    yield from roles.audit(actor_id, "resolve_report", "report", report_id, report["group_id"],
                           f"{data.resolution}: {data.note}".rstrip(": "))
    outcome = {"dismiss": "dismissed", "hide": "hidden", "delete": "deleted", "ban_author": "banned its author"}
    for row in reporters:
        yield from notify(row["reporter_id"], "report_resolved", actor_id, "report", row["id"],
                          f"Your report of a {kind} was resolved: {outcome[data.resolution]}. {data.note}")
    return (yield from _report(report_id))


def _act(viewer: Viewer, actor_id: int, kind: str, target_id: int, resolution: str, reason: str) -> Op[None]:
    """What a resolution does to the target (a target deleted meanwhile: 409, so the report can be dismissed)."""
    row = yield Query(KINDS[kind].locate, (target_id,), "row")
    if row is None:
        raise Conflict(_l("The reported %(what)s no longer exists; dismiss the report.", what=thing(kind)))
    if resolution == "hide":
        if kind == "user":
            raise Invalid.one("resolution", _l("a user cannot be hidden; ban them instead"))
        if row["hidden_at"] is None:
            yield from hide_item(actor_id, kind, target_id, row, reason)
    elif resolution == "delete":
        if kind == "user":
            raise Invalid.one("resolution", _l("a user cannot be deleted here; ban them instead"))
        yield from _delete(viewer, kind, target_id)
    else:   # ban_author: site staff ban from the site, a group's staff from their group
        author = row["user_id"]
        if (yield from roles.is_staff(viewer)):
            yield from bans.ban(actor_id, author, roles.SITE, None, reason)
        else:
            yield from bans.ban(actor_id, author, row["group_id"], None, reason)


def _delete(viewer: Viewer, kind: str, item_id: int) -> Op[None]:
    """Delete content through its own operation (author or moderator; a moderator's delete is audited)."""
    if kind == "post":
        yield from posts.delete_post(viewer, item_id)
    elif kind == "question":
        yield from questions.delete_question(viewer, item_id)
    else:
        thread = KINDS[kind].thread
        assert thread is not None
        yield from threads.delete(thread, viewer, item_id)


def page_action(viewer: Viewer, kind: str, item_id: int, action: str, body: Mapping[str, Any]) -> Op[None]:
    """The pages' buttons on a post, comment, question or answer: ``hide`` (with a reason), ``restore``, ``delete``."""
    if kind not in CONTENT_TYPES or action not in ("hide", "restore", "delete"):
        raise NotFound("page")
    if action == "hide":
        yield from _hide(viewer, kind, item_id, parse(Hide, body))
    elif action == "restore":
        yield from _restore(viewer, kind, item_id)
    else:
        yield from _delete(viewer, kind, item_id)
