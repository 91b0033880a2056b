"""Questions and their answers."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request

from shared import pages
from shared.i18n import _l
from shared.storage import answers, page_data, questions
from wsgi_app.db import run
from wsgi_app.pages.base import attempt, bp, form, login_required, query, see, throttle


@bp.get("/questions")
def questions_page() -> str:
    listed = run(questions.list_questions(g.viewer, query()))
    return render_template("questions.html", title=_l("Questions"), questions=listed)


@bp.route("/questions/new", methods=["GET", "POST"])
@login_required
def new_question() -> Any:
    if request.method == "GET":
        return render_template("question_new.html", title=_l("Ask a question"))
    create = questions.create_question(g.viewer, pages.form_body("question", form()))
    question, refusal = attempt(throttle("/questions", create))
    if refusal:
        return render_template("question_new.html", title=_l("Ask a question"),
                               **pages.form_state(refusal, form())), refusal.status
    return see(f"/questions/{question['id']}", "asked")


def show_question(question_id: int, **state: Any) -> str:
    page = run(page_data.question_page(g.viewer, question_id, query()))
    return render_template("question.html", title=page["question"]["title"], **page, **state)


@bp.get("/questions/<int:question_id>")
def question_page(question_id: int) -> str:
    return show_question(question_id)


@bp.post("/questions/<int:question_id>")
@login_required
def answer(question_id: int) -> Any:
    """An answer, or a reply to one when the form names its ``parent_id``."""
    create = answers.create_answer(g.viewer, question_id, pages.form_body("reply", form()))
    made, refusal = attempt(throttle("/questions/{question_id}/answers", create))
    if refusal:
        return show_question(question_id, **pages.form_state(refusal, form())), refusal.status
    return see(f"/questions/{question_id}#answer-{made['id']}", "answered")
