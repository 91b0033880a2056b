"""``/groups``: groups, their covers, applications to join, and members."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import groups


class GroupsHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.list_groups(viewer, self.query())))

    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.create_group(viewer, self.json_body())))


class GroupHandler(ApiHandler):
    async def get(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.get_group(viewer, int(group_id))))

    async def patch(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.update_group(viewer, int(group_id), self.json_body())))


class CoverHandler(ApiHandler):
    async def put(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.set_cover(viewer, int(group_id), self.upload(), self.media_dir)))


class ApplicationsHandler(ApiHandler):
    async def get(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.list_applications(viewer, int(group_id), self.query())))

    async def post(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.apply(viewer, int(group_id), self.json_body())))


class ApplicationHandler(ApiHandler):
    async def patch(self, group_id: str, application_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(
            groups.decide_application(viewer, int(group_id), int(application_id), self.json_body())))


class MembersHandler(ApiHandler):
    async def get(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.list_members(viewer, int(group_id), self.query())))


class MembershipHandler(ApiHandler):
    """``/groups/{group_id}/members/me``: the caller's own membership."""

    async def delete(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.leave(viewer, int(group_id))))
