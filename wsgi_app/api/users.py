"""Accounts: register, log in, the caller's own profile, and other users with their activity."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import answers, groups, posts, questions, users
from wsgi_app.api.base import answer, body, client_address, media_dir, query, upload, viewer
from wsgi_app.db import run

bp = Blueprint("users", __name__)


@bp.post("/auth/register")
def register() -> Response:
    return answer(run(users.register(viewer(), body())))


@bp.post("/auth/login")
def login() -> Response:
    return answer(run(users.login(viewer(), body(), client_address())))


@bp.get("/me")
def get_me() -> Response:
    return answer(run(users.get_me(viewer())))


@bp.patch("/me")
def update_me() -> Response:
    return answer(run(users.update_me(viewer(), body())))


@bp.put("/me/avatar")
def set_avatar() -> Response:
    return answer(run(users.set_avatar(viewer(), upload(), media_dir())))


@bp.post("/me/password")
def change_password() -> Response:
    return answer(run(users.change_password(viewer(), body())))


@bp.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    return answer(run(users.get_user(viewer(), user_id)))


@bp.get("/users/<int:user_id>/posts")
def list_user_posts(user_id: int) -> Response:
    return answer(run(posts.list_user_posts(viewer(), user_id, query())))


@bp.get("/users/<int:user_id>/questions")
def list_user_questions(user_id: int) -> Response:
    return answer(run(questions.list_user_questions(viewer(), user_id, query())))


@bp.get("/users/<int:user_id>/answers")
def list_user_answers(user_id: int) -> Response:
    return answer(run(answers.list_user_answers(viewer(), user_id, query())))


@bp.get("/users/<int:user_id>/groups")
def list_user_groups(user_id: int) -> Response:
    return answer(run(groups.list_user_groups(viewer(), user_id, query())))
