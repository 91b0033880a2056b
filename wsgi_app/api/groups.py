"""Groups, their members and applications to join."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import groups
from wsgi_app.api.base import answer, body, media_dir, query, upload, viewer
from wsgi_app.db import run

bp = Blueprint("groups", __name__)


@bp.get("/groups")
def list_groups() -> Response:
    return answer(run(groups.list_groups(viewer(), query())))


@bp.post("/groups")
def create_group() -> Response:
    return answer(run(groups.create_group(viewer(), body())))


@bp.get("/groups/<int:group_id>")
def get_group(group_id: int) -> Response:
    return answer(run(groups.get_group(viewer(), group_id)))


@bp.patch("/groups/<int:group_id>")
def update_group(group_id: int) -> Response:
    return answer(run(groups.update_group(viewer(), group_id, body())))


@bp.put("/groups/<int:group_id>/cover")
def set_cover(group_id: int) -> Response:
    return answer(run(groups.set_cover(viewer(), group_id, upload(), media_dir())))


@bp.post("/groups/<int:group_id>/applications")
def apply(group_id: int) -> Response:
    return answer(run(groups.apply(viewer(), group_id, body())))


@bp.get("/groups/<int:group_id>/applications")
def list_applications(group_id: int) -> Response:
    return answer(run(groups.list_applications(viewer(), group_id, query())))


@bp.patch("/groups/<int:group_id>/applications/<int:application_id>")
def decide_application(group_id: int, application_id: int) -> Response:
    return answer(run(groups.decide_application(viewer(), group_id, application_id, body())))


@bp.get("/groups/<int:group_id>/members")
def list_members(group_id: int) -> Response:
    return answer(run(groups.list_members(viewer(), group_id, query())))


@bp.delete("/groups/<int:group_id>/members/me")
def leave(group_id: int) -> Response:
    return answer(run(groups.leave(viewer(), group_id)))
