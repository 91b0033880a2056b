"""E-mail and watching (API.md §9): verified addresses, password resets, watches, the e-mail preference."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import verification, watching
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("email", __name__)


@bp.post("/auth/verify-email")
def verify_email() -> Response:
    return answer(run(verification.verify_email(viewer(), body())))


@bp.post("/auth/resend-verification")
def resend_verification() -> Response:
    return answer(run(verification.resend_verification(viewer())))


@bp.post("/auth/password-reset")
def request_password_reset() -> Response:
    return answer(run(verification.request_password_reset(viewer(), body())))


@bp.post("/auth/password-reset/confirm")
def confirm_password_reset() -> Response:
    return answer(run(verification.confirm_password_reset(viewer(), body())))


@bp.patch("/me/preferences")
def set_preferences() -> Response:
    return answer(run(watching.set_preferences(viewer(), body())))


@bp.put("/posts/<int:post_id>/watch")
def watch_post(post_id: int) -> Response:
    return answer(run(watching.watch_post(viewer(), post_id)))


@bp.delete("/posts/<int:post_id>/watch")
def unwatch_post(post_id: int) -> Response:
    return answer(run(watching.unwatch_post(viewer(), post_id)))


@bp.put("/questions/<int:question_id>/watch")
def watch_question(question_id: int) -> Response:
    return answer(run(watching.watch_question(viewer(), question_id)))


@bp.delete("/questions/<int:question_id>/watch")
def unwatch_question(question_id: int) -> Response:
    return answer(run(watching.unwatch_question(viewer(), question_id)))


@bp.post("/email/unsubscribe")
def unsubscribe() -> Response:
    """The one-click POST a mail client sends (RFC 8058); its form body is not needed, only the token."""
    return answer(run(watching.unsubscribe(viewer(), query())))
