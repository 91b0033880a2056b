"""Bookmarks and unread (API.md §10): a user keeps posts and questions, and sees what is new in them.

A bookmark is a row in ``bookmarks``, unique per (user, type, target): ``PUT`` twice keeps the first
one (its time), ``DELETE`` of none changes nothing. ``GET /me/bookmarks`` lists them newest first,
leaving out targets that are hidden or gone.

Unread: opening a post or question (``GET /posts/{id}``, ``GET /questions/{id}``, and so its page)
as a signed-in user records a visit: the newest comment or answer id at that moment
(``last_visits.seen_id``). What arrived after it, visible and written by someone else, is unread:
``unread_comments`` / ``unread_answers``. Never opened: 0 (nothing to compare against), as for an
anonymous caller. The answer of the opening itself still counts what was new before it, so the page
can mark the first unread item; the next opening answers 0.

:func:`reader_marks` gives ``bookmarked`` and the unread count for a whole page of posts or
questions in ONE statement, so every list can show "3 new".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import Conflict, NotFound
from shared.pagination import page, parse_page
from shared.shapes import AUTHOR_COLUMNS, user_summary
from shared.storage.effects import Op, Query, read_only
from shared.storage.roles import may_see
from shared.storage.threads import Keyset, fetch_page
from shared.validation import check_id


@dataclass(frozen=True, slots=True)
class Kind:
    """A post or a question, as bookmarks and visits name it."""

    what: str              # "post": target_type, and the 404 message
    table: str             # "posts"
    items: str             # "comments": what arrives in it
    items_column: str      # "post_id"
    group_column: str | None   # "group_id": whose moderators see it hidden


POST = Kind("post", "posts", "comments", "post_id", "group_id")
QUESTION = Kind("question", "questions", "answers", "question_id", None)
KINDS = {"post": POST, "question": QUESTION}

NEWEST = Keyset(("b.id",))                  # index ix_bookmarks_user (user_id, id)


# -- marks for a page ---------------------------------------------------------------------------------

def reader_marks(kind: Kind, viewer: Viewer, ids: Sequence[int]) -> Op[dict[int, tuple[bool, int]]]:
    """``{id: (bookmarked, unread)}`` for a page of posts or questions: one statement, none when anonymous.

    Ids missing from the answer are (False, 0). Each subquery is an index lookup: the bookmark's unique
    key, the visit's primary key, and a range on ``ix_<items>_..._all (container, id)``."""
    if viewer.user_id is None or not ids:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    user = viewer.user_id
    rows = yield Query(
        f"SELECT t.id,"  # noqa: S608
        f" (SELECT COUNT(*) FROM bookmarks b WHERE b.user_id = %s AND b.target_type = %s AND b.target_id = t.id)"
        f" AS bookmarked,"
        f" (SELECT COUNT(*) FROM last_visits v JOIN {kind.items} i ON i.{kind.items_column} = v.target_id"
        f" AND i.id > v.seen_id WHERE v.user_id = %s AND v.target_type = %s AND v.target_id = t.id"
        f" AND i.hidden_at IS NULL AND i.user_id <> %s) AS unread"
        f" FROM {kind.table} t WHERE t.id IN ({placeholders})",
        (user, kind.what, user, kind.what, user, *ids))
    return {row["id"]: (bool(row["bookmarked"]), int(row["unread"])) for row in rows}


def last_seen(kind: Kind, viewer: Viewer, target_id: int) -> Op[int | None]:
    """The newest item id the viewer had seen at their last visit (None: never opened, or anonymous)."""
    check_id(target_id, kind.what)
    if viewer.user_id is None:
        return None
    seen: int | None = yield Query(
        "SELECT seen_id FROM last_visits WHERE user_id = %s AND target_type = %s AND target_id = %s",
        (viewer.user_id, kind.what, target_id), "value")
    return seen


def record_visit(kind: Kind, viewer: Viewer, target_id: int) -> Op[None]:
    """The viewer has opened it now: everything in it so far is seen (a step of ``get_post``/``get_question``).

    Called after the view counter's UPDATE locked the container's row, so two openings of one thread
    never race here (no gap-lock deadlock on the first visit's INSERT)."""
    if viewer.user_id is None:
        return
    newest = yield Query(f"SELECT MAX(id) FROM {kind.items} WHERE {kind.items_column} = %s",  # noqa: S608
                         (target_id,), "value")
    now = clock.db_time()
    key = (viewer.user_id, kind.what, target_id)
    moved = yield Query("UPDATE last_visits SET seen_id = %s, visited_at = %s"
                        " WHERE user_id = %s AND target_type = %s AND target_id = %s",
                        (newest or 0, now, *key), "rowcount")
    if not moved:
        try:
            yield Query("INSERT INTO last_visits (user_id, target_type, target_id, seen_id, visited_at)"
                        " VALUES (%s, %s, %s, %s, %s)", (*key, newest or 0, now), "rowcount")
        except Conflict:
            pass


