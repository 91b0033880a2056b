"""The caller's notifications."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import notifications
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
def list_notifications() -> Response:
    return answer(run(notifications.list_notifications(viewer(), query())))


@bp.get("/notifications/unread-count")
def unread_count() -> Response:
    return answer(run(notifications.unread_count(viewer())))


@bp.post("/notifications/read")
def mark_read() -> Response:
    return answer(run(notifications.mark_read(viewer(), body())))
