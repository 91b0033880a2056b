"""``/login``, ``/register``, ``POST /logout``: the session cookie's life."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.wrappers import Response

from shared import pages
from shared.i18n import _l
from shared.storage import sessions, users
from wsgi_app.db import run
from wsgi_app.pages.base import attempt, back, bp, form, login_required, secure_cookies, see


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", title=_l("Log in"), next=request.args.get("next", "/"))
    body = pages.form_body("login", form())
    session_id, refusal = attempt(users.login_with_session(g.viewer, body, request.remote_addr or ""))
    if refusal:
        return render_template("login.html", title=_l("Log in"), next=request.form.get("next", "/"),
                               **pages.form_state(refusal, form())), refusal.status
    return with_session(session_id, done="logged_in")


def log_in(user_id: int) -> Response:
    """A brand-new session (never the one the browser came with) for a user who just registered."""
    return with_session(run(sessions.start_session(user_id)), done="welcome")


def with_session(session_id: str, to: str = "", done: str | None = None) -> Response:
    """The new session's cookie, then on to ``to`` or where they were going (confirming ``done``)."""
    response = see(to, done) if to else back("/", done)
    response.set_cookie(sessions.COOKIE_NAME, session_id, httponly=True,
                        samesite="Lax", secure=secure_cookies(), max_age=sessions.SESSION_DAYS * 86400)
    return response


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if request.method == "GET":
        return render_template("register.html", title=_l("Register"))
    user, refusal = attempt(users.register(g.viewer, pages.form_body("register", form())))
    if refusal:
        return render_template("register.html", title=_l("Register"), **pages.form_state(refusal, form())), refusal.status
    return log_in(user["id"])


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the session in the database: a copy of the cookie kept anywhere stops working too."""
    run(sessions.end_session(request.cookies.get(sessions.COOKIE_NAME)))
    response = see("/", "logged_out")
    response.delete_cookie(sessions.COOKIE_NAME, secure=secure_cookies())
    return response
