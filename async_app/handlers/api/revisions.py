"""The history of edited posts, comments, questions and answers; images for texts and Markdown previews."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import revisions, threads, users


class PostRevisionsHandler(ApiHandler):
    async def get(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(revisions.list_post_revisions(viewer, int(post_id), self.query())))


class CommentRevisionsHandler(ApiHandler):
    async def get(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(revisions.list_comment_revisions(viewer, int(comment_id), self.query())))


class QuestionRevisionsHandler(ApiHandler):
    async def get(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(revisions.list_question_revisions(viewer, int(question_id), self.query())))


class AnswerRevisionsHandler(ApiHandler):
    async def get(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(revisions.list_answer_revisions(viewer, int(answer_id), self.query())))


class UploadsHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.upload_image(viewer, self.upload(), self.media_dir)))


class MarkdownHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(threads.preview(viewer, self.json_body())))
