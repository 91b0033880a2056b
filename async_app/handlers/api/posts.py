"""Posts in groups, and likes on them."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import posts


class GroupPostsHandler(ApiHandler):
    async def get(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.list_group_posts(viewer, int(group_id), self.query())))

    async def post(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.create_post(viewer, int(group_id), self.json_body())))


class PostHandler(ApiHandler):
    async def get(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.get_post(viewer, int(post_id))))

    async def patch(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.update_post(viewer, int(post_id), self.json_body())))

    async def delete(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.delete_post(viewer, int(post_id))))


class PostLikeHandler(ApiHandler):
    async def put(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.like_post(viewer, int(post_id))))

    async def delete(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.unlike_post(viewer, int(post_id))))
