"""Answers to questions, replies to them, and likes on them."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import answers


class AnswersHandler(ApiHandler):
    async def get(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.list_answers(viewer, int(question_id), self.query())))

    async def post(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.create_answer(viewer, int(question_id), self.json_body())))


class AnswerHandler(ApiHandler):
    async def patch(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.edit_answer(viewer, int(answer_id), self.json_body())))

    async def delete(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.delete_answer(viewer, int(answer_id))))


class AnswerRepliesHandler(ApiHandler):
    async def get(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.list_replies(viewer, int(answer_id), self.query())))


class AnswerVoteHandler(ApiHandler):
    async def put(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.vote_answer(viewer, int(answer_id), self.json_body())))

    async def delete(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.unvote_answer(viewer, int(answer_id))))


class AnswerLikeHandler(ApiHandler):
    async def put(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.like_answer(viewer, int(answer_id))))

    async def delete(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.unlike_answer(viewer, int(answer_id))))
