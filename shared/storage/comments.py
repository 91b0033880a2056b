"""Comments on posts: the shared thread logic (``threads.py``) named for comments.

Only members of the post's group comment, and a locked post takes no new comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import Viewer
from shared.errors import Conflict, Forbidden
from shared.i18n import _l
from shared.storage import likes, search, threads
from shared.storage.effects import Op
from shared.storage.groups import membership_role
from shared.storage.posts import POSTS
from shared.storage.threads import NewReply, ReplyEdit
from shared.validation import parse


def _members_only(post: Mapping[str, Any], user_id: int) -> Op[None]:
    """A comment needs membership of the post's group (403) and an unlocked post (409)."""
    if (yield from membership_role(post["group_id"], user_id)) is None:
        raise Forbidden(_l("Only members of the post's group may comment."))
    if post["locked"]:
        raise Conflict(_l("This post is locked; it takes no new comments."))


COMMENT_LIKES = likes.LikeTarget(table="comments", like_table="comment_likes", like_column="comment_id",
                                 what="comment", page_type="post", page_column="post_id",
                                 excerpt_column="content_html")
COMMENTS = threads.Thread(table="comments", what="comment", container=POSTS, container_column="post_id",
                          top_kind="comment", like=COMMENT_LIKES,
                          container_columns="user_id, group_id, locked", gate=_members_only)


def list_comments(viewer: Viewer, post_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """A post's top-level comments, oldest first."""
    return (yield from threads.list_top(COMMENTS, viewer, post_id, query))


def list_replies(viewer: Viewer, comment_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Replies to a comment, oldest first."""
    return (yield from threads.list_replies(COMMENTS, viewer, comment_id, query))


def create_comment(viewer: Viewer, post_id: int, body: Any) -> Op[dict[str, Any]]:
    """Comment on a post, or reply to one of its top-level comments."""
    data = parse(NewReply, body)
    found = yield from search.terms(None, data.content)          # CPU before the transaction, as Markdown
    item = yield from threads.create(COMMENTS, viewer, post_id, data)
    yield from search.add("comment", item["id"], found, post_id)
    return item


def edit_comment(viewer: Viewer, comment_id: int, body: Any) -> Op[dict[str, Any]]:
    """The author rewrites a comment; the new version is kept (``GET /comments/{id}/revisions``)."""
    data = parse(ReplyEdit, body)
    found = yield from search.terms(None, data.content)
    item = yield from threads.edit_item(COMMENTS, viewer, comment_id, data)
    yield from search.change("comment", comment_id, found)
    return item


def delete_comment(viewer: Viewer, comment_id: int) -> Op[None]:
    """The author deletes a comment, and its replies with it (and their histories)."""
    gone = yield from search.with_replies("comments", comment_id)
    yield from threads.delete(COMMENTS, viewer, comment_id)
    yield from search.remove("comment", gone)


def like_comment(viewer: Viewer, comment_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.like(COMMENT_LIKES, viewer, comment_id))


def unlike_comment(viewer: Viewer, comment_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.unlike(COMMENT_LIKES, viewer, comment_id))
