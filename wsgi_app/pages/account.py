"""The account's pages (API.md §9, §12): reset a password, verify an address, settings (profile, avatar,
password, export, leaving), watch buttons."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.wrappers import Response

from shared import i18n, pages
from shared.errors import ForumError
from shared.i18n import _l
from shared.storage import accounts, page_data, sessions, users, verification, watching
from wsgi_app.db import current_settings, run
from wsgi_app.pages.auth import with_session
from wsgi_app.pages.base import attempt, back, bp, form, login_required, query, secure_cookies, see, throttle

# What each watch button changes, by the URL's words: /posts/7/watch, /questions/3/unwatch ...
WATCHES = {
    ("posts", "watch"): watching.watch_post, ("posts", "unwatch"): watching.unwatch_post,
    ("questions", "watch"): watching.watch_question, ("questions", "unwatch"): watching.unwatch_question,
}


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> Any:
    """Without a token: ask for a link. With the token from the link: choose a new password, logged in."""
    title = _l("Reset your password")
    if request.method == "GET":
        return render_template("reset_password.html", title=title, token=request.args.get("token", ""))
    if "token" in request.form:
        body = pages.form_body("password_reset_confirm", form())
        session_id, refusal = attempt(verification.reset_password_with_session(g.viewer, body))
        if refusal:
            return render_template("reset_password.html", title=title, token=body["token"],
                                   **pages.form_state(refusal, form())), refusal.status
        return with_session(session_id, done="password_reset")
    op = verification.request_password_reset(g.viewer, pages.form_body("password_reset", form()))
    _, refusal = attempt(throttle("/auth/password-reset", op))
    if refusal:
        return render_template("reset_password.html", title=title, token="",
                               **pages.form_state(refusal, form())), refusal.status
    return render_template("reset_password.html", title=title, token="", message=pages.RESET_LINK_SENT)


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email() -> Any:
    """The link in the verification e-mail opens a button (a GET changes nothing: mail scanners follow links)."""
    title = _l("Confirm your address")
    if request.method == "GET":
        return render_template("verify_email.html", title=title, token=request.args.get("token", ""), done=False)
    body = pages.form_body("verify_email", form())
    _, refusal = attempt(verification.verify_email(g.viewer, body))
    if refusal:
        return render_template("verify_email.html", title=title, token=body["token"], done=False,
                               **pages.form_state(refusal, form())), refusal.status
    return render_template("verify_email.html", title=title, token=body["token"], done=True,
                           message=pages.ADDRESS_VERIFIED)


@bp.post("/verify-email/resend")
@login_required
def resend_verification() -> Response:
    run(throttle("/auth/resend-verification", verification.resend_verification(g.viewer)))
    return back("/settings", "verification_sent")


@bp.get("/settings")
@login_required
def settings() -> str:
    return render_template("settings.html", title=_l("Settings"), **run(page_data.settings_page(g.viewer)))


@bp.post("/settings/<any(profile, email, notifications, language):which>")
@login_required
def change_setting(which: str) -> Any:
    """``/settings/profile`` (nickname and bio), ``/settings/email`` (a new address, kept pending),
    ``/settings/language`` and ``/settings/notifications`` (the preference)."""
    me, refusal = attempt(page_data.change_setting(g.viewer, which, form()))
    if refusal:
        return settings_refused(refusal)
    response = see("/settings", which)
    if which == "language":   # the switcher's cookie follows the choice (it would outrank it)
        language_cookie(response, me["locale"])
    return response


def settings_refused(refusal: ForumError) -> Any:
    """The settings page again, the refused form showing the user's input and the reason."""
    page = run(page_data.settings_page(g.viewer))
    return render_template("settings.html", title=_l("Settings"), **page,
                           **pages.form_state(refusal, form())), refusal.status


@bp.post("/settings/avatar")
@login_required
def change_avatar() -> Any:
    """The multipart field ``avatar``, through ``PUT /me/avatar``'s operation."""
    sent = request.files.get("avatar")
    _, refusal = attempt(users.set_avatar(g.viewer, sent.read() if sent else b"", current_settings().media_dir))
    return settings_refused(refusal) if refusal else see("/settings", "avatar")


@bp.post("/settings/password")
@login_required
def change_password() -> Any:
    """Every session ends with the old password; this browser gets a new one."""
    session_id, refusal = attempt(page_data.change_password_with_session(g.viewer, form()))
    if refusal:
        return settings_refused(refusal)
    return with_session(session_id, "/settings", "password")


@bp.get("/settings/export")
@login_required
def export() -> Response:
    """``GET /me/export`` as a JSON file to keep."""
    data, headers = pages.export_file(run(accounts.export_me(g.viewer)))
    return Response(data, headers=headers)


@bp.post("/settings/delete")
@login_required
def delete_account() -> Any:
    """The password and the "I understand" box, then ``DELETE /me``; logged out."""
    _, refusal = attempt(page_data.delete_account(g.viewer, form()))
    if refusal:
        return settings_refused(refusal)
    response = see("/", "account_deleted")
    response.delete_cookie(sessions.COOKIE_NAME, secure=secure_cookies())
    return response


@bp.get("/language")
def language() -> Response:
    """The switcher on every page: ``/language?lang=zh-CN&next=/posts/3`` keeps the choice in the
    ``lang`` cookie and goes back to the same page."""
    lang, back_to = pages.language_choice(query())
    response = see(back_to)
    if lang:
        language_cookie(response, lang)
    return response


def language_cookie(response: Response, lang: str) -> None:
    response.set_cookie(i18n.COOKIE, lang, max_age=i18n.COOKIE_DAYS * 86400, samesite="Lax", secure=secure_cookies())


@bp.post("/<any(posts, questions):kind>/<int:item_id>/<any(watch, unwatch):action>")
@login_required
def watch(kind: str, item_id: int, action: str) -> Response:
    run(WATCHES[kind, action](g.viewer, item_id))
    return back("/")
