"""Profiles, notifications and the guestbook."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request
from markupsafe import Markup

from shared import pages
from shared.i18n import _l
from shared.storage import guestbook, notifications, page_data
from wsgi_app.db import run
from wsgi_app.pages.base import attempt, bp, form, login_required, query, see, throttle


@bp.get("/users/<int:user_id>")
def user_page(user_id: int) -> str:
    page = run(page_data.user_page(g.viewer, user_id))
    return render_template("user.html", title=page["user"]["username"], **page)


@bp.get("/users/<int:user_id>/<any(posts, questions, groups):kind>")
def user_activity(user_id: int, kind: str) -> str:
    page = run(page_data.user_activity_page(g.viewer, user_id, kind, query()))
    return render_template("user_activity.html", title=pages.USER_LIST_TITLES[kind], **page)


@bp.get("/users/by-name/<username>")
def user_by_name_page(username: str) -> Any:
    return redirect(run(page_data.user_by_name(g.viewer, username)))


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications_page() -> Any:
    if request.method == "POST":   # mark all as read
        run(notifications.mark_read(g.viewer, {"all": True}))
        return see("/notifications", "all_read")
    listed = run(page_data.notifications_page(g.viewer, query()))
    return render_template("notifications.html", title=_l("Notifications"), notifications=listed,
                           sentence=lambda item: Markup(pages.notification_html(item, item["title"], g.lang)))


def show_guestbook(**state: Any) -> str:
    listed = run(guestbook.list_entries(g.viewer, query()))
    return render_template("guestbook.html", title=_l("Guestbook"), entries=listed, **state)


@bp.route("/guestbook", methods=["GET", "POST"])
def guestbook_page() -> Any:
    if request.method == "GET":
        return show_guestbook()
    sign = guestbook.sign(g.viewer, pages.form_body("guestbook", form()))
    _, refusal = attempt(throttle("/guestbook", sign))
    if refusal:
        return show_guestbook(**pages.form_state(refusal, form())), refusal.status
    return see("/guestbook", "signed")
