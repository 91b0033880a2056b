"""``/login``, ``/register``, ``POST /logout``: the session cookie's life."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import sessions, users


class LoginPage(PageHandler):
    def get(self) -> None:
        self.render("login.html", title=_l("Log in"), next=self.get_argument("next", "/"))

    async def post(self) -> None:
        """The API's login flow and rate limits (one shared operation), ending in a new session."""
        body = pages.form_body("login", self.form())
        session_id, refusal = await self.attempt(users.login_with_session(self.viewer, body, self.client_address))
        if refusal:
            self.render("login.html", title=_l("Log in"), next=self.get_body_argument("next", "/"), **self.refused(refusal))
            return
        self.start_session_cookie(session_id)
        self.back("/", "logged_in")

    async def log_in(self, user_id: int) -> None:
        """A brand-new session (never the one the browser came with), then on to where they were going."""
        self.start_session_cookie(await self.run(sessions.start_session(user_id)))
        self.back("/", "welcome")


class RegisterPage(LoginPage):
    def get(self) -> None:
        self.render("register.html", title=_l("Register"))

    async def post(self) -> None:
        """Create the account and log it in at once."""
        user, refusal = await self.attempt(users.register(self.viewer, pages.form_body("register", self.form())))
        if refusal:
            self.render("register.html", title=_l("Register"), **self.refused(refusal))
            return
        await self.log_in(user["id"])


class LogoutPage(PageHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        """End the session in the database: a copy of the cookie kept anywhere stops working too."""
        await self.run(sessions.end_session(self.get_cookie(sessions.COOKIE_NAME)))
        self.clear_cookie(sessions.COOKIE_NAME)
        self.see("/", "logged_out")
