"""The guestbook: anyone may read and sign (signing is throttled per client address)."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import guestbook
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("guestbook", __name__)


@bp.get("/guestbook")
def list_entries() -> Response:
    return answer(run(guestbook.list_entries(viewer(), query())))


@bp.post("/guestbook")
def sign() -> Response:
    return answer(run(guestbook.sign(viewer(), body())))
