"""Questions (the Q&A side of the forum)."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import questions
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("questions", __name__)


@bp.get("/questions")
def list_questions() -> Response:
    return answer(run(questions.list_questions(viewer(), query())))


@bp.post("/questions")
def create_question() -> Response:
    return answer(run(questions.create_question(viewer(), body())))


@bp.get("/questions/<int:question_id>")
def get_question(question_id: int) -> Response:
    return answer(run(questions.get_question(viewer(), question_id)))


@bp.patch("/questions/<int:question_id>")
def update_question(question_id: int) -> Response:
    return answer(run(questions.update_question(viewer(), question_id, body())))


@bp.delete("/questions/<int:question_id>")
def delete_question(question_id: int) -> Response:
    return answer(run(questions.delete_question(viewer(), question_id)))


@bp.put("/questions/<int:question_id>/accepted-answer")
def accept_answer(question_id: int) -> Response:
    return answer(run(questions.accept_answer(viewer(), question_id, body())))


@bp.delete("/questions/<int:question_id>/accepted-answer")
def unaccept_answer(question_id: int) -> Response:
    return answer(run(questions.unaccept_answer(viewer(), question_id)))
