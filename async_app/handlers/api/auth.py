"""``/auth``: create an account, and log in with the login rate limits (5 failures per login or 20 per
client address in 15 min → 429; a success clears the login's count)."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.errors import Unauthorized
from shared.ratelimit import check_login, login_failed, login_succeeded
from shared.storage import users


class RegisterHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.register(viewer, self.json_body())))


class LoginHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        body = self.json_body()
        login = body.get("login") if isinstance(body, dict) else None
        login = login if isinstance(login, str) else ""
        limiter, address = self.application.limiter, self.client_address
        await limiter.run(check_login(login, address))
        try:
            token = await self.run(users.login(viewer, body))
        except Unauthorized:
            await limiter.run(login_failed(login, address))
            raise
        await limiter.run(login_succeeded(login))
        self.answer(token)
