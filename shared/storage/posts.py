"""Posts in groups: list (pinned first, or hot), write, read (counting a view), edit, pin, lock, like.

Who may do what: members (and the owner) of a group post in it; a post's author edits its title
and content; the group's owner pins and locks posts (and may not rewrite other people's words);
the author or the group's owner deletes one. An empty edit changes nothing and answers the post.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import Forbidden, NotFound
from shared.i18n import _l
from shared.pagination import PageRequest, page, parse_page
from shared.ranking import hot_score
from shared.shapes import AUTHOR_COLUMNS, user_summary
from shared.storage import bookmarks, likes, search, watching
from shared.storage.effects import Op, Query, read_only
from shared.storage.groups import membership_role
from shared.storage.notifications import notify_mentions
from shared.storage.roles import audit, may_see, require_moderator, visible_filter
from shared.storage.threads import (
    Container,
    Keyset,
    LongText,
    Title,
    count_view,
    delete_container,
    edit,
    exists,
    fetch_page,
    hidden_marks,
    parse_sort,
    refresh_hot,
    render,
    revise,
)
from shared.validation import Body, check_id, parse


class NewPost(Body):
    title: Title
    content: LongText


class PostEdit(Body):
    """Every field optional; the author sends title/content, the group's owner pinned/locked."""

    title: Title | None = None
    content: LongText | None = None
    pinned: bool | None = None
    locked: bool | None = None


POSTS = Container(table="posts", what="post", counter="comment_count", likes="like_count", items="comments",
                  items_column="post_id", group_column="group_id")
POST_LIKES = likes.LikeTarget(table="posts", like_table="post_likes", like_column="post_id", what="post",
                              page_type="post", page_column="id", excerpt_column="title",
                              on_change=partial(refresh_hot, POSTS))

NEW = Keyset(("p.pinned", "p.id"))          # index ix_posts_group_new (group_id, pinned, id)
HOT = Keyset(("p.hot_score", "p.id"))       # index ix_posts_group_hot (group_id, hot_score, id)
LATEST = Keyset(("p.id",))                  # index ix_posts_user (user_id, id)

# What a list's rows hold: what shape_post and the keyset read, and nothing more (each column costs every
# row its parsing in the driver). One post adds its author's id, for may_see; a list filters in SQL.
_COLUMNS = (
    "p.id, p.group_id, p.title, p.content, p.content_html, p.pinned, p.locked, p.view_count,"
    " p.comment_count, p.like_count, p.hot_score, p.created_at, p.updated_at, p.edited_at, p.hidden_at,"
    " p.hidden_reason, " + AUTHOR_COLUMNS
)
_LIST = f"SELECT {_COLUMNS} FROM posts p JOIN users u ON u.id = p.user_id"  # noqa: S608
_SELECT = f"SELECT {_COLUMNS}, p.user_id FROM posts p JOIN users u ON u.id = p.user_id"  # noqa: S608


def shape_post(row: Mapping[str, Any], liked: bool, marks: tuple[bool, int] = (False, 0)) -> dict[str, Any]:
    """A :class:`shared.shapes.Post` (``tests/test_shapes.py`` holds the two together); ``marks`` is the
    caller's (bookmarked, unread comments), from :func:`shared.storage.bookmarks.reader_marks`."""
    return {
        "id": row["id"],
        "group_id": row["group_id"],
        "author": user_summary(row, "author_"),
        "title": row["title"],
        "content": row["content"],
        "content_html": row["content_html"],
        "pinned": bool(row["pinned"]),
        "locked": bool(row["locked"]),
        "view_count": row["view_count"],
        "comment_count": row["comment_count"],
        "like_count": row["like_count"],
        "liked": liked,
        "created_at": clock.iso(row["created_at"]),
        "updated_at": clock.iso(row["updated_at"]),
        "edited_at": clock.iso(row["edited_at"]),
        "bookmarked": marks[0],
        "unread_comments": marks[1],
        **hidden_marks(row),
    }


def _page(viewer: Viewer, rows: list[dict[str, Any]], request: PageRequest, order: Keyset) -> Op[dict[str, Any]]:
    ids = [r["id"] for r in rows[: request.limit]]
    liked = yield from likes.liked_ids(POST_LIKES, viewer, ids)
    marks = yield from bookmarks.reader_marks(bookmarks.POST, viewer, ids)
    return page(rows, request, order.key, lambda r: shape_post(r, r["id"] in liked, marks.get(r["id"], (False, 0))))


def _row(post_id: int) -> Op[dict[str, Any]]:
    row = yield Query(_SELECT + " WHERE p.id = %s", (post_id,), "row")
    if row is None:
        raise NotFound("post")
    return row


def _one(viewer: Viewer, post_id: int) -> Op[dict[str, Any]]:
    """The post as the viewer may see it: a hidden post is 404 but to its author and its moderators."""
    row = yield from _row(post_id)
    if not (yield from may_see(viewer, row, row["group_id"])):
        raise NotFound("post")
    liked = yield from likes.liked_ids(POST_LIKES, viewer, [post_id])
    marks = yield from bookmarks.reader_marks(bookmarks.POST, viewer, [post_id])
    return shape_post(row, post_id in liked, marks.get(post_id, (False, 0)))


