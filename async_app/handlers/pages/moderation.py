"""Reporting, moderating and administering from the pages: the report button, the moderators' buttons,
``/moderation`` and ``/admin``. Each form runs one operation of the API and goes back where it came from."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import bans, moderation, page_data


class ItemPage(PageHandler):
    async def get(self, kind: str, item_id: str) -> None:
        """``/comments/{id}``, ``/answers/{id}``: the page that shows it."""
        self.redirect(await self.run(page_data.item_path(self.viewer, kind[:-1], int(item_id))))


class ModerationPage(PageHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        page = await self.run(page_data.moderation_page(self.viewer, self.query()))
        self.render("moderation.html", title=_l("Moderation"), here=self.request.uri, resolutions=pages.RESOLUTIONS,
                    **page)


class AdminPage(PageHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        page = await self.run(page_data.admin_page(self.viewer, self.query()))
        self.render("admin.html", title=_l("Administration"), stat_labels=pages.STAT_LABELS, **page)


class NewReportPage(PageHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.run(moderation.create_report(self.viewer, pages.report_body(self.form())))
        self.back("/", "reported")


class ResolveReportPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, report_id: str) -> None:
        await self.run(moderation.resolve_report(self.viewer, int(report_id), pages.form_body("resolve", self.form())))
        self.back(self.reverse_url("moderation_page"), "resolved")


class ContentActionPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, kind: str, item_id: str, action: str) -> None:
        """Hide (with a reason), restore or delete a post, comment, question or answer."""
        body = pages.form_body("hide", self.form())
        await self.run(moderation.page_action(self.viewer, kind[:-1], int(item_id), action, body))
        self.back("/", pages.DONE_AFTER[action])


class UserBanPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, user_id: str) -> None:
        await self.run(bans.ban_user(self.viewer, int(user_id), pages.form_body("ban", self.form())))
        self.back(self.reverse_url("user_page", user_id), "banned")


class UserUnbanPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, user_id: str) -> None:
        await self.run(bans.unban_user(self.viewer, int(user_id)))
        self.back(self.reverse_url("user_page", user_id), "unbanned")


class UserRolePage(PageHandler):
    @tornado.web.authenticated
    async def post(self, user_id: str) -> None:
        await self.run(moderation.set_role(self.viewer, int(user_id), pages.form_body("role", self.form())))
        self.back(self.reverse_url("user_page", user_id), "role")


class GroupModeratorPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str, user_id: str, action: str) -> None:
        change = moderation.add_moderator if action == "add" else moderation.remove_moderator
        await self.run(change(self.viewer, int(group_id), int(user_id)))
        self.back(self.reverse_url("group_page", group_id), pages.DONE_AFTER[action])


class GroupBanPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        await self.run(bans.ban_from_group(self.viewer, int(group_id), pages.form_body("group_ban", self.form())))
        self.back(self.reverse_url("group_page", group_id), "banned")


class GroupUnbanPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str, user_id: str) -> None:
        await self.run(bans.unban_from_group(self.viewer, int(group_id), int(user_id)))
        self.back(self.reverse_url("group_page", group_id), "unbanned")
