"""``/login``, ``/register``, ``POST /logout``: the session cookie's life."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.wrappers import Response

from shared import pages
from shared.errors import ForumError, Unauthorized
from shared.ratelimit import check_login, login_failed, login_succeeded
from shared.storage import sessions, users
from wsgi_app.db import limiter, run
from wsgi_app.pages.base import attempt, back, bp, form, login_required, secure_cookies, see


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", title="Log in", next=request.args.get("next", "/"))
    body = pages.form_body("login", form())
    address = request.remote_addr or ""
    try:
        limiter().run(check_login(body["login"], address))
        try:
            token = run(users.login(g.viewer, body))
        except Unauthorized:
            limiter().run(login_failed(body["login"], address))
            raise
    except ForumError as exc:
        if exc.status not in pages.FORM_STATUSES:
            raise
        return render_template("login.html", title="Log in", next=request.form.get("next", "/"),
                               **pages.form_state(exc, form())), exc.status
    limiter().run(login_succeeded(body["login"]))
    return log_in(token["user"]["id"])


def log_in(user_id: int) -> Response:
    """A brand-new session (never the one the browser came with), then on to where they were going."""
    response = back("/")
    response.set_cookie(sessions.COOKIE_NAME, run(sessions.start_session(user_id)), httponly=True,
                        samesite="Lax", secure=secure_cookies(), max_age=sessions.SESSION_DAYS * 86400)
    return response


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if request.method == "GET":
        return render_template("register.html", title="Register")
    user, refusal = attempt(users.register(g.viewer, pages.form_body("register", form())))
    if refusal:
        return render_template("register.html", title="Register", **pages.form_state(refusal, form())), refusal.status
    return log_in(user["id"])


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the session in the database: a copy of the cookie kept anywhere stops working too."""
    run(sessions.end_session(request.cookies.get(sessions.COOKIE_NAME)))
    response = see("/")
    response.delete_cookie(sessions.COOKIE_NAME, secure=secure_cookies())
    return response
