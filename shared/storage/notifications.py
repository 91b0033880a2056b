"""Notifications: made inside the transaction of the event that causes them, read by their recipient.

``notify`` is not an endpoint but a step other operations take with ``yield from``, so a comment and
the notification it causes are written together or not at all:

    comment_id = yield Query("INSERT INTO comments ...", (...), "lastrowid")
    yield from notify(post_author_id, "comment", viewer_id, "post", post_id, content)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, get_args

from pydantic import Field, model_validator

from shared.auth import Viewer
from shared.clock import db_time, iso
from shared.errors import BadRequest
from shared.i18n import _l
from shared.markdown import mentions
from shared.pagination import NOT_THIS_LIST, page, parse_page
from shared.shapes import NotificationKind, user_columns, user_summary
from shared.storage.effects import Op, Publish, Query, Send, read_only
from shared.validation import MAX_ID, Body, parse, query_flag

KINDS = frozenset(get_args(NotificationKind))
EXCERPT_CHARS = 200
MAX_IDS = 100


def notify(user_id: int, kind: str, actor_id: int | None, target_type: str, target_id: int,
           excerpt: str, source: tuple[str, int] | None = None) -> Op[int | None]:
    """Tell ``user_id`` that ``actor_id`` did ``kind`` to a target; nobody is told about their own acts.

    ``source`` names the post, comment, question or answer the excerpt quotes: while it (or what it
    hangs off) is hidden or deleted, the notification is left out of every list and count (:data:`VISIBLE`).
    Returns the new notification's id, or None when it was skipped. Once the transaction commits,
    the runner publishes it to the user's open WebSockets; its e-mail copy is queued with it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if user_id == actor_id:
        return None
    new_id: int = yield Query(
        "INSERT INTO notifications (user_id, kind, actor_id, target_type, target_id, excerpt, source_type, source_id,"
        " is_read, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s)",
        (user_id, kind, actor_id, target_type, target_id, excerpt.strip()[:EXCERPT_CHARS],
         *(source or (None, None)), db_time()),
        "lastrowid",
    )
    yield Publish(user_id, new_id)
    # its e-mail copy, if the user wants one message each (shared.storage.watching)
    yield Send("notification", {"user_id": user_id, "kind": kind, "target_type": target_type,
                                "target_id": target_id, "excerpt": excerpt.strip()[:EXCERPT_CHARS]},
               user_id, notification=True)
    return new_id


def notify_mentions(text: str, actor_id: int, target_type: str, target_id: int, excerpt: str,
                    exclude: set[int], source: tuple[str, int] | None = None) -> Op[None]:
    """Notify every existing user ``@mentioned`` in ``text`` (one SELECT for all of them).

    ``exclude`` names users the event already notified (the post's author told of a comment is not
    told again that they were mentioned in it).
    """
    names = mentions(text)
    if not names:
        return
    placeholders = ", ".join(["%s"] * len(names))
    rows = yield Query(f"SELECT id FROM users WHERE username IN ({placeholders})", tuple(names))  # noqa: S608
    for row in rows:
        if row["id"] not in exclude:
            yield from notify(row["id"], "mention", actor_id, target_type, target_id, excerpt, source)