def forget(kind: Kind, target_id: int) -> Op[None]:
    """A post or question is being deleted: its bookmarks and visits go with it (a step of its delete)."""
    for table in ("bookmarks", "last_visits"):
        yield Query(f"DELETE FROM {table} WHERE target_type = %s AND target_id = %s",  # noqa: S608
                    (kind.what, target_id), "rowcount")


# -- bookmarking --------------------------------------------------------------------------------------

def _visible(kind: Kind, viewer: Viewer, target_id: int) -> Op[None]:
    """404 unless the target exists and the viewer may see it (hidden: its author and moderators)."""
    check_id(target_id, kind.what)
    group = kind.group_column or "NULL"
    row = yield Query(f"SELECT user_id, hidden_at, {group} AS group_id FROM {kind.table} WHERE id = %s",  # noqa: S608
                      (target_id,), "row")
    if row is None or not (yield from may_see(viewer, row, row["group_id"])):
        raise NotFound(kind.what)


def _bookmark(kind: Kind, viewer: Viewer, target_id: int) -> Op[None]:
    user_id = viewer.require()
    yield from _visible(kind, viewer, target_id)
    try:
        yield Query("INSERT INTO bookmarks (user_id, target_type, target_id, created_at) VALUES (%s, %s, %s, %s)",
                    (user_id, kind.what, target_id, clock.db_time()), "rowcount")
    except Conflict:                       # already kept: idempotent, the first time stays
        pass


def _unbookmark(kind: Kind, viewer: Viewer, target_id: int) -> Op[None]:
    user_id = viewer.require()
    yield from _visible(kind, viewer, target_id)
    yield Query("DELETE FROM bookmarks WHERE user_id = %s AND target_type = %s AND target_id = %s",
                (user_id, kind.what, target_id), "rowcount")


def bookmark_post(viewer: Viewer, post_id: int) -> Op[None]:
    yield from _bookmark(POST, viewer, post_id)


def unbookmark_post(viewer: Viewer, post_id: int) -> Op[None]:
    yield from _unbookmark(POST, viewer, post_id)


def bookmark_question(viewer: Viewer, question_id: int) -> Op[None]:
    yield from _bookmark(QUESTION, viewer, question_id)


def unbookmark_question(viewer: Viewer, question_id: int) -> Op[None]:
    yield from _unbookmark(QUESTION, viewer, question_id)


# -- the list -----------------------------------------------------------------------------------------

_SELECT = (
    "SELECT b.id, b.target_type, b.target_id, b.created_at AS bookmarked_at,"  # noqa: S608
    " COALESCE(p.title, q.title) AS title, COALESCE(p.created_at, q.created_at) AS created_at, p.group_id,"
    " COALESCE(p.comment_count, q.answer_count) AS reply_count, " + AUTHOR_COLUMNS
    + " FROM bookmarks b"
    " LEFT JOIN posts p ON b.target_type = 'post' AND p.id = b.target_id"
    " LEFT JOIN questions q ON b.target_type = 'question' AND q.id = b.target_id"
    " LEFT JOIN users u ON u.id = COALESCE(p.user_id, q.user_id)"
)
_SHOWN = ("((p.id IS NOT NULL AND p.hidden_at IS NULL)"
          " OR (q.id IS NOT NULL AND q.hidden_at IS NULL))")


def shape_bookmark(row: Mapping[str, Any], unread: int) -> dict[str, Any]:
    """A :class:`shared.shapes.Bookmark`."""
    return {
        "type": row["target_type"],
        "id": row["target_id"],
        "title": row["title"],
        "author": user_summary(row, "author_"),
        "group_id": row["group_id"],
        "reply_count": row["reply_count"],
        "unread": unread,
        "created_at": clock.iso(row["created_at"]),
        "bookmarked_at": clock.iso(row["bookmarked_at"]),
    }


@read_only
def list_bookmarks(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``GET /me/bookmarks``: the caller's bookmarks, newest first; hidden or deleted targets left out.

    A page costs three statements: the page, and the unread counts of its posts and of its questions."""
    user_id = viewer.require()
    request = parse_page(query)
    rows = yield from fetch_page(_SELECT, ["b.user_id = %s", _SHOWN], [user_id], NEWEST, request)
    shown = rows[: request.limit]
    unread: dict[tuple[str, int], int] = {}
    for kind in KINDS.values():
        ids = [r["target_id"] for r in shown if r["target_type"] == kind.what]
        marks = yield from reader_marks(kind, viewer, ids)
        unread.update({(kind.what, target): count for target, (_, count) in marks.items()})
    return page(rows, request, NEWEST.key, lambda r: shape_bookmark(r, unread.get((r["target_type"], r["target_id"]), 0)))
