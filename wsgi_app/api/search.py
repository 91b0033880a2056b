"""Search: posts, comments, questions, answers and groups, best match first (API.md §7)."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import search
from wsgi_app.api.base import answer, query, viewer
from wsgi_app.db import run

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_everything() -> Response:
    return answer(run(search.search(viewer(), query())))
