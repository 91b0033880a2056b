"""The history of edited posts, comments, questions and answers; images for texts and Markdown previews."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import revisions, threads, users
from wsgi_app.api.base import answer, body, media_dir, query, upload, viewer
from wsgi_app.db import run

bp = Blueprint("revisions", __name__)


@bp.get("/posts/<int:post_id>/revisions")
def list_post_revisions(post_id: int) -> Response:
    return answer(run(revisions.list_post_revisions(viewer(), post_id, query())))


@bp.get("/comments/<int:comment_id>/revisions")
def list_comment_revisions(comment_id: int) -> Response:
    return answer(run(revisions.list_comment_revisions(viewer(), comment_id, query())))


@bp.get("/questions/<int:question_id>/revisions")
def list_question_revisions(question_id: int) -> Response:
    return answer(run(revisions.list_question_revisions(viewer(), question_id, query())))


@bp.get("/answers/<int:answer_id>/revisions")
def list_answer_revisions(answer_id: int) -> Response:
    return answer(run(revisions.list_answer_revisions(viewer(), answer_id, query())))


@bp.post("/uploads")
def upload_image() -> Response:
    return answer(run(users.upload_image(viewer(), upload(), media_dir())))


@bp.post("/markdown")
def preview() -> Response:
    return answer(run(threads.preview(viewer(), body())))
