"""``GET /api/v1/openapi.json``: the document ``shared.openapi`` builds from the route table."""

from __future__ import annotations

from typing import Any

from async_app.handlers.api.operations import OperationHandler
from shared.openapi import document
from shared.routes import Route


class OpenApiHandler(OperationHandler):
    async def call(self, route: Route, args: list[Any]) -> Any:
        return document()
