"""What the HTML pages read and how their forms become API bodies, written once for both apps.

Each page of API.md §5 is one operation here, built with ``yield from`` out of the operations the
JSON API runs, so a page shows exactly what the API would answer (same rules, same SQL) and costs
one transaction. The apps only pick the template and fill it in.

The one query of its own is :func:`attach_replies`: the replies under a whole page of comments (or
answers) in ONE statement, instead of one ``GET /comments/{id}/replies`` per comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from shared import http
from shared.auth import ANONYMOUS, Viewer
from shared.config import Settings
from shared.errors import ForumError, Invalid
from shared.pagination import parse_page
from shared.storage import (
    answers,
    comments,
    groups,
    likes,
    notifications,
    posts,
    questions,
    threads,
    users,
)
from shared.storage.effects import Op, Query, read_only
from shared.storage.sessions import session_viewer

# Sent with every HTML page (and its error pages). Markdown bodies are sanitised already; the policy
# is the second wall: even an injected <script> or inline handler would not run (RELIABILITY 36).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
XSRF_FIELD = "_xsrf"        # the form field (and cookie) of the XSRF token, Tornado's name, in both apps
HOME_ITEMS = "10"           # how many groups, posts and questions the home page lists
REPLIES_SHOWN = 10          # replies shown under each comment or answer on its page


# -- who is looking ---------------------------------------------------------------------------------

@read_only
def visitor(session_id: str | None) -> Op[dict[str, Any]]:
    """The session cookie's user for the navigation bar: ``{viewer, user, unread}`` (user None when anonymous)."""
    viewer = yield from session_viewer(session_id)
    if viewer.user_id is None:
        return {"viewer": ANONYMOUS, "user": None, "unread": 0}
    user = yield from users.get_user(viewer, viewer.user_id)
    unread = yield from notifications.unread_count(viewer)
    return {"viewer": viewer, "user": user, "unread": unread["count"]}


def forwarded_https(scheme: str, peer: str, forwarded_proto: str | None, settings: Settings) -> bool:
    """Whether the browser reached us over HTTPS (the session cookie is then ``Secure``).

    Behind nginx the connection is plain HTTP from the proxy, which says the browser's scheme in
    ``X-Forwarded-Proto``; that header is believed only from a trusted proxy, since anyone can send
    it (the rule ``shared.http`` applies to client addresses). Under gunicorn the Flask app needs
    none of this: gunicorn's ``forwarded_allow_ips`` already sets the scheme.
    """
    if forwarded_proto and http._trusted(peer, settings.trusted_proxies):
        return forwarded_proto.strip().lower() == "https"
    return scheme == "https"


def local_path(candidate: str, default: str) -> str:
    """Where to send the browser after a form: a path on this site only (``/x``, never ``//evil``)."""
    if candidate.startswith("/") and not candidate.startswith(("//", "/\\")) and candidate.isprintable():
        return candidate
    return default


def error_title(status: int) -> str:
    """The heading of an HTML error page."""
    return {401: "Please log in", 403: "Not allowed", 404: "Page not found", 429: "Too many requests",
            503: "Try again in a moment"}.get(status, "Something went wrong")


# -- pages ------------------------------------------------------------------------------------------

@read_only
def home(viewer: Viewer) -> Op[dict[str, Any]]:
    """``/``: the newest groups, the latest posts of every group, the newest questions."""
    first = {"limit": HOME_ITEMS}
    return {
        "groups": (yield from groups.list_groups(viewer, first))["items"],
        "posts": (yield from latest_posts(viewer)),
        "questions": (yield from questions.list_questions(viewer, first))["items"],
    }


def latest_posts(viewer: Viewer) -> Op[list[dict[str, Any]]]:
    """The newest posts of all groups (the primary key's order: no extra index needed)."""
    request = parse_page({"limit": HOME_ITEMS})
    # posts' own SELECT and page shaping (authors JOINed, liked flags in one query), reused as is
    rows = yield from threads.fetch_page(posts._SELECT, [], [], posts.LATEST, request)
    listed = yield from posts._page(viewer, rows, request, posts.LATEST)
    items: list[dict[str, Any]] = listed["items"]
    return items


