"""Comments on posts, replies to them, and likes on them."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import comments


class CommentsHandler(ApiHandler):
    async def get(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.list_comments(viewer, int(post_id), self.query())))

    async def post(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.create_comment(viewer, int(post_id), self.json_body())))


class CommentHandler(ApiHandler):
    async def patch(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.edit_comment(viewer, int(comment_id), self.json_body())))

    async def delete(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.delete_comment(viewer, int(comment_id))))


class CommentRepliesHandler(ApiHandler):
    async def get(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.list_replies(viewer, int(comment_id), self.query())))


class CommentLikeHandler(ApiHandler):
    async def put(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.like_comment(viewer, int(comment_id))))

    async def delete(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(comments.unlike_comment(viewer, int(comment_id))))
