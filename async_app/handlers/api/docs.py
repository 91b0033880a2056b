"""``GET /api/v1/openapi.json``: the document ``shared.openapi`` builds from the route table."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.openapi import document


class OpenApiHandler(ApiHandler):
    async def get(self) -> None:
        await self.admit()
        self.answer(document())
