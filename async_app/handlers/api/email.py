"""E-mail and watching (API.md §9): verified addresses, password resets, watches, the e-mail preference."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import verification, watching


class VerifyEmailHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(verification.verify_email(viewer, self.json_body())))


class ResendVerificationHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(verification.resend_verification(viewer)))


class PasswordResetHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(verification.request_password_reset(viewer, self.json_body())))


class PasswordResetConfirmHandler(ApiHandler):
    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(verification.confirm_password_reset(viewer, self.json_body())))


class PreferencesHandler(ApiHandler):
    async def patch(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.set_preferences(viewer, self.json_body())))


class PostWatchHandler(ApiHandler):
    async def put(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.watch_post(viewer, int(post_id))))

    async def delete(self, post_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.unwatch_post(viewer, int(post_id))))


class QuestionWatchHandler(ApiHandler):
    async def put(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.watch_question(viewer, int(question_id))))

    async def delete(self, question_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.unwatch_question(viewer, int(question_id))))


class UnsubscribeHandler(ApiHandler):
    """The one-click POST a mail client sends (RFC 8058); its form body is not needed, only the token."""

    async def post(self) -> None:
        viewer = await self.admit()
        self.answer(await self.run(watching.unsubscribe(viewer, self.query())))
