"""Search: posts, comments, questions, answers and groups, best match first (API.md §7)."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import search


class SearchHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(search.search(viewer, self.query())))
