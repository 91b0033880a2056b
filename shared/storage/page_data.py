"""What each HTML page reads (API.md §5), one operation per page, written once for both apps.

Each page is built with ``yield from`` out of the operations the JSON API runs, so a page shows
exactly what the API would answer (same rules, same SQL) and costs one transaction. The apps only
pick the template and fill it in; how a form becomes an API body is ``shared/pages.py``.

Two reads exist for pages only, as public operations of their resources: the newest posts of all
groups (:func:`shared.storage.posts.list_latest_posts`) and the replies under a whole page of
comments or answers in ONE statement (:func:`shared.storage.threads.first_replies`), instead of one
``GET /comments/{id}/replies`` per comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import pages
from shared.auth import ANONYMOUS, Viewer
from shared.errors import NotFound
from shared.storage import (
    accounts,
    answers,
    bans,
    comments,
    groups,
    moderation,
    notifications,
    posts,
    questions,
    revisions,
    roles,
    threads,
    users,
    watching,
)
from shared.storage.effects import Compute, Op, read_only
from shared.storage.sessions import session_viewer

HOME_ITEMS = "10"           # how many groups, posts and questions the home page lists
REPLIES_SHOWN = 10          # replies shown under each comment or answer on its page


@read_only
def visitor(session_id: str | None) -> Op[dict[str, Any]]:
    """The session cookie's user for the navigation bar: ``{viewer, user, unread}`` (user None when anonymous)."""
    viewer = yield from session_viewer(session_id)
    if viewer.user_id is None:
        return {"viewer": ANONYMOUS, "user": None, "unread": 0}
    user = yield from users.get_me(viewer)
    unread = yield from notifications.unread_count(viewer)
    return {"viewer": viewer, "user": user, "unread": unread["count"]}   # user["email_verified"]: the notice


@read_only
def home(viewer: Viewer) -> Op[dict[str, Any]]:
    """``/``: the newest groups, the latest posts of every group, the newest questions."""
    first = {"limit": HOME_ITEMS}
    return {
        "groups": (yield from groups.list_groups(viewer, first))["items"],
        "posts": (yield from posts.list_latest_posts(viewer, first))["items"],
        "questions": (yield from questions.list_questions(viewer, first))["items"],
    }


