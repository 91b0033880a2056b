"""Likes on posts, comments and answers, written once and parameterised by a :class:`LikeTarget`.

A like is a row in ``<target>_likes`` whose primary key is (target, user), so it is unique; the
target's ``like_count`` moves in the same transaction, so the count is exact under any number of
concurrent likers.

Lock order, to avoid MySQL's classic deadlock: inserting a like makes the foreign-key check take a
*shared* lock on the liked row; if the counter UPDATE came second, two likers would each hold the
shared lock and wait for the other's to upgrade it. So both ``like`` and ``unlike`` UPDATE the
counter *first* (an exclusive lock, taken once), then insert or delete the like row, and undo the
counter move when that changed nothing (already liked, or not liked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.auth import Viewer
from shared.clock import db_time
from shared.errors import Conflict, NotFound
from shared.search_text import plain_text
from shared.storage.effects import Op, Query
from shared.storage.notifications import notify
from shared.validation import check_id


@dataclass(frozen=True, slots=True)
class LikeTarget:
    """The names that make the shared logic about post, comment or answer likes."""

    table: str                  # "comments": the liked rows, with like_count and user_id (the author)
    like_table: str             # "comment_likes": one row per (target, user)
    like_column: str            # "comment_id"
    what: str                   # "comment": the 404 message
    page_type: str              # "post": the notification points at the page the item is on ...
    page_column: str            # "post_id": ... whose id is here ("id" for a post itself)
    excerpt_column: str         # "content", or "title" for a post
    # What else must follow the count (a post's hot score), called with the target's id.
    on_change: Callable[[int], Op[Any]] | None = None


EXCERPT_CHARS = 120


def excerpt(text: str, rendered: bool = False) -> str:
    """A notification's one-line preview in plain text: white space collapsed, cut at a readable length.

    ``rendered``: ``text`` is Markdown rendered to HTML (a comment's ``content_html``), of which only
    the words are kept, never its markup or the Markdown syntax."""
    flat = " ".join((plain_text(text) if rendered else text).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def _move(target: LikeTarget, item_id: int, delta: int) -> Op[int]:
    moved: int = yield Query(f"UPDATE {target.table} SET like_count = like_count + %s WHERE id = %s",  # noqa: S608
                             (delta, item_id), "rowcount")
    return moved


def like(target: LikeTarget, viewer: Viewer, item_id: int) -> Op[dict[str, Any]]:
    """Like once (idempotent); the author is notified when the like is new."""
    user_id = viewer.require()
    check_id(item_id, target.what)
    if not (yield from _move(target, item_id, +1)):               # counter first: see the module doc
        raise NotFound(target.what)
    try:
        yield Query(f"INSERT INTO {target.like_table} ({target.like_column}, user_id, created_at)"  # noqa: S608
                    " VALUES (%s, %s, %s)", (item_id, user_id, db_time()), "rowcount")
        new = True
    except Conflict:                                               # already liked: undo the bump
        yield from _move(target, item_id, -1)
        new = False
    row = yield Query(f"SELECT like_count, user_id, {target.page_column} AS page_id,"  # noqa: S608
                      f" {target.excerpt_column} AS excerpt FROM {target.table} WHERE id = %s",
                      (item_id,), "row")
    if new:
        if target.on_change is not None:
            yield from target.on_change(item_id)
        yield from notify(row["user_id"], "like", user_id, target.page_type, row["page_id"],
                          excerpt(row["excerpt"], rendered=target.excerpt_column == "content_html"), (target.what, item_id))
    return {"liked": True, "like_count": row["like_count"]}


def unlike(target: LikeTarget, viewer: Viewer, item_id: int) -> Op[dict[str, Any]]:
    """Take a like back (idempotent)."""
    user_id = viewer.require()
    check_id(item_id, target.what)
    if not (yield from _move(target, item_id, -1)):               # counter first, as in like()
        raise NotFound(target.what)
    removed = yield Query(f"DELETE FROM {target.like_table} WHERE {target.like_column} = %s AND user_id = %s",  # noqa: S608
                          (item_id, user_id), "rowcount")
    if removed:
        if target.on_change is not None:
            yield from target.on_change(item_id)
    else:                                                          # was not liked: undo the move
        yield from _move(target, item_id, +1)
    count = yield Query(f"SELECT like_count FROM {target.table} WHERE id = %s", (item_id,), "value")  # noqa: S608
    return {"liked": False, "like_count": count}


def liked_ids(target: LikeTarget, viewer: Viewer, ids: Sequence[int]) -> Op[set[int]]:
    """Which of ``ids`` the viewer likes: one query for a whole page, none for an anonymous viewer."""
    if viewer.user_id is None or not ids:
        return set()
    placeholders = ", ".join(["%s"] * len(ids))
    rows = yield Query(f"SELECT {target.like_column} AS id FROM {target.like_table}"  # noqa: S608
                       f" WHERE user_id = %s AND {target.like_column} IN ({placeholders})",
                       (viewer.user_id, *ids))
    return {row["id"] for row in rows}