@read_only
def group_page(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/groups/{id}``: the group, a page of its posts (``?sort=``, ``?cursor=``), and for its owner
    the applications waiting for a decision."""
    group = yield from groups.get_group(viewer, group_id)
    listed = yield from posts.list_group_posts(viewer, group_id, query)
    pending = []
    if group["membership"] == "owner":
        pending = (yield from groups.list_applications(viewer, group_id, {"status": "pending"}))["items"]
    return {"group": group, "posts": listed, "applications": pending}


def post_page(viewer: Viewer, post_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/posts/{id}``: the post (counting one view, as ``GET /posts/{id}`` does), its group, a page of
    comments, and the first replies of each."""
    post = yield from posts.get_post(viewer, post_id)
    group = yield from groups.get_group(viewer, post["group_id"])
    listed = yield from comments.list_comments(viewer, post_id, query)
    yield from attach_replies(comments.COMMENTS, viewer, listed["items"])
    return {"post": post, "group": group, "comments": listed}


def question_page(viewer: Viewer, question_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``/questions/{id}``: the question (one view counted), a page of answers, and their first replies."""
    question = yield from questions.get_question(viewer, question_id)
    listed = yield from answers.list_answers(viewer, question_id, query)
    yield from attach_replies(answers.ANSWERS, viewer, listed["items"])
    return {"question": question, "answers": listed}


@read_only
def user_page(viewer: Viewer, user_id: int) -> Op[dict[str, Any]]:
    """``/users/{id}``: the profile, with the user's latest posts, questions and groups."""
    first = {"limit": HOME_ITEMS}
    return {
        "user": (yield from users.get_user(viewer, user_id)),
        "posts": (yield from posts.list_user_posts(viewer, user_id, first))["items"],
        "questions": (yield from questions.list_user_questions(viewer, user_id, first))["items"],
        "groups": (yield from groups.list_user_groups(viewer, user_id, first))["items"],
    }


def attach_replies(thread: threads.Thread, viewer: Viewer, items: list[dict[str, Any]]) -> Op[None]:
    """Set ``item["replies"]`` (the first :data:`REPLIES_SHOWN`, oldest first) on a page of top-level items.

    One statement for the whole page: a ``UNION ALL`` of one small ``ORDER BY id LIMIT n`` per parent,
    each served by the ``(parent_id, id)`` index, so a comment with 10 000 replies costs what one with
    ten does. The viewer's ``liked`` flags for all of them come in one more query.
    """
    for item in items:
        item["replies"] = []
    parents = [item["id"] for item in items if item["reply_count"]]
    if not parents:
        return
    # threads' own item SELECT (author and reply_to JOINed), as list_replies uses it
    one = f"SELECT * FROM ({threads._select(thread)} WHERE t.parent_id = %s ORDER BY t.id LIMIT %s) r"  # noqa: S608
    sql = " UNION ALL ".join(f"{one}{n}" for n in range(len(parents))) + " ORDER BY id"
    params = [value for parent in parents for value in (parent, REPLIES_SHOWN)]
    rows = yield Query(sql, params)
    liked = yield from likes.liked_ids(thread.like, viewer, [row["id"] for row in rows])
    by_id = {item["id"]: item for item in items}
    for row in rows:
        by_id[row["parent_id"]]["replies"].append(threads.shape(thread, row, row["id"] in liked))


# -- forms ------------------------------------------------------------------------------------------

# Each form's fields, named as in the API body it becomes.
FORMS: dict[str, tuple[str, ...]] = {
    "login": ("login", "password"),
    "register": ("username", "email", "password"),
    "group": ("name", "category", "description", "join_policy"),
    "application": ("reason",),
    "decision": ("status",),
    "post": ("title", "content"),
    "reply": ("content", "parent_id"),
    "question": ("title", "content", "category"),
    "guestbook": ("name", "email", "address", "message"),
}
ID_FIELDS = frozenset({"parent_id"})
# Refusals a user can fix: the form is shown again with the reason (others get an error page).
FORM_STATUSES = frozenset({401, 409, 422, 429})


def form_body(form_name: str, form: Mapping[str, str]) -> dict[str, Any]:
    """A submitted form as the API body the operation takes.

    Every field the form has is passed as typed (a missing one as ``""``, so the operation's own
    validation names it). An id field is an int, or absent when left empty (a top-level comment);
    anything else in it is passed on as text, which validation refuses with a 422 like the API.
    """
    body: dict[str, Any] = {}
    for name in FORMS[form_name]:
        value = form.get(name, "")
        if name in ID_FIELDS:
            if not value.strip():
                continue
            body[name] = int(value) if value.strip().isascii() and value.strip().isdigit() else value
        else:
            body[name] = value
    return body


def form_state(exc: ForumError, form: Mapping[str, str]) -> dict[str, Any]:
    """A refused form shown again: the user's input, each field's error (422) and the reason on top."""
    errors = {error.field: error.message for error in exc.errors} if isinstance(exc, Invalid) else {}
    return {"values": dict(form), "errors": errors, "message": exc.detail}


def noun(count: int, singular: str) -> str:
    """The word after a count, so a page says "1 member" and "2 members" (every noun counted here takes -s)."""
    return singular if count == 1 else singular + "s"


def older_link(path: str, query: Mapping[str, str], next_cursor: str) -> str:
    """The "Older →" link: this page with the list's next cursor (other parameters, e.g. ``sort``, kept)."""
    return path + "?" + urlencode({**query, "cursor": next_cursor})


# How a notification reads on /notifications: "<actor> <phrase> <excerpt of the page>".
NOTIFICATION_PHRASES = {
    "comment": "commented on", "reply": "replied in", "like": "liked your words in", "answer": "answered",
    "application": "asked to join", "approved": "let you into", "rejected": "turned down your application to",
    "mention": "mentioned you in",
}


def notification_phrase(kind: str) -> str:
    return NOTIFICATION_PHRASES.get(kind, kind)


def notification_link(notification: Mapping[str, Any]) -> str:
    """The page a notification is about: its post, question or group."""
    target = notification["target"]
    return f"/{target['type']}s/{target['id']}"
