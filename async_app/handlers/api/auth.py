"""``POST /auth/login`` with its rate limits: 5 failures per login or 20 per client address in 15 min → 429."""

from __future__ import annotations

from typing import Any

from async_app.handlers.api.operations import OperationHandler
from shared.errors import Unauthorized
from shared.ratelimit import check_login, login_failed, login_succeeded
from shared.routes import Route


class LoginHandler(OperationHandler):
    async def call(self, route: Route, args: list[Any]) -> Any:
        body = args[-1]
        login = body.get("login") if isinstance(body, dict) else None
        login = login if isinstance(login, str) else ""
        limiter, address = self.application.limiter, self.client_address
        await limiter.run(check_login(login, address))
        try:
            result = await super().call(route, args)
        except Unauthorized:
            await limiter.run(login_failed(login, address))
            raise
        await limiter.run(login_succeeded(login))
        return result
