"""Answers to questions: top-level answers, replies, likes."""

from __future__ import annotations

from flask import Blueprint, Response

from shared.storage import answers
from wsgi_app.api.base import answer, body, query, viewer
from wsgi_app.db import run

bp = Blueprint("answers", __name__)


@bp.get("/questions/<int:question_id>/answers")
def list_answers(question_id: int) -> Response:
    return answer(run(answers.list_answers(viewer(), question_id, query())))


@bp.post("/questions/<int:question_id>/answers")
def create_answer(question_id: int) -> Response:
    return answer(run(answers.create_answer(viewer(), question_id, body())))


@bp.get("/answers/<int:answer_id>/replies")
def list_replies(answer_id: int) -> Response:
    return answer(run(answers.list_replies(viewer(), answer_id, query())))


@bp.patch("/answers/<int:answer_id>")
def edit_answer(answer_id: int) -> Response:
    return answer(run(answers.edit_answer(viewer(), answer_id, body())))


@bp.delete("/answers/<int:answer_id>")
def delete_answer(answer_id: int) -> Response:
    return answer(run(answers.delete_answer(viewer(), answer_id)))


@bp.put("/answers/<int:answer_id>/like")
def like_answer(answer_id: int) -> Response:
    return answer(run(answers.like_answer(viewer(), answer_id)))


@bp.delete("/answers/<int:answer_id>/like")
def unlike_answer(answer_id: int) -> Response:
    return answer(run(answers.unlike_answer(viewer(), answer_id)))


@bp.put("/answers/<int:answer_id>/vote")
def vote_answer(answer_id: int) -> Response:
    return answer(run(answers.vote_answer(viewer(), answer_id, body())))


@bp.delete("/answers/<int:answer_id>/vote")
def unvote_answer(answer_id: int) -> Response:
    return answer(run(answers.unvote_answer(viewer(), answer_id)))
