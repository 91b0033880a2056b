"""Comments on posts: top-level comments, replies, likes."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import comments
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("comments", __name__)


@bp.get("/posts/<int:post_id>/comments")
def list_comments(post_id: int) -> Response:
    return answer(run(comments.list_comments(viewer(), post_id, query())))


@bp.post("/posts/<int:post_id>/comments")
def create_comment(post_id: int) -> Response:
    return answer(run(comments.create_comment(viewer(), post_id, body())))


@bp.get("/comments/<int:comment_id>/replies")
def list_replies(comment_id: int) -> Response:
    return answer(run(comments.list_replies(viewer(), comment_id, query())))


@bp.patch("/comments/<int:comment_id>")
def edit_comment(comment_id: int) -> Response:
    return answer(run(comments.edit_comment(viewer(), comment_id, body())))


@bp.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int) -> Response:
    return answer(run(comments.delete_comment(viewer(), comment_id)))


@bp.put("/comments/<int:comment_id>/like")
def like_comment(comment_id: int) -> Response:
    return answer(run(comments.like_comment(viewer(), comment_id)))


@bp.delete("/comments/<int:comment_id>/like")
def unlike_comment(comment_id: int) -> Response:
    return answer(run(comments.unlike_comment(viewer(), comment_id)))
