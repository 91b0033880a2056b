"""The server-rendered HTML pages (API.md §5) as one blueprint, like the Flask tutorial (flaskr).

``g.user`` comes from the session cookie in the blueprint's ``before_request`` (flaskr uses
``before_app_request``; ours runs for pages only, because the JSON API must never read the cookie);
``login_required`` sends anonymous visitors to ``/login``. Every POST carries an XSRF token:
a double-submit cookie, checked here in a few lines, with the form field named ``_xsrf`` as in the
Tornado app. The markup is the Tornado app's, as Jinja2 macros (``templates/macros.html``).
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from shared import pages
from shared.errors import ForumError
from shared.ratelimit import throttle_route
from shared.storage import comments, groups, guestbook, notifications, posts, questions, sessions, users
from shared.storage.answers import create_answer, like_answer, unlike_answer
from shared.storage.comments import like_comment, unlike_comment
from shared.storage.effects import Op
from shared.storage.posts import like_post, unlike_post
from wsgi_app.db import run

log = logging.getLogger("forum.wsgi")
bp = Blueprint("pages", __name__)
F = TypeVar("F", bound=Callable[..., Any])


# -- every page: who is looking, XSRF, headers, errors ----------------------------------------------

@bp.before_request
def load_visitor() -> None:
    """Who is looking, from the session cookie; in the Tornado app's order (HEAD is not served, and a
    POST's XSRF token is checked before anything else)."""
    if request.method == "HEAD":
        raise MethodNotAllowed(["GET"])
    if request.method == "POST":
        check_xsrf()
    g.visitor = run(pages.visitor(request.cookies.get(sessions.COOKIE_NAME)))
    g.viewer, g.user = g.visitor["viewer"], g.visitor["user"]


def xsrf_token() -> str:
    """This browser's XSRF token: the one in its ``_xsrf`` cookie, or a new one set with this answer."""
    if "xsrf" not in g:
        g.xsrf = request.cookies.get(pages.XSRF_FIELD) or secrets.token_urlsafe(32)
    token: str = g.xsrf
    return token


