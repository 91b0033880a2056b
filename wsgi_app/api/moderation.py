"""Moderation and administration (API.md §6): roles, group moderators, reports, hiding, bans, the audit
log, leaving and exporting an account, the admins' statistics. Every rule is in the operations."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import accounts, bans, moderation
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("moderation", __name__)


@bp.put("/users/<int:user_id>/role")
def set_role(user_id: int) -> Response:
    return answer(run(moderation.set_role(viewer(), user_id, body())))


@bp.put("/groups/<int:group_id>/moderators/<int:user_id>")
def add_moderator(group_id: int, user_id: int) -> Response:
    return answer(run(moderation.add_moderator(viewer(), group_id, user_id)))


@bp.delete("/groups/<int:group_id>/moderators/<int:user_id>")
def remove_moderator(group_id: int, user_id: int) -> Response:
    return answer(run(moderation.remove_moderator(viewer(), group_id, user_id)))


@bp.post("/reports")
def create_report() -> Response:
    return answer(run(moderation.create_report(viewer(), body())))


@bp.get("/reports")
def list_reports() -> Response:
    return answer(run(moderation.list_reports(viewer(), query())))


@bp.patch("/reports/<int:report_id>")
def resolve_report(report_id: int) -> Response:
    return answer(run(moderation.resolve_report(viewer(), report_id, body())))


@bp.post("/posts/<int:post_id>/hide")
def hide_post(post_id: int) -> Response:
    return answer(run(moderation.hide_post(viewer(), post_id, body())))


@bp.post("/posts/<int:post_id>/restore")
def restore_post(post_id: int) -> Response:
    return answer(run(moderation.restore_post(viewer(), post_id)))


@bp.post("/comments/<int:comment_id>/hide")
def hide_comment(comment_id: int) -> Response:
    return answer(run(moderation.hide_comment(viewer(), comment_id, body())))


@bp.post("/comments/<int:comment_id>/restore")
def restore_comment(comment_id: int) -> Response:
    return answer(run(moderation.restore_comment(viewer(), comment_id)))


@bp.post("/questions/<int:question_id>/hide")
def hide_question(question_id: int) -> Response:
    return answer(run(moderation.hide_question(viewer(), question_id, body())))


@bp.post("/questions/<int:question_id>/restore")
def restore_question(question_id: int) -> Response:
    return answer(run(moderation.restore_question(viewer(), question_id)))


@bp.post("/answers/<int:answer_id>/hide")
def hide_answer(answer_id: int) -> Response:
    return answer(run(moderation.hide_answer(viewer(), answer_id, body())))


@bp.post("/answers/<int:answer_id>/restore")
def restore_answer(answer_id: int) -> Response:
    return answer(run(moderation.restore_answer(viewer(), answer_id)))


@bp.post("/users/<int:user_id>/ban")
def ban_user(user_id: int) -> Response:
    return answer(run(bans.ban_user(viewer(), user_id, body())))


@bp.delete("/users/<int:user_id>/ban")
def unban_user(user_id: int) -> Response:
    return answer(run(bans.unban_user(viewer(), user_id)))


@bp.get("/bans")
def list_site_bans() -> Response:
    return answer(run(bans.list_site_bans(viewer(), query())))


@bp.post("/groups/<int:group_id>/bans")
def ban_from_group(group_id: int) -> Response:
    return answer(run(bans.ban_from_group(viewer(), group_id, body())))


@bp.get("/groups/<int:group_id>/bans")
def list_group_bans(group_id: int) -> Response:
    return answer(run(bans.list_group_bans(viewer(), group_id, query())))


@bp.delete("/groups/<int:group_id>/bans/<int:user_id>")
def unban_from_group(group_id: int, user_id: int) -> Response:
    return answer(run(bans.unban_from_group(viewer(), group_id, user_id)))


@bp.get("/audit-log")
def list_audit_log() -> Response:
    return answer(run(moderation.list_audit_log(viewer(), query())))


@bp.delete("/me")
def delete_me() -> Response:
    return answer(run(accounts.delete_me(viewer(), body())))


@bp.get("/me/export")
def export_me() -> Response:
    return answer(run(accounts.export_me(viewer())))


@bp.get("/admin/stats")
def admin_stats() -> Response:
    return answer(run(accounts.admin_stats(viewer())))
