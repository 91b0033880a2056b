"""Questions of the Q&A side."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import questions


class QuestionsHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.list_questions(viewer, self.query())))

    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.create_question(viewer, self.json_body())))


class AcceptedAnswerHandler(ApiHandler):
    async def put(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.accept_answer(viewer, int(question_id), self.json_body())))

    async def delete(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.unaccept_answer(viewer, int(question_id))))


class QuestionHandler(ApiHandler):
    async def get(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.get_question(viewer, int(question_id))))

    async def patch(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.update_question(viewer, int(question_id), self.json_body())))

    async def delete(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.delete_question(viewer, int(question_id))))