def check_xsrf() -> None:
    """Double submit: the form must send back the token in the cookie. A page on another site can make
    the browser post a form here, with our cookies, but it cannot read the cookie to copy the token."""
    cookie = request.cookies.get(pages.XSRF_FIELD, "")
    sent = request.form.get(pages.XSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        abort(403)


@bp.after_request
def page_headers(response: Response) -> Response:
    response.headers.update(pages.SECURITY_HEADERS)
    if "xsrf" in g and request.cookies.get(pages.XSRF_FIELD) != g.xsrf:
        response.set_cookie(pages.XSRF_FIELD, g.xsrf, samesite="Lax", secure=request.is_secure)
    return response


@bp.app_context_processor
def template_names() -> dict[str, Any]:
    """What every page template may use (the Tornado app's handler namespace, by the same names)."""
    return {"current_user": g.get("user"), "unread": g.get("visitor", {}).get("unread", 0),
            "xsrf_token": xsrf_token, "older_link": older_link, "message": None, "values": {}, "errors": {},
            "noun": pages.noun}


def older_link(cursor: str) -> str:
    return pages.older_link(request.path, request.args.to_dict(), cursor)


@bp.errorhandler(Exception)
def error_page(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """An HTML error page (the API answers problem+json; a page answers a page)."""
    headers: dict[str, str] = {}
    if isinstance(exc, ForumError):   # with the Retry-After of a 429 or a 503
        status, detail, headers = exc.status, exc.detail if exc.status < 500 else None, exc.headers
    elif isinstance(exc, HTTPException):   # the XSRF check's 403, login_required's 403, HEAD's 405
        status, detail = exc.code or 500, None
    else:
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        status, detail = 500, None
    return render_template("error.html", status=status, title=pages.error_title(status), detail=detail), status, headers


def login_required(view: F) -> F:
    """Anonymous visitors are sent to the login page (a GET) or refused (a form post), as Tornado's
    ``@authenticated`` does."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            if request.method == "GET":
                return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


# -- helpers the views share ------------------------------------------------------------------------

def form() -> dict[str, str]:
    return request.form.to_dict()


def attempt(op: Op[Any]) -> tuple[Any, ForumError | None]:
    """Run a form's operation: ``(value, None)``, or ``(None, refusal)`` when the user can fix it."""
    try:
        return run(op), None
    except ForumError as exc:
        if exc.status not in pages.FORM_STATUSES:
            raise
        return None, exc


def throttle(path: str) -> None:
    """The API route's rate limit for the same action (posting, signing the guestbook ...)."""
    run(throttle_route("POST", path, g.viewer.user_id, request.remote_addr or ""))


def back(default: str) -> Response:
    return redirect(pages.local_path(request.form.get("next", ""), default), 303)


def see(path: str) -> Response:
    return redirect(path, 303)


# -- accounts ---------------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", title="Log in", next=request.args.get("next", "/"))
    body = pages.form_body("login", form())
    try:
        session_id = run(users.login_with_session(g.viewer, body, request.remote_addr or ""))
    except ForumError as exc:
        if exc.status not in pages.FORM_STATUSES:
            raise
        return render_template("login.html", title="Log in", next=request.form.get("next", "/"),
                               **pages.form_state(exc, form())), exc.status
    return with_session(session_id)


def log_in(user_id: int) -> Response:
    """A brand-new session (never the one the browser came with) for a user who just registered."""
    return with_session(run(sessions.start_session(user_id)))


def with_session(session_id: str) -> Response:
    """The new session's cookie, then on to where they were going."""
    response = back("/")
    response.set_cookie(sessions.COOKIE_NAME, session_id, httponly=True,
                        samesite="Lax", secure=request.is_secure, max_age=sessions.SESSION_DAYS * 86400)
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
    response.delete_cookie(sessions.COOKIE_NAME)
    return response


# -- groups, posts, comments, likes -----------------------------------------------------------------

@bp.get("/")
def home() -> str:
    return render_template("home.html", title="Home", **run(pages.home(g.viewer)))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new_group() -> Any:
    if request.method == "GET":
        return render_template("group_new.html", title="New group")
    group, refusal = attempt(groups.create_group(g.viewer, pages.form_body("group", form())))
    if refusal:
        return render_template("group_new.html", title="New group", **pages.form_state(refusal, form())), refusal.status
    return see(f"/groups/{group['id']}")


@bp.get("/groups/<int:group_id>")
def group_page(group_id: int) -> str:
    page = run(pages.group_page(g.viewer, group_id, request.args.to_dict()))
    return render_template("group.html", title=page["group"]["name"], **page)


@bp.post("/groups/<int:group_id>")
@login_required
def join(group_id: int) -> Response:
    """Join an open group, or apply to one that needs the owner's approval."""
    run(groups.apply(g.viewer, group_id, pages.form_body("application", form())))
    return see(f"/groups/{group_id}")


@bp.post("/groups/<int:group_id>/applications/<int:application_id>")
@login_required
def decide(group_id: int, application_id: int) -> Response:
    """The owner approves or rejects an application."""
    run(groups.decide_application(g.viewer, group_id, application_id, pages.form_body("decision", form())))
    return see(f"/groups/{group_id}")


@bp.route("/groups/<int:group_id>/posts/new", methods=["GET", "POST"])
@login_required
def new_post(group_id: int) -> Any:
    group = run(groups.get_group(g.viewer, group_id))
    if request.method == "GET":
        return render_template("post_new.html", title="New post", group=group)
    throttle("/groups/{group_id}/posts")
    post, refusal = attempt(posts.create_post(g.viewer, group_id, pages.form_body("post", form())))
    if refusal:
        return render_template("post_new.html", title="New post", group=group,
                               **pages.form_state(refusal, form())), refusal.status
    return see(f"/posts/{post['id']}")


def show_post(post_id: int, **state: Any) -> str:
    page = run(pages.post_page(g.viewer, post_id, request.args.to_dict()))
    return render_template("post.html", title=page["post"]["title"], **page, **state)


@bp.get("/posts/<int:post_id>")
def post_page(post_id: int) -> str:
    return show_post(post_id)


@bp.post("/posts/<int:post_id>")
@login_required
def comment(post_id: int) -> Any:
    """A comment, or a reply when the form names its ``parent_id``; a refusal shows the page again."""
    throttle("/posts/{post_id}/comments")
    made, refusal = attempt(comments.create_comment(g.viewer, post_id, pages.form_body("reply", form())))
    if refusal:
        return show_post(post_id, **pages.form_state(refusal, form())), refusal.status
    return see(f"/posts/{post_id}#comment-{made['id']}")


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


# -- questions and answers --------------------------------------------------------------------------

@bp.get("/questions")
def questions_page() -> str:
    listed = run(questions.list_questions(g.viewer, request.args.to_dict()))
    return render_template("questions.html", title="Questions", questions=listed)


@bp.route("/questions/new", methods=["GET", "POST"])
@login_required
def new_question() -> Any:
    if request.method == "GET":
        return render_template("question_new.html", title="Ask a question")
    throttle("/questions")
    question, refusal = attempt(questions.create_question(g.viewer, pages.form_body("question", form())))
    if refusal:
        return render_template("question_new.html", title="Ask a question",
                               **pages.form_state(refusal, form())), refusal.status
    return see(f"/questions/{question['id']}")


def show_question(question_id: int, **state: Any) -> str:
    page = run(pages.question_page(g.viewer, question_id, request.args.to_dict()))
    return render_template("question.html", title=page["question"]["title"], **page, **state)


@bp.get("/questions/<int:question_id>")
def question_page(question_id: int) -> str:
    return show_question(question_id)


@bp.post("/questions/<int:question_id>")
@login_required
def answer(question_id: int) -> Any:
    """An answer, or a reply to one when the form names its ``parent_id``."""
    throttle("/questions/{question_id}/answers")
    made, refusal = attempt(create_answer(g.viewer, question_id, pages.form_body("reply", form())))
    if refusal:
        return show_question(question_id, **pages.form_state(refusal, form())), refusal.status
    return see(f"/questions/{question_id}#answer-{made['id']}")


# -- people ------------------------------------------------------------------------------------------

@bp.get("/users/<int:user_id>")
def user_page(user_id: int) -> str:
    page = run(pages.user_page(g.viewer, user_id))
    return render_template("user.html", title=page["user"]["username"], **page)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications_page() -> Any:
    if request.method == "POST":   # mark all as read
        run(notifications.mark_read(g.viewer, {"all": True}))
        return see("/notifications")
    listed = run(notifications.list_notifications(g.viewer, request.args.to_dict()))
    return render_template("notifications.html", title="Notifications", notifications=listed,
                           link=pages.notification_link, phrase=pages.notification_phrase)


def show_guestbook(**state: Any) -> str:
    listed = run(guestbook.list_entries(g.viewer, request.args.to_dict()))
    return render_template("guestbook.html", title="Guestbook", entries=listed, **state)


@bp.route("/guestbook", methods=["GET", "POST"])
def guestbook_page() -> Any:
    if request.method == "GET":
        return show_guestbook()
    throttle("/guestbook")
    _, refusal = attempt(guestbook.sign(g.viewer, pages.form_body("guestbook", form())))
    if refusal:
        return show_guestbook(**pages.form_state(refusal, form())), refusal.status
    return see("/guestbook")
