"""The guestbook: anyone may read it and sign it (5 signatures a minute per address)."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import guestbook


class GuestbookHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(guestbook.list_entries(viewer, self.query())))

    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(guestbook.sign(viewer, self.json_body())))
