"""``/me``: the caller's own account — profile, avatar and password, and leaving."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import accounts, users


class MeHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.get_me(viewer)))

    async def patch(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.update_me(viewer, self.json_body())))

    async def delete(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(accounts.delete_me(viewer, self.json_body())))


class AvatarHandler(ApiHandler):
    async def put(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.set_avatar(viewer, self.upload(), self.media_dir)))


class PasswordHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.change_password(viewer, self.json_body())))
