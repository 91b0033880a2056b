"""Questions and their answers."""

from __future__ import annotations

from typing import Any

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import answers, page_data, questions


class QuestionsPage(PageHandler):
    async def get(self) -> None:
        listed = await self.run(questions.list_questions(self.viewer, self.query()))
        self.render("questions.html", title=_l("Questions"), questions=listed)


class NewQuestionPage(PageHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        self.render("question_new.html", title=_l("Ask a question"))

    @tornado.web.authenticated
    async def post(self) -> None:
        create = questions.create_question(self.viewer, pages.form_body("question", self.form()))
        question, refusal = await self.attempt(self.throttled("/questions", create))
        if refusal:
            self.render("question_new.html", title=_l("Ask a question"), **self.refused(refusal))
        else:
            self.see(self.reverse_url("question_page", question["id"]), "asked")


class QuestionPage(PageHandler):
    async def get(self, question_id: str) -> None:
        await self.show(question_id)

    async def show(self, question_id: str, **form: Any) -> None:
        page = await self.run(page_data.question_page(self.viewer, int(question_id), self.query()))
        self.render("question.html", title=page["question"]["title"], **page, **form)

    @tornado.web.authenticated
    async def post(self, question_id: str) -> None:
        """An answer, or a reply to one when the form names its ``parent_id``."""
        create = answers.create_answer(self.viewer, int(question_id), pages.form_body("reply", self.form()))
        answer, refusal = await self.attempt(self.throttled("/questions/{question_id}/answers", create))
        if refusal:
            await self.show(question_id, **self.refused(refusal))
        else:
            self.see(f"{self.reverse_url('question_page', question_id)}#answer-{answer['id']}", "answered")
