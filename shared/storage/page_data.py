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
from shared.errors import Invalid, NotFound
from shared.storage import (
    accounts,
    answers,
    bans,
    bookmarks,
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
from shared.storage.sessions import session_viewer, start_session

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


@read_only
def groups_page(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/groups``: a page of all groups, newest first, filtered as ``GET /groups`` is (``?category=``, ``?q=``)."""
    listed = yield from groups.list_groups(viewer, query)
    return {"groups": listed, "q": query.get("q", ""), "category": query.get("category", "")}


@read_only
def members_page(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/groups/{id}/members``: the group and a page of its members with their roles, as they joined."""
    group = yield from groups.get_group(viewer, group_id)
    return {"group": group, "members": (yield from groups.list_members(viewer, group_id, query))}


@read_only
def group_settings_page(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/groups/{id}/settings`` (its owner only, else the API's 403): the group's fields to edit and its
    members to name or unname moderators among (the applications wait on the group's own page)."""
    yield from groups.require_owner(viewer, group_id)
    group = yield from groups.get_group(viewer, group_id)
    members = yield from groups.list_members(viewer, group_id, query)
    values = {name: group[name] for name in pages.FORMS["group"]}
    return {"group": group, "members": members, "values": values}


POST_FLAGS = {"pin": {"pinned": True}, "unpin": {"pinned": False},
              "lock": {"locked": True}, "unlock": {"locked": False}}


def flag_post(viewer: Viewer, post_id: int, action: str) -> Op[Any]:
    """The pin and lock buttons of a post's page: ``PATCH /posts/{id}`` with ``pinned`` or ``locked``."""
    return (yield from posts.update_post(viewer, post_id, POST_FLAGS[action]))


def post_page(viewer: Viewer, post_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/posts/{id}``: the post (counting one view, as ``GET /posts/{id}`` does), its group, a page of
    comments, the first replies of each, and where the first comment new since the viewer's last visit is
    (``first_unread``)."""
    seen = yield from bookmarks.last_seen(bookmarks.POST, viewer, post_id)      # before this visit is recorded
    post = yield from posts.get_post(viewer, post_id)
    group = yield from groups.get_group(viewer, post["group_id"])
    listed = yield from comments.list_comments(viewer, post_id, query)
    yield from attach_replies(comments.COMMENTS, viewer, listed["items"])
    moderates = yield from roles.moderates(viewer, post["group_id"])
    watched = yield from watching.is_watching(viewer.user_id, "post", post_id)
    return {"post": post, "group": group, "comments": listed, "moderates": moderates, "watching": watched,
            "first_unread": first_unread(viewer, listed["items"], seen)}


def question_page(viewer: Viewer, question_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/questions/{id}``: the question (one view counted), a page of answers, their first replies, and
    the first answer new since the viewer's last visit (``first_unread``)."""
    seen = yield from bookmarks.last_seen(bookmarks.QUESTION, viewer, question_id)
    question = yield from questions.get_question(viewer, question_id)
    listed = yield from answers.list_answers(viewer, question_id, query)
    yield from attach_replies(answers.ANSWERS, viewer, listed["items"])
    moderates = yield from roles.moderates(viewer, None)
    watched = yield from watching.is_watching(viewer.user_id, "question", question_id)
    return {"question": question, "answers": listed, "moderates": moderates, "watching": watched,
            "first_unread": first_unread(viewer, listed["items"], seen)}


def first_unread(viewer: Viewer, items: list[dict[str, Any]], seen: int | None) -> int | None:
    """The top-level item (of this page, in its order) that is, or holds a reply that is, new since the
    viewer's last visit: visible and by someone else, id above ``seen``. The page marks it
    (``id="first-unread"``). Never opened before (``seen`` None): nothing is marked."""
    if seen is None:
        return None

    def new(item: dict[str, Any]) -> bool:
        mine = item["author"] is not None and item["author"]["id"] == viewer.user_id
        return bool(item["id"] > seen and not mine and not item.get("hidden"))

    for item in items:
        if new(item) or any(new(reply) for reply in item.get("replies", [])):
            return int(item["id"])
    return None


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


USER_LISTS = {"posts": posts.list_user_posts, "questions": questions.list_user_questions,
              "groups": groups.list_user_groups}


@read_only
def user_activity_page(viewer: Viewer, user_id: int, kind: str, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/users/{id}/posts``, ``/questions``, ``/groups``: the profile's lists in full, a page at a time
    (``GET /users/{id}/posts`` ... newest first)."""
    user = yield from users.get_user(viewer, user_id)
    return {"user": user, "kind": kind, "listed": (yield from USER_LISTS[kind](viewer, user_id, query))}


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
    """A form of ``/settings``: ``profile`` (nickname and bio), ``email`` (a new address, pending until
    verified), ``language`` or ``notifications``."""
    if which in ("profile", "email", "language"):
        return (yield from users.update_me(viewer, pages.form_body(which, form)))
    return (yield from watching.set_preferences(viewer, pages.form_body("preferences", form)))


def change_password_with_session(viewer: Viewer, form: Mapping[str, str]) -> Op[str]:
    """``/settings/password``: the API's password change (which ends every session and token, this one's
    too), then a new session for this browser (its id, for the cookie): the user stays logged in here."""
    yield from users.change_password(viewer, pages.form_body("change_password", form))
    session_id: str = yield from start_session(viewer.require())
    return session_id


def delete_account(viewer: Viewer, form: Mapping[str, str]) -> Op[None]:
    """``/settings/delete``: ``DELETE /me`` with the password, once the "I understand" box is ticked."""
    if form.get("confirm") != "yes":
        raise Invalid.one("confirm", pages.CONFIRM_DELETE)
    yield from accounts.delete_me(viewer, pages.form_body("delete_account", form))


# -- bookmarks (API.md §10) ---------------------------------------------------------------------------

@read_only
def bookmarks_page(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/bookmarks``: a page of the viewer's bookmarks, newest first, each with its unread count."""
    return (yield from bookmarks.list_bookmarks(viewer, query))


BOOKMARK_BUTTONS = {
    ("posts", "bookmark"): bookmarks.bookmark_post, ("posts", "unbookmark"): bookmarks.unbookmark_post,
    ("questions", "bookmark"): bookmarks.bookmark_question, ("questions", "unbookmark"): bookmarks.unbookmark_question,
}


def bookmark_button(viewer: Viewer, kind: str, item_id: int, action: str) -> Op[None]:
    """The Bookmark / Remove bookmark button of a post or question page: ``/{kind}/{id}/{action}``."""
    yield from BOOKMARK_BUTTONS[kind, action](viewer, item_id)


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
