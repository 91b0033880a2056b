"""The history of an edited post, comment, question or answer (API.md §10): ``GET /{kind}s/{id}/revisions``.

The versions are written by the edits themselves (:func:`shared.storage.threads.revise`), in the
edit's transaction: the original on the first edit, then one per edit. Here they are only read,
newest first, by whoever may see the item (a hidden item's history is as hidden as the item).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import Forbidden, NotFound
from shared.i18n import _l
from shared.pagination import page, parse_page
from shared.shapes import user_columns, user_summary
from shared.storage import roles
from shared.storage.effects import Op, Query, read_only
from shared.storage.moderation import locate
from shared.storage.threads import Keyset, fetch_page

ONLY_AUTHOR = {"post": _l("Only its author may edit a post."), "comment": _l("Only its author may edit a comment."),
               "question": _l("Only its author may edit a question."), "answer": _l("Only its author may edit an answer.")}

NEWEST_FIRST = Keyset(("r.id",))            # index ix_revisions_target (target_type, target_id, id)
_SELECT = ("SELECT r.id, r.title, r.content, r.created_at, " + user_columns("u", "editor_")  # noqa: S608
           + " FROM revisions r LEFT JOIN users u ON u.id = r.editor_id")


def shape_revision(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Revision`."""
    return {
        "id": row["id"],
        "editor": user_summary(row, "editor_"),
        "title": row["title"],
        "content": row["content"],
        "created_at": clock.iso(row["created_at"]),
    }


@read_only
def list_revisions(viewer: Viewer, kind: str, item_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Every version of one item, newest first; none for an item never edited."""
    item = yield from locate(kind, item_id)
    if not (yield from roles.may_see_in_place(viewer, item)):
        raise NotFound(kind)
    request = parse_page(query)
    rows = yield from fetch_page(_SELECT, ["r.target_type = %s", "r.target_id = %s"], [kind, item_id],
                                 NEWEST_FIRST, request)
    return page(rows, request, NEWEST_FIRST.key, shape_revision)


def list_post_revisions(viewer: Viewer, post_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    return (yield from list_revisions(viewer, "post", post_id, query))


def list_comment_revisions(viewer: Viewer, comment_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    return (yield from list_revisions(viewer, "comment", comment_id, query))


def list_question_revisions(viewer: Viewer, question_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    return (yield from list_revisions(viewer, "question", question_id, query))


def list_answer_revisions(viewer: Viewer, answer_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    return (yield from list_revisions(viewer, "answer", answer_id, query))


# What an edit form starts from: the item's text now (comments and answers have no title).
_TEXT = {
    "post": "SELECT title, content, NULL AS category FROM posts WHERE id = %s",
    "comment": "SELECT NULL AS title, content, NULL AS category FROM comments WHERE id = %s",
    "question": "SELECT title, content, category FROM questions WHERE id = %s",
    "answer": "SELECT NULL AS title, content, NULL AS category FROM answers WHERE id = %s",
}


def item_path(kind: str, item_id: int, container_id: int) -> str:
    """The page an item is shown on: its own, or its post's or question's at the item."""
    if kind in ("post", "question"):
        return f"/{kind}s/{item_id}"
    return f"/{'posts' if kind == 'comment' else 'questions'}/{container_id}#{kind}-{item_id}"


@read_only
def current_text(viewer: Viewer, kind: str, item_id: int, editing: bool = False) -> Op[dict[str, Any]]:
    """An item's text as the viewer may see it, and where it is shown: what the edit and history pages
    start from. ``editing``: the viewer must be its author (403), as the edit itself will check."""
    item = yield from locate(kind, item_id)
    if not (yield from roles.may_see_in_place(viewer, item)):
        raise NotFound(kind)
    if editing and item["user_id"] != viewer.require():
        raise Forbidden(ONLY_AUTHOR[kind])
    text = yield Query(_TEXT[kind], (item_id,), "row")
    return {"kind": kind, "id": item_id, "title": text["title"], "content": text["content"],
            "category": text["category"], "path": item_path(kind, item_id, item["container_id"])}
