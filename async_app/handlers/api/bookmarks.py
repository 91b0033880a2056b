"""Bookmarks and unread (API.md §10): keep a post or question, list what is kept."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import bookmarks


class PostBookmarkHandler(ApiHandler):
    async def put(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bookmarks.bookmark_post(viewer, int(post_id))))

    async def delete(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bookmarks.unbookmark_post(viewer, int(post_id))))


class QuestionBookmarkHandler(ApiHandler):
    async def put(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bookmarks.bookmark_question(viewer, int(question_id))))

    async def delete(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bookmarks.unbookmark_question(viewer, int(question_id))))


class BookmarksHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bookmarks.list_bookmarks(viewer, self.query())))
