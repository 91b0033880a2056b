"""``/login``, ``/register``, ``POST /logout``: the session cookie's life."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.errors import ForumError, Unauthorized
from shared.ratelimit import check_login, login_failed, login_succeeded
from shared.storage import sessions, users


class LoginPage(PageHandler):
    def get(self) -> None:
        self.render("login.html", title="Log in", next=self.get_argument("next", "/"))

    async def post(self) -> None:
        """The API's login with its rate limits (5 failures per login, 20 per address → 429)."""
        body = pages.form_body("login", self.form())
        limiter, address = self.application.limiter, self.client_address
        try:
            await limiter.run(check_login(body["login"], address))
            try:
                token = await self.run(users.login(self.viewer, body))
            except Unauthorized:
                await limiter.run(login_failed(body["login"], address))
                raise
        except ForumError as exc:
            if exc.status not in pages.FORM_STATUSES:
                raise
            self.render("login.html", title="Log in", next=self.get_body_argument("next", "/"), **self.refused(exc))
            return
        await limiter.run(login_succeeded(body["login"]))
        await self.log_in(token["user"]["id"])

    async def log_in(self, user_id: int) -> None:
        """A brand-new session (never the one the browser came with), then on to where they were going."""
        self.start_session_cookie(await self.run(sessions.start_session(user_id)))
        self.back("/")


class RegisterPage(LoginPage):
    def get(self) -> None:
        self.render("register.html", title="Register")

    async def post(self) -> None:
        """Create the account and log it in at once."""
        user, refusal = await self.attempt(users.register(self.viewer, pages.form_body("register", self.form())))
        if refusal:
            self.render("register.html", title="Register", **self.refused(refusal))
            return
        await self.log_in(user["id"])


class LogoutPage(PageHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        """End the session in the database: a copy of the cookie kept anywhere stops working too."""
        await self.run(sessions.end_session(self.get_cookie(sessions.COOKIE_NAME)))
        self.clear_cookie(sessions.COOKIE_NAME)
        self.redirect("/", status=303)