def shape_notification(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Notification`."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "actor": user_summary(row, "actor_"),
        "target": {"type": row["target_type"], "id": row["target_id"]},
        "excerpt": row["excerpt"],
        "read": bool(row["is_read"]),
        "created_at": iso(row["created_at"]),
    }


# A notification about hidden content leaves every list and count (API.md §6) and comes back on
# restore: the page it is about (post, question), its source item and that item's parent are JOINed
# by primary key, so a page of them is still one query. Gone counts as hidden; a NULL source (groups,
# reports, rows older than migration 0013) is judged by its page alone.
VISIBLE_JOINS = (
    " LEFT JOIN posts tp ON n.target_type = 'post' AND tp.id = n.target_id"
    " LEFT JOIN questions tq ON n.target_type = 'question' AND tq.id = n.target_id"
    " LEFT JOIN comments sc ON n.source_type = 'comment' AND sc.id = n.source_id"
    " LEFT JOIN comments scp ON scp.id = sc.parent_id"
    " LEFT JOIN answers sa ON n.source_type = 'answer' AND sa.id = n.source_id"
    " LEFT JOIN answers sap ON sap.id = sa.parent_id"
)
VISIBLE = (
    " AND (n.target_type <> 'post' OR (tp.id IS NOT NULL AND tp.hidden_at IS NULL))"
    " AND (n.target_type <> 'question' OR (tq.id IS NOT NULL AND tq.hidden_at IS NULL))"
    " AND (COALESCE(n.source_type, '') <> 'comment'"
    " OR (sc.id IS NOT NULL AND sc.hidden_at IS NULL AND scp.hidden_at IS NULL))"
    " AND (COALESCE(n.source_type, '') <> 'answer'"
    " OR (sa.id IS NOT NULL AND sa.hidden_at IS NULL AND sap.hidden_at IS NULL))"
)

# Identifiers from constants only; every value is a bound parameter.
_SELECT = (
    "SELECT n.id, n.kind, n.target_type, n.target_id, n.excerpt, n.is_read, n.created_at, "  # noqa: S608
    + user_columns("a", "actor_")
    + " FROM notifications n LEFT JOIN users a ON a.id = n.actor_id" + VISIBLE_JOINS + " WHERE n.user_id = %s"
    + VISIBLE
)


@read_only
def get_notification(viewer: Viewer, notification_id: int) -> Op[dict[str, Any] | None]:
    """One of the caller's notifications, in its public shape (what the WebSocket pushes)."""
    row = yield Query(_SELECT + " AND n.id = %s", (viewer.require(), notification_id), "row")
    return shape_notification(row) if row else None


@read_only
def list_notifications(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """The caller's notifications, newest first; ``?unread=true`` for the unread ones only."""
    user_id = viewer.require()
    request = parse_page(query)
    sql, params = _SELECT, [user_id]
    if query_flag(query, "unread"):
        sql += " AND n.is_read = 0"
    if request.after is not None:
        if len(request.after) != 1 or type(request.after[0]) is not int:
            raise BadRequest(NOT_THIS_LIST)
        sql += " AND n.id < %s"
        params.append(request.after[0])
    rows = yield Query(sql + " ORDER BY n.id DESC LIMIT %s", (*params, request.fetch))
    return page(rows, request, lambda r: [r["id"]], shape_notification)


# Where the title of what a notification is about lives: its post's, question's or group's.
_TITLES = {"post": "SELECT id, title FROM posts WHERE hidden_at IS NULL AND id IN ",
           "question": "SELECT id, title FROM questions WHERE hidden_at IS NULL AND id IN ",
           "group": "SELECT id, name AS title FROM forum_groups WHERE id IN "}


@read_only
def target_titles(items: list[dict[str, Any]]) -> Op[dict[tuple[str, int], str]]:
    """The titles of the pages a list of notifications is about, ``{(type, id): title}``, one query per
    type; a hidden or deleted one has none (the page says "a post")."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        wanted.setdefault(item["target"]["type"], set()).add(item["target"]["id"])
    titles: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if kind in _TITLES:
            rows = yield Query(_TITLES[kind] + "(" + ", ".join(["%s"] * len(ids)) + ")", tuple(sorted(ids)))
            titles.update({(kind, row["id"]): row["title"] for row in rows})
    return titles


@read_only
def unread_count(viewer: Viewer) -> Op[dict[str, int]]:
    count = yield Query("SELECT COUNT(*) FROM notifications n" + VISIBLE_JOINS  # noqa: S608
                        + " WHERE n.user_id = %s AND n.is_read = 0" + VISIBLE, (viewer.require(),), "value")
    return {"count": int(count or 0)}


@read_only
def events_after(viewer: Viewer, after: int | None) -> Op[dict[str, Any]]:
    """What the event stream (``GET /api/v1/events``) sends next: the caller's notifications after id
    ``after``, oldest first (at most ``MAX_IDS``; ``more`` says whether others follow), the id to
    resume after (``last_id``) and the unread count as it is now.

    With ``after`` None (a stream that resumes nothing) no notifications: ``last_id`` is the newest
    one's id, the place from which that stream's later reads go on.
    """
    user_id = viewer.require()
    if after is None:
        newest = yield Query("SELECT MAX(id) FROM notifications WHERE user_id = %s", (user_id,), "value")
        rows, last_id = [], int(newest or 0)
    else:
        rows = yield Query(_SELECT + " AND n.id > %s ORDER BY n.id LIMIT %s", (user_id, after, MAX_IDS + 1))
        last_id = rows[min(len(rows), MAX_IDS) - 1]["id"] if rows else after
    unread = yield from unread_count(viewer)
    return {"notifications": [shape_notification(row) for row in rows[:MAX_IDS]], "last_id": last_id,
            "count": unread["count"], "more": len(rows) > MAX_IDS}


class MarkRead(Body):
    ids: Annotated[list[Annotated[int, Field(gt=0, le=MAX_ID)]], Field(max_length=MAX_IDS)] | None = None
    all: bool | None = None

    @model_validator(mode="after")
    def one_of(self) -> MarkRead:
        if (self.ids is None) == (self.all is None) or self.all is False:
            raise ValueError(_l("send either {ids: [...]} or {all: true}"))
        return self


def mark_read(viewer: Viewer, body: Any) -> Op[None]:
    """Mark some (``{ids: [...]}``, at most 100) or all (``{all: true}``) of the caller's own as read.

    Ids that are not the caller's are ignored, so nobody can learn which ids exist.
    """
    user_id = viewer.require()
    data = parse(MarkRead, body)
    sql = "UPDATE notifications SET is_read = 1 WHERE user_id = %s AND is_read = 0"
    if data.ids is not None:
        if not data.ids:
            return
        sql += " AND id IN (" + ", ".join(["%s"] * len(data.ids)) + ")"
    changed = yield Query(sql, (user_id, *(data.ids or ())), "rowcount")
    if changed:   # the unread count moved: tell the user's open WebSockets
        yield Publish(user_id)
