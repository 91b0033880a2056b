"""Profiles, notifications and the guestbook."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import guestbook, notifications, page_data


class UserPage(PageHandler):
    async def get(self, user_id: str) -> None:
        page = await self.run(page_data.user_page(self.viewer, int(user_id)))
        self.render("user.html", title=page["user"]["username"], **page)


class UserActivityPage(PageHandler):
    async def get(self, user_id: str, kind: str) -> None:
        page = await self.run(page_data.user_activity_page(self.viewer, int(user_id), kind, self.query()))
        self.render("user_activity.html", title=pages.USER_LIST_TITLES[kind], **page)


class UserByNamePage(PageHandler):
    async def get(self, username: str) -> None:
        self.redirect(await self.run(page_data.user_by_name(self.viewer, username)))


class NotificationsPage(PageHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        listed = await self.run(page_data.notifications_page(self.viewer, self.query()))
        self.render("notifications.html", title=_l("Notifications"), notifications=listed,
                    sentence=lambda item: pages.notification_html(item, item["title"], self.lang))

    @tornado.web.authenticated
    async def post(self) -> None:
        """Mark all as read."""
        await self.run(notifications.mark_read(self.viewer, {"all": True}))
        self.see(self.reverse_url("notifications_page"), "all_read")


class GuestbookPage(PageHandler):
    async def get(self) -> None:
        await self.show()

    async def show(self, **form: object) -> None:
        listed = await self.run(guestbook.list_entries(self.viewer, self.query()))
        self.render("guestbook.html", title=_l("Guestbook"), entries=listed, **form)

    async def post(self) -> None:
        sign = guestbook.sign(self.viewer, pages.form_body("guestbook", self.form()))
        _, refusal = await self.attempt(self.throttled("/guestbook", sign))
        if refusal:
            await self.show(**self.refused(refusal))
        else:
            self.see(self.reverse_url("guestbook_page"), "signed")
