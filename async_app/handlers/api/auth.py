"""``/auth``: create an account, and log in (the login flow and its rate limits are one shared operation)."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import users


class RegisterHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.register(viewer, self.json_body())))


class LoginHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.login(viewer, self.json_body(), self.client_address)))
