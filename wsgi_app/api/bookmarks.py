"""Bookmarks and unread (API.md §10): keep a post or question, list what is kept."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import bookmarks
from wsgi_app.api.base import answer, query, viewer
from wsgi_app.db import run

bp = Blueprint("bookmarks", __name__)


@bp.put("/posts/<int:post_id>/bookmark")
def bookmark_post(post_id: int) -> Response:
    return answer(run(bookmarks.bookmark_post(viewer(), post_id)))


@bp.delete("/posts/<int:post_id>/bookmark")
def unbookmark_post(post_id: int) -> Response:
    return answer(run(bookmarks.unbookmark_post(viewer(), post_id)))


@bp.put("/questions/<int:question_id>/bookmark")
def bookmark_question(question_id: int) -> Response:
    return answer(run(bookmarks.bookmark_question(viewer(), question_id)))


@bp.delete("/questions/<int:question_id>/bookmark")
def unbookmark_question(question_id: int) -> Response:
    return answer(run(bookmarks.unbookmark_question(viewer(), question_id)))


@bp.get("/me/bookmarks")
def list_bookmarks() -> Response:
    return answer(run(bookmarks.list_bookmarks(viewer(), query())))
