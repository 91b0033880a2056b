"""Moderation and administration (API.md §6): roles, group moderators, reports, hiding, bans, the audit
log, leaving and exporting an account, the admins' statistics. Every rule is in the operations."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import accounts, bans, moderation


class RoleHandler(ApiHandler):
    async def put(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.set_role(viewer, int(user_id), self.json_body())))


class GroupModeratorHandler(ApiHandler):
    async def put(self, group_id: str, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.add_moderator(viewer, int(group_id), int(user_id))))

    async def delete(self, group_id: str, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.remove_moderator(viewer, int(group_id), int(user_id))))


class ReportsHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.list_reports(viewer, self.query())))

    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.create_report(viewer, self.json_body())))


class ReportHandler(ApiHandler):
    async def patch(self, report_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.resolve_report(viewer, int(report_id), self.json_body())))


class HidePostHandler(ApiHandler):
    async def post(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.hide_post(viewer, int(post_id), self.json_body())))


class RestorePostHandler(ApiHandler):
    async def post(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.restore_post(viewer, int(post_id))))


class HideCommentHandler(ApiHandler):
    async def post(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.hide_comment(viewer, int(comment_id), self.json_body())))


class RestoreCommentHandler(ApiHandler):
    async def post(self, comment_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.restore_comment(viewer, int(comment_id))))


class HideQuestionHandler(ApiHandler):
    async def post(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.hide_question(viewer, int(question_id), self.json_body())))


class RestoreQuestionHandler(ApiHandler):
    async def post(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.restore_question(viewer, int(question_id))))


class HideAnswerHandler(ApiHandler):
    async def post(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.hide_answer(viewer, int(answer_id), self.json_body())))


class RestoreAnswerHandler(ApiHandler):
    async def post(self, answer_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.restore_answer(viewer, int(answer_id))))


class UserBanHandler(ApiHandler):
    async def post(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.ban_user(viewer, int(user_id), self.json_body())))

    async def delete(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.unban_user(viewer, int(user_id))))


class SiteBansHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.list_site_bans(viewer, self.query())))


class GroupBansHandler(ApiHandler):
    async def get(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.list_group_bans(viewer, int(group_id), self.query())))

    async def post(self, group_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.ban_from_group(viewer, int(group_id), self.json_body())))


class GroupBanHandler(ApiHandler):
    async def delete(self, group_id: str, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(bans.unban_from_group(viewer, int(group_id), int(user_id))))


class AuditLogHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(moderation.list_audit_log(viewer, self.query())))


class ExportHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(accounts.export_me(viewer)))


class StatsHandler(ApiHandler):
    async def get(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(accounts.admin_stats(viewer)))
