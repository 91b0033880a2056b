"""Reporting, moderating and administering from the pages: the report button, the moderators' buttons,
``/moderation`` and ``/admin``. Each form runs one operation of the API and goes back where it came from."""

from __future__ import annotations

from flask import g, redirect, render_template, request
from werkzeug.wrappers import Response

from shared import pages
from shared.i18n import _l
from shared.storage import bans, moderation, page_data
from wsgi_app.db import run
from wsgi_app.pages.base import back, bp, form, login_required, query


@bp.get("/<any(comments, answers):kind>/<int:item_id>")
def item_page(kind: str, item_id: int) -> Response:
    """``/comments/{id}``, ``/answers/{id}``: the page that shows it."""
    return redirect(run(page_data.item_path(g.viewer, kind[:-1], item_id)))


@bp.get("/moderation")
@login_required
def moderation_page() -> str:
    page = run(page_data.moderation_page(g.viewer, query()))
    return render_template("moderation.html", title=_l("Moderation"), here=request.full_path.rstrip("?"),
                           resolutions=pages.RESOLUTIONS, **page)


@bp.get("/admin")
@login_required
def admin_page() -> str:
    page = run(page_data.admin_page(g.viewer, query()))
    return render_template("admin.html", title=_l("Administration"), stat_labels=pages.STAT_LABELS, **page)


@bp.post("/reports")
@login_required
def new_report() -> Response:
    run(moderation.create_report(g.viewer, pages.report_body(form())))
    return back("/", "reported")


@bp.post("/reports/<int:report_id>")
@login_required
def resolve_report(report_id: int) -> Response:
    run(moderation.resolve_report(g.viewer, report_id, pages.form_body("resolve", form())))
    return back("/moderation", "resolved")


@bp.post("/<any(posts, comments, questions, answers):kind>/<int:item_id>/<any(hide, restore, delete):action>")
@login_required
def content_action(kind: str, item_id: int, action: str) -> Response:
    """Hide (with a reason), restore or delete a post, comment, question or answer."""
    run(moderation.page_action(g.viewer, kind[:-1], item_id, action, pages.form_body("hide", form())))
    return back("/", pages.DONE_AFTER[action])


@bp.post("/users/<int:user_id>/ban")
@login_required
def user_ban(user_id: int) -> Response:
    run(bans.ban_user(g.viewer, user_id, pages.form_body("ban", form())))
    return back(f"/users/{user_id}", "banned")


@bp.post("/users/<int:user_id>/unban")
@login_required
def user_unban(user_id: int) -> Response:
    run(bans.unban_user(g.viewer, user_id))
    return back(f"/users/{user_id}", "unbanned")


@bp.post("/users/<int:user_id>/role")
@login_required
def user_role(user_id: int) -> Response:
    run(moderation.set_role(g.viewer, user_id, pages.form_body("role", form())))
    return back(f"/users/{user_id}", "role")


@bp.post("/groups/<int:group_id>/moderators/<int:user_id>/<any(add, remove):action>")
@login_required
def group_moderator(group_id: int, user_id: int, action: str) -> Response:
    change = moderation.add_moderator if action == "add" else moderation.remove_moderator
    run(change(g.viewer, group_id, user_id))
    return back(f"/groups/{group_id}", pages.DONE_AFTER[action])


@bp.post("/groups/<int:group_id>/bans")
@login_required
def group_ban(group_id: int) -> Response:
    run(bans.ban_from_group(g.viewer, group_id, pages.form_body("group_ban", form())))
    return back(f"/groups/{group_id}", "banned")


@bp.post("/groups/<int:group_id>/bans/<int:user_id>/lift")
@login_required
def group_unban(group_id: int, user_id: int) -> Response:
    run(bans.unban_from_group(g.viewer, group_id, user_id))
    return back(f"/groups/{group_id}", "unbanned")
