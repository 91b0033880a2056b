"""Posts in groups, and likes on them."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import posts
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("posts", __name__)


@bp.get("/groups/<int:group_id>/posts")
def list_group_posts(group_id: int) -> Response:
    return answer(run(posts.list_group_posts(viewer(), group_id, query())))


@bp.post("/groups/<int:group_id>/posts")
def create_post(group_id: int) -> Response:
    return answer(run(posts.create_post(viewer(), group_id, body())))


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int) -> Response:
    return answer(run(posts.get_post(viewer(), post_id)))


@bp.patch("/posts/<int:post_id>")
def update_post(post_id: int) -> Response:
    return answer(run(posts.update_post(viewer(), post_id, body())))


@bp.delete("/posts/<int:post_id>")
def delete_post(post_id: int) -> Response:
    return answer(run(posts.delete_post(viewer(), post_id)))


@bp.put("/posts/<int:post_id>/like")
def like_post(post_id: int) -> Response:
    return answer(run(posts.like_post(viewer(), post_id)))


@bp.delete("/posts/<int:post_id>/like")
def unlike_post(post_id: int) -> Response:
    return answer(run(posts.unlike_post(viewer(), post_id)))