@read_only
def list_group_posts(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``?sort=new`` (default): pinned posts first, then newest; ``?sort=hot``: by stored hot score."""
    check_id(group_id, "group")
    order = HOT if parse_sort(query) == "hot" else NEW
    request = parse_page(query)
    hidden, params = visible_filter(viewer, "p", "p.group_id")
    rows = yield from fetch_page(_LIST, ["p.group_id = %s", *hidden], [group_id, *params], order, request)
    if not rows and not (yield from exists("forum_groups", group_id)):
        raise NotFound("group")
    return (yield from _page(viewer, rows, request, order))


@read_only
def list_user_posts(viewer: Viewer, user_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """One user's posts, newest first."""
    check_id(user_id, "user")
    request = parse_page(query)
    hidden, params = visible_filter(viewer, "p", "p.group_id")
    rows = yield from fetch_page(_LIST, ["p.user_id = %s", *hidden], [user_id, *params], LATEST, request)
    if not rows and not (yield from exists("users", user_id)):
        raise NotFound("user")
    return (yield from _page(viewer, rows, request, LATEST))


@read_only
def list_latest_posts(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """The newest posts of all groups (the primary key's order: no extra index needed)."""
    request = parse_page(query)
    hidden, params = visible_filter(viewer, "p", "p.group_id")
    rows = yield from fetch_page(_LIST, hidden, params, LATEST, request)
    return (yield from _page(viewer, rows, request, LATEST))


def create_post(viewer: Viewer, group_id: int, body: Any) -> Op[dict[str, Any]]:
    """A member (or the owner) posts in a group; the group's post_count moves with it."""
    user_id = viewer.require()
    check_id(group_id, "group")
    data = parse(NewPost, body)
    html = yield from render(data.content)                       # CPU first: no transaction is open yet
    found = yield from search.terms(data.title, data.content)
    if (yield from membership_role(group_id, user_id)) is None:
        if not (yield from exists("forum_groups", group_id)):
            raise NotFound("group")
        raise Forbidden(_l("Only members of the group may post in it."))
    moved = yield Query("UPDATE forum_groups SET post_count = post_count + 1 WHERE id = %s", (group_id,), "rowcount")
    if not moved:
        raise NotFound("group")
    now = clock.now()
    post_id = yield Query(
        "INSERT INTO posts (group_id, user_id, title, content, content_html, hot_score, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (group_id, user_id, data.title, data.content, html, hot_score(0, 0, now), clock.db_time(now),
         clock.db_time(now)),
        "lastrowid")
    yield from search.add("post", post_id, found, post_id)
    yield from watching.add_watch(user_id, "post", post_id)   # authors watch what they write
    yield from notify_mentions(data.content, user_id, "post", post_id, data.title, {user_id}, ("post", post_id))
    return shape_post((yield from _row(post_id)), liked=False)


def get_post(viewer: Viewer, post_id: int) -> Op[dict[str, Any]]:
    """A post; reading it counts one view (so this is a write), unless the reader wrote it, and records
    a signed-in reader's visit (its ``unread_comments`` are those before this visit)."""
    yield from count_view(POSTS, post_id, viewer)
    post = yield from _one(viewer, post_id)
    yield from bookmarks.record_visit(bookmarks.POST, viewer, post_id)
    return post


def update_post(viewer: Viewer, post_id: int, body: Any) -> Op[dict[str, Any]]:
    """The author edits title/content; the group's owner pins/locks. Mentions in an edit notify nobody."""
    user_id = viewer.require()
    check_id(post_id, "post")
    data = parse(PostEdit, body)
    html = (yield from render(data.content)) if data.content is not None else None
    found = yield from search.terms(data.title, data.content)
    post = yield Query("SELECT user_id, group_id FROM posts WHERE id = %s", (post_id,), "row")
    if post is None:
        raise NotFound("post")
    is_author = post["user_id"] == user_id
    rewrites = data.title is not None or data.content is not None
    moderates = data.pinned is not None or data.locked is not None
    if rewrites and not is_author:
        raise Forbidden(_l("Only its author may edit a post's title or content."))
    if moderates or not is_author:
        if (yield from membership_role(post["group_id"], user_id)) != "owner":
            raise Forbidden(_l("Only the group's owner may pin or lock a post.") if moderates
                            else _l("Only its author or the group's owner may change a post."))
    if rewrites or moderates:
        change = edit(POSTS, post_id, {
            "title": data.title,
            "content": data.content,
            "content_html": html,
            "pinned": None if data.pinned is None else int(data.pinned),
            "locked": None if data.locked is None else int(data.locked),
            "updated_at": clock.db_time() if rewrites else None,   # pinning is not an edit
        })
        yield from (revise("post", "posts", post_id, user_id, change) if rewrites else change)
        yield from search.change("post", post_id, found)
    return (yield from _one(viewer, post_id))


def delete_post(viewer: Viewer, post_id: int) -> Op[None]:
    """The author or a moderator of the group deletes a post; its comments and likes go with it (CASCADE).

    A moderator's delete of someone else's post is written to the audit log. A hidden post was not
    counted in the group's post_count, so deleting it leaves the count alone."""
    user_id = viewer.require()
    check_id(post_id, "post")
    post = yield Query("SELECT user_id, group_id, hidden_at FROM posts WHERE id = %s", (post_id,), "row")
    if post is None:
        raise NotFound("post")
    if post["user_id"] != user_id:
        yield from require_moderator(viewer, post["group_id"])
        yield from audit(user_id, "delete", "post", post_id, post["group_id"])
    yield Query("UPDATE forum_groups SET post_count = post_count - %s WHERE id = %s",
                (int(post["hidden_at"] is None), post["group_id"]), "rowcount")
    yield from delete_container(POSTS, post_id)
    yield from bookmarks.forget(bookmarks.POST, post_id)
    yield from search.remove_thread("post", "comment", post_id)


def like_post(viewer: Viewer, post_id: int) -> Op[dict[str, Any]]:
    """``{liked, like_count}``; idempotent; a new like notifies the author and lifts the hot score."""
    return (yield from likes.like(POST_LIKES, viewer, post_id))


def unlike_post(viewer: Viewer, post_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.unlike(POST_LIKES, viewer, post_id))
