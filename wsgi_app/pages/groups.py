"""The home page, groups, their posts, comments and likes."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.wrappers import Response

from shared import pages
from shared.i18n import _l
from shared.storage import comments, groups, page_data, posts
from shared.storage.answers import like_answer, unlike_answer
from shared.storage.comments import like_comment, unlike_comment
from shared.storage.posts import like_post, unlike_post
from wsgi_app.db import current_settings, run
from wsgi_app.pages.base import attempt, back, bp, form, login_required, query, see, throttle


@bp.get("/")
def home() -> str:
    return render_template("home.html", title=_l("Home"), **run(page_data.home(g.viewer)))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new_group() -> Any:
    if request.method == "GET":
        return render_template("group_new.html", title=_l("New group"))
    group, refusal = attempt(groups.create_group(g.viewer, pages.form_body("group", form())))
    if refusal:
        return render_template("group_new.html", title=_l("New group"), **pages.form_state(refusal, form())), refusal.status
    return see(f"/groups/{group['id']}", "group_created")


@bp.get("/groups/<int:group_id>")
def group_page(group_id: int) -> str:
    page = run(page_data.group_page(g.viewer, group_id, query()))
    return render_template("group.html", title=page["group"]["name"], **page)


@bp.post("/groups/<int:group_id>")
@login_required
def join(group_id: int) -> Response:
    """Join an open group, or apply to one that needs the owner's approval."""
    application = run(groups.apply(g.viewer, group_id, pages.form_body("application", form())))
    return see(f"/groups/{group_id}", pages.joined(application))


@bp.get("/groups")
def groups_page() -> str:
    return render_template("groups.html", title=_l("Groups"), **run(page_data.groups_page(g.viewer, query())))


@bp.get("/groups/<int:group_id>/members")
def members_page(group_id: int) -> str:
    return render_template("members.html", title=_l("Members"), **run(page_data.members_page(g.viewer, group_id, query())))


@bp.post("/groups/<int:group_id>/leave")
@login_required
def leave(group_id: int) -> Response:
    run(groups.leave(g.viewer, group_id))
    return see(f"/groups/{group_id}", "left")


def show_settings(group_id: int, **state: Any) -> str:
    page = run(page_data.group_settings_page(g.viewer, group_id, query()))
    return render_template("group_settings.html", title=_l("Group settings"), **{**page, **state})


@bp.route("/groups/<int:group_id>/settings", methods=["GET", "POST"])
@login_required
def group_settings(group_id: int) -> Any:
    """The settings form: ``PATCH /groups/{id}``; a refusal shows the form again with what was typed."""
    if request.method == "GET":
        return show_settings(group_id)
    _, refusal = attempt(groups.update_group(g.viewer, group_id, pages.form_body("group", form())))
    if refusal:
        return show_settings(group_id, **pages.form_state(refusal, form())), refusal.status
    return see(f"/groups/{group_id}", "group_saved")


@bp.post("/groups/<int:group_id>/cover")
@login_required
def group_cover(group_id: int) -> Response:
    """The cover form (multipart, field ``cover``): ``PUT /groups/{id}/cover``."""
    sent = request.files.get("cover")
    run(groups.set_cover(g.viewer, group_id, sent.read() if sent else b"", current_settings().media_dir))
    return see(f"/groups/{group_id}/settings", "cover")


@bp.post("/posts/<int:post_id>/<any(pin, unpin, lock, unlock):action>")
@login_required
def flag_post(post_id: int, action: str) -> Response:
    """Pin, unpin, lock or unlock a post (its group's owner)."""
    run(page_data.flag_post(g.viewer, post_id, action))
    return see(f"/posts/{post_id}", pages.DONE_AFTER[action])


@bp.post("/groups/<int:group_id>/applications/<int:application_id>")
@login_required
def decide(group_id: int, application_id: int) -> Response:
    """The owner approves or rejects an application."""
    decided = run(groups.decide_application(g.viewer, group_id, application_id, pages.form_body("decision", form())))
    return see(f"/groups/{group_id}", pages.DONE_AFTER[decided["status"]])


@bp.route("/groups/<int:group_id>/posts/new", methods=["GET", "POST"])
@login_required
def new_post(group_id: int) -> Any:
    group = run(groups.get_group(g.viewer, group_id))
    if request.method == "GET":
        return render_template("post_new.html", title=_l("New post"), group=group)
    create = posts.create_post(g.viewer, group_id, pages.form_body("post", form()))
    post, refusal = attempt(throttle("/groups/{group_id}/posts", create))
    if refusal:
        return render_template("post_new.html", title=_l("New post"), group=group,
                               **pages.form_state(refusal, form())), refusal.status
    return see(f"/posts/{post['id']}", "posted")


def show_post(post_id: int, **state: Any) -> str:
    page = run(page_data.post_page(g.viewer, post_id, query()))
    return render_template("post.html", title=page["post"]["title"], **page, **state)


@bp.get("/posts/<int:post_id>")
def post_page(post_id: int) -> str:
    return show_post(post_id)


@bp.post("/posts/<int:post_id>")
@login_required
def comment(post_id: int) -> Any:
    """A comment, or a reply when the form names its ``parent_id``; a refusal shows the page again."""
    create = comments.create_comment(g.viewer, post_id, pages.form_body("reply", form()))
    made, refusal = attempt(throttle("/posts/{post_id}/comments", create))
    if refusal:
        return show_post(post_id, **pages.form_state(refusal, form())), refusal.status
    return see(f"/posts/{post_id}#comment-{made['id']}", "commented")


# What each like button changes, by the URL's words: /posts/7/like, /comments/9/unlike ...
LIKES = {
    ("posts", "like"): like_post, ("posts", "unlike"): unlike_post,
    ("comments", "like"): like_comment, ("comments", "unlike"): unlike_comment,
    ("answers", "like"): like_answer, ("answers", "unlike"): unlike_answer,
}


@bp.post("/<any(posts, comments, answers):kind>/<int:item_id>/<any(like, unlike):action>")
@login_required
def like(kind: str, item_id: int, action: str) -> Response:
    run(LIKES[kind, action](g.viewer, item_id))
    return back("/")
