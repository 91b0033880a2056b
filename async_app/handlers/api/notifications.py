"""The caller's notifications: the list, the unread count, and marking them read."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import notifications


class NotificationsHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(notifications.list_notifications(viewer, self.query())))


class UnreadCountHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(notifications.unread_count(viewer)))


class MarkReadHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(notifications.mark_read(viewer, self.json_body())))