@read_only
def group_page(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/groups/{id}``: the group, a page of its posts (``?sort=``, ``?cursor=``), for its owner the
    applications waiting for a decision, and for its moderators its members."""
    group = yield from groups.get_group(viewer, group_id)
    listed = yield from posts.list_group_posts(viewer, group_id, query)
    pending, members = [], []
    if group["membership"] == "owner":
        pending = (yield from groups.list_applications(viewer, group_id, {"status": "pending"}))["items"]
    moderates = yield from roles.moderates(viewer, group_id)
    if moderates:                                   # its moderators name moderators and ban members here
        members = (yield from groups.list_members(viewer, group_id, {"limit": "100"}))["items"]
    return {"group": group, "posts": listed, "applications": pending, "members": members, "moderates": moderates}


def post_page(viewer: Viewer, post_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/posts/{id}``: the post (counting one view, as ``GET /posts/{id}`` does), its group, a page of
    comments, and the first replies of each."""
    post = yield from posts.get_post(viewer, post_id)
    group = yield from groups.get_group(viewer, post["group_id"])
    listed = yield from comments.list_comments(viewer, post_id, query)
    yield from attach_replies(comments.COMMENTS, viewer, listed["items"])
    moderates = yield from roles.moderates(viewer, post["group_id"])
    watched = yield from watching.is_watching(viewer.user_id, "post", post_id)
    return {"post": post, "group": group, "comments": listed, "moderates": moderates, "watching": watched}


def question_page(viewer: Viewer, question_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/questions/{id}``: the question (one view counted), a page of answers, and their first replies."""
    question = yield from questions.get_question(viewer, question_id)
    listed = yield from answers.list_answers(viewer, question_id, query)
    yield from attach_replies(answers.ANSWERS, viewer, listed["items"])
    moderates = yield from roles.moderates(viewer, None)
    watched = yield from watching.is_watching(viewer.user_id, "question", question_id)
    return {"question": question, "answers": listed, "moderates": moderates, "watching": watched}


@read_only
def settings_page(viewer: Viewer) -> Op[dict[str, Any]]:
    """``/settings``: the caller's address (and one waiting to be verified) and the e-mail preference."""
    return {"me": (yield from users.get_me(viewer)), "preferences": (yield from watching.get_preferences(viewer))}


@read_only
def user_page(viewer: Viewer, user_id: int) -> Op[dict[str, Any]]:
    """``/users/{id}``: the profile, with the user's latest posts, questions and groups."""
    first = {"limit": HOME_ITEMS}
    return {
        "user": (yield from users.get_user(viewer, user_id)),
        "posts": (yield from posts.list_user_posts(viewer, user_id, first))["items"],
        "questions": (yield from questions.list_user_questions(viewer, user_id, first))["items"],
        "groups": (yield from groups.list_user_groups(viewer, user_id, first))["items"],
        "viewer_role": (yield from roles.standing(viewer.user_id, None))[0] if viewer.user_id else None,
    }


@read_only
def user_by_name(viewer: Viewer, username: str) -> Op[str]:
    """``/users/by-name/{username}`` (where a rendered ``@username`` links): the path of that user's page."""
    return f"/users/{(yield from users.id_by_name(username))}"


def attach_replies(thread: threads.Thread, viewer: Viewer, items: list[dict[str, Any]]) -> Op[None]:
    """Set ``item["replies"]`` (the first :data:`REPLIES_SHOWN`, oldest first) on a page of top-level items."""
    parents = [item["id"] for item in items if item["reply_count"]]
    replies = yield from threads.first_replies(thread, viewer, parents, REPLIES_SHOWN)
    for item in items:
        item["replies"] = replies.get(item["id"], [])


@read_only
def notifications_page(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/notifications``: a page of the viewer's notifications, each with the title of the post,
    question or group it is about (``item["title"]``, None when hidden or gone), so the page reads
    "pike commented on *Post title*"."""
    listed = yield from notifications.list_notifications(viewer, query)
    titles = yield from notifications.target_titles(listed["items"])
    for item in listed["items"]:
        item["title"] = titles.get((item["target"]["type"], item["target"]["id"]))
    return listed


@read_only
def moderation_page(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/moderation`` (``?group_id=`` for one group): open reports, hidden content and bans the viewer
    may act on. Someone who moderates nothing gets the API's 403."""
    reports = yield from moderation.list_reports(viewer, {**query, "status": "open"})
    hidden = yield from moderation.list_hidden(viewer)
    group_id = query.get("group_id")
    site_bans = (yield from bans.list_site_bans(viewer, {"limit": "100"}))["items"] \
        if (yield from roles.is_staff(viewer)) else []
    group_bans = (yield from bans.list_group_bans(viewer, int(group_id), {"limit": "100"}))["items"] \
        if group_id else []
    return {"reports": reports, "hidden": hidden, "site_bans": site_bans, "group_bans": group_bans,
            "group_id": int(group_id) if group_id else None}


@read_only
def admin_page(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/admin``: statistics, the site's staff, and the audit log (admins only: the API's 403 otherwise)."""
    stats = yield from accounts.admin_stats(viewer)
    return {"stats": stats, "staff": (yield from moderation.list_staff()),
            "audit": (yield from moderation.list_audit_log(viewer, query))}


@read_only
def item_path(viewer: Viewer, kind: str, item_id: int) -> Op[str]:
    """Where a comment or an answer is shown: its post's or question's page, at the item (404 if the viewer
    may not see it). Reports and audit entries link to ``/comments/{id}`` and ``/answers/{id}``."""
    item = yield from moderation.locate(kind, item_id)
    if not (yield from roles.may_see_in_place(viewer, item)):
        raise NotFound(kind)
    page = "posts" if kind == "comment" else "questions"
    return f"/{page}/{item['container_id']}#{kind}-{item_id}"


def change_setting(viewer: Viewer, which: str, form: Mapping[str, str]) -> Op[Any]:
    """A form of ``/settings``: ``email`` (a new address, pending until verified), ``language`` or
    ``notifications``."""
    if which in ("email", "language"):
        return (yield from users.update_me(viewer, pages.form_body(which, form)))
    return (yield from watching.set_preferences(viewer, pages.form_body("preferences", form)))


# -- writing and reading (API.md §10) ---------------------------------------------------------------

KINDS = {"posts": "post", "comments": "comment", "questions": "question", "answers": "answer"}   # URL word → kind


@read_only
def edit_page(viewer: Viewer, kind: str, item_id: int) -> Op[dict[str, Any]]:
    """``/{kind}/{id}/edit``: the author's text to edit (anyone else gets the API's 403)."""
    item = yield from revisions.current_text(viewer, KINDS[kind], item_id, editing=True)
    values = {name: item[name] for name in ("title", "content", "category") if item[name] is not None}
    return {"kind": kind, "item": item, "values": values}


def save_edit(viewer: Viewer, kind: str, item_id: int, form: Mapping[str, str]) -> Op[str]:
    """The edit form, sent: the API's edit of that kind; where to show the result."""
    if kind == "posts":
        yield from posts.update_post(viewer, item_id, pages.form_body("post", form))
        return f"/posts/{item_id}"
    if kind == "questions":
        yield from questions.update_question(viewer, item_id, pages.form_body("question", form))
        return f"/questions/{item_id}"
    if kind == "comments":
        comment = yield from comments.edit_comment(viewer, item_id, pages.form_body("edit", form))
        return revisions.item_path("comment", item_id, comment["post_id"])
    answer = yield from answers.edit_answer(viewer, item_id, pages.form_body("edit", form))
    return revisions.item_path("answer", item_id, answer["question_id"])


@read_only
def history_page(viewer: Viewer, kind: str, item_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/{kind}/{id}/history``: the item's versions, newest first, each with what it changed."""
    item = yield from revisions.current_text(viewer, KINDS[kind], item_id)
    listed = yield from revisions.list_revisions(viewer, KINDS[kind], item_id, query)
    diffs = yield Compute(pages.revision_diffs, (listed["items"],))
    shown = [{**revision, "diff": diff} for revision, diff in zip(listed["items"], diffs, strict=True)]
    return {"kind": kind, "item": item, "revisions": {**listed, "items": shown}}


VOTES = {"up": 1, "down": -1}


def vote(viewer: Viewer, answer_id: int, action: str) -> Op[Any]:
    """The vote buttons under an answer: ``up``, ``down`` or ``unvote``."""
    if action == "unvote":
        return (yield from answers.unvote_answer(viewer, answer_id))
    return (yield from answers.vote_answer(viewer, answer_id, {"value": VOTES[action]}))


def accept(viewer: Viewer, question_id: int, action: str, form: Mapping[str, str]) -> Op[Any]:
    """The question's author accepts an answer (the form names it) or takes the mark back."""
    if action == "unaccept":
        return (yield from questions.unaccept_answer(viewer, question_id))
    return (yield from questions.accept_answer(viewer, question_id, pages.form_body("accept", form)))
