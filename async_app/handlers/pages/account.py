"""The account's pages (API.md §9, §12): reset a password, verify an address, settings (profile, avatar,
password, export, leaving), watch buttons."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import i18n, pages
from shared.errors import ForumError
from shared.i18n import _l
from shared.storage import accounts, page_data, sessions, users, verification, watching

# What each watch button changes, by the URL's words: /posts/7/watch, /questions/3/unwatch ...
WATCHES = {
    ("posts", "watch"): watching.watch_post, ("posts", "unwatch"): watching.unwatch_post,
    ("questions", "watch"): watching.watch_question, ("questions", "unwatch"): watching.unwatch_question,
}


class ResetPasswordPage(PageHandler):
    """Without a token: ask for a link. With the token from the link: choose a new password, logged in."""

    def get(self) -> None:
        self.render("reset_password.html", title=_l("Reset your password"), token=self.get_argument("token", ""))

    async def post(self) -> None:
        if "token" in self.request.body_arguments:
            body = pages.form_body("password_reset_confirm", self.form())
            session_id, refusal = await self.attempt(verification.reset_password_with_session(self.viewer, body))
            if refusal:
                self.render("reset_password.html", title=_l("Reset your password"), token=body["token"],
                            **self.refused(refusal))
                return
            self.start_session_cookie(session_id)
            self.see("/", "password_reset")
            return
        op = verification.request_password_reset(self.viewer, pages.form_body("password_reset", self.form()))
        _, refusal = await self.attempt(self.throttled("/auth/password-reset", op))
        state = self.refused(refusal) if refusal else {"message": pages.RESET_LINK_SENT}
        self.render("reset_password.html", title=_l("Reset your password"), token="", **state)


class VerifyEmailPage(PageHandler):
    """The link in the verification e-mail opens a button (a GET changes nothing: mail scanners follow links)."""

    def get(self) -> None:
        self.render("verify_email.html", title=_l("Confirm your address"), token=self.get_argument("token", ""),
                    done=False)

    async def post(self) -> None:
        body = pages.form_body("verify_email", self.form())
        _, refusal = await self.attempt(verification.verify_email(self.viewer, body))
        state = self.refused(refusal) if refusal else {"message": pages.ADDRESS_VERIFIED}
        self.render("verify_email.html", title=_l("Confirm your address"), token=body["token"], done=not refusal,
                    **state)


class ResendVerificationPage(PageHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.run(self.throttled("/auth/resend-verification", verification.resend_verification(self.viewer)))
        self.back("/settings", "verification_sent")


class SettingsForms(PageHandler):
    """The forms of ``/settings``: a refused one shows the page again with the input and the reason."""

    async def show_refusal(self, refusal: ForumError) -> None:
        page = await self.run(page_data.settings_page(self.viewer))
        self.render("settings.html", title=_l("Settings"), **page, **self.refused(refusal))


class SettingsPage(PageHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.render("settings.html", title=_l("Settings"), **await self.run(page_data.settings_page(self.viewer)))


class SettingsFormPage(SettingsForms):
    """``POST /settings/profile`` (nickname and bio), ``/settings/email`` (a new address, kept pending),
    ``/settings/language`` and ``/settings/notifications`` (the preference)."""

    @tornado.web.authenticated
    async def post(self, which: str) -> None:
        me, refusal = await self.attempt(page_data.change_setting(self.viewer, which, self.form()))
        if refusal:
            await self.show_refusal(refusal)
            return
        if which == "language":   # the switcher's cookie follows the choice (it would outrank it)
            self.set_cookie(i18n.COOKIE, me["locale"], expires_days=i18n.COOKIE_DAYS, samesite="Lax")
        self.see("/settings", which)


class AvatarPage(SettingsForms):
    """``POST /settings/avatar``: the multipart field ``avatar``, through ``PUT /me/avatar``'s operation."""

    @tornado.web.authenticated
    async def post(self) -> None:
        sent = self.request.files.get("avatar")
        op = users.set_avatar(self.viewer, sent[0].body if sent else b"", self.application.forum_settings.media_dir)
        _, refusal = await self.attempt(op)
        if refusal:
            await self.show_refusal(refusal)
            return
        self.see("/settings", "avatar")


class PasswordPage(SettingsForms):
    """``POST /settings/password``: every session ends with the old password; this browser gets a new one."""

    @tornado.web.authenticated
    async def post(self) -> None:
        session_id, refusal = await self.attempt(page_data.change_password_with_session(self.viewer, self.form()))
        if refusal:
            await self.show_refusal(refusal)
            return
        self.start_session_cookie(session_id)
        self.see("/settings", "password")


class ExportPage(PageHandler):
    """``GET /settings/export``: ``GET /me/export`` as a JSON file to keep."""

    @tornado.web.authenticated
    async def get(self) -> None:
        data, headers = pages.export_file(await self.run(accounts.export_me(self.viewer)))
        for name, value in headers.items():
            self.set_header(name, value)
        self.finish(data)


class DeleteAccountPage(SettingsForms):
    """``POST /settings/delete``: the password and the "I understand" box, then ``DELETE /me``; logged out."""

    @tornado.web.authenticated
    async def post(self) -> None:
        _, refusal = await self.attempt(page_data.delete_account(self.viewer, self.form()))
        if refusal:
            await self.show_refusal(refusal)
            return
        self.clear_cookie(sessions.COOKIE_NAME)
        self.see("/", "account_deleted")


class LanguagePage(PageHandler):
    """The switcher on every page: ``GET /language?lang=zh-CN&next=/posts/3`` keeps the choice in the
    ``lang`` cookie and goes back to the same page."""

    def get(self) -> None:
        lang, back = pages.language_choice(self.query())
        if lang:
            self.set_cookie(i18n.COOKIE, lang, expires_days=i18n.COOKIE_DAYS, samesite="Lax")
        self.redirect(back, status=303)


class WatchPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, kind: str, item_id: str, action: str) -> None:
        await self.run(WATCHES[kind, action](self.viewer, int(item_id)))
        self.back("/")
