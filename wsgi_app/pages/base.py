"""The ``pages`` blueprint and what every page shares: who is looking, XSRF, Secure cookies, error pages.

``g.user`` comes from the session cookie in the blueprint's ``before_request`` (flaskr uses
``before_app_request``; ours runs for pages only, because the JSON API must never read the cookie);
``login_required`` sends anonymous visitors to ``/login``. Every POST carries an XSRF token:
a double-submit cookie, checked here in a few lines, with the form field named ``_xsrf`` as in the
Tornado app.

Languages (API.md §8): ``g.lang`` is the page's language by the shared rule
(``shared.i18n.page_locale``); the templates' ``_()`` says their words in it (``wsgi_app/__init__.py``
installs it), and ``tr`` says what the core marked (titles, flash and field messages, labels).
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
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shared import http, i18n, pages
from shared.errors import ForumError, problem_for_status
from shared.ratelimit import throttled
from shared.storage import page_data, sessions
from shared.storage.effects import Op
from wsgi_app import tornado_compat
from wsgi_app.db import current_settings, run
from wsgi_app.responses import problem_response

log = logging.getLogger("forum.wsgi")
bp = Blueprint("pages", __name__)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


# -- every page: who is looking, XSRF, headers, errors ----------------------------------------------

bp.before_request(tornado_compat.refuse_head)


@bp.before_request
def load_visitor() -> None:
    """Who is looking, from the session cookie; in the Tornado app's order (a POST's XSRF token is
    checked before anything else)."""
    if request.method == "POST":
        check_xsrf()
    g.visitor = run(page_data.visitor(request.cookies.get(sessions.COOKIE_NAME)))
    g.viewer, g.user = g.visitor["viewer"], g.visitor["user"]
    g.lang = page_lang()


def page_lang() -> str:
    """The page's language: ``?lang=``, the switcher's cookie, the user's own, then the browser's."""
    user = g.get("user")
    return i18n.page_locale(request.args.get("lang"), request.cookies.get(i18n.COOKIE),
                            user["locale"] if user else None, request.headers.get("Accept-Language"))


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
        if request.endpoint in SCRIPT_ENDPOINTS:   # the editors' script reads problem+json, as on Tornado
            locale = i18n.from_accept_language(request.headers.get("Accept-Language"))
            abort(problem_response(problem_for_status(403, locale=locale)))
        abort(403)


SCRIPT_ENDPOINTS = frozenset({"pages.editor_upload", "pages.editor_preview"})   # answered as the API answers


def secure_cookies() -> bool:
    """Whether this answer's cookies are ``Secure`` (``shared.pages.cookie_is_secure``, as in the Tornado
    app). The peer is the connection's own, which ``TrustedProxies`` keeps before it rewrites REMOTE_ADDR."""
    from_proxy = http.trusted_proxy(request.environ["forum.peer"], current_settings().trusted_proxies)
    return pages.cookie_is_secure(request.scheme, request.headers.get("X-Forwarded-Proto"), from_proxy)


@bp.after_request
def page_headers(response: Response) -> Response:
    response.headers.update(pages.security_headers(current_settings().live_port))
    if "refusal" in g:   # a form shown again keeps its refusal's headers (a 429's Retry-After)
        response.headers.update(g.refusal.headers)
    if "xsrf" in g and request.cookies.get(pages.XSRF_FIELD) != g.xsrf:
        response.set_cookie(pages.XSRF_FIELD, g.xsrf, samesite="Lax", secure=secure_cookies())
    return response


@bp.app_context_processor
def template_names() -> dict[str, Any]:
    """What every page template may use (the Tornado app's handler namespace, by the same names), with
    the page's language: ``tr`` (a marked message), ``counted`` (a count and its noun), ``when`` (a
    time), the switcher's links, the user badge; the message is a ``?done=`` confirmation's unless the
    page gives one."""
    if "lang" not in g:   # an error page before the visitor was looked up (a failed XSRF check)
        g.lang = page_lang()
    settings, lang = current_settings(), g.lang
    return {"current_user": g.get("user"), "unread": g.get("visitor", {}).get("unread", 0),
            "xsrf_token": xsrf_token, "pager_links": pager_links, "values": {}, "errors": {},
            "message": pages.done_message(request.args.get("done")),
            "user_badge_html": lambda user: Markup(pages.user_badge(user, lang)), "with_done": pages.with_done,
            "debug": settings.debug, "live_port": settings.live_port, "report_reasons": pages.REPORT_REASONS,
            "lang": lang, "tr": lambda message: i18n.translate(message, lang),
            "counted": lambda count, what: i18n.translate(pages.counted(count, what), lang),
            "when": lambda value: Markup(i18n.time_html(value, lang, settings.timezone)),
            "languages": pages.language_links(request.path, request.query_string.decode("latin-1")), **pages.LABELS}


def pager_links(cursor: str | None) -> dict[str, str | None]:
    return pages.pager_links(request.path, query(), cursor)


@bp.errorhandler(Exception)
def error_page(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """An HTML error page (the API answers problem+json; a page answers a page)."""
    headers: dict[str, str] = {}
    if isinstance(exc, ForumError):   # with the Retry-After of a 429 or a 503
        status, detail, headers = exc.status, exc.detail if exc.status < 500 else None, exc.headers
    elif isinstance(exc, HTTPException):   # the XSRF check's 403, login_required's 403, HEAD's 405, a bad query's 400
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

def query() -> dict[str, str]:
    """The query string as ``{name: first value}`` (what operations take); bad UTF-8 is a 400."""
    return tornado_compat.query()


def form() -> dict[str, str]:
    return request.form.to_dict()


def attempt(op: Op[Any]) -> tuple[Any, ForumError | None]:
    """Run a form's operation: ``(value, None)``, or ``(None, refusal)`` when the user can fix it."""
    try:
        return run(op), None
    except ForumError as exc:
        if exc.status not in pages.FORM_STATUSES:
            raise
        g.refusal = exc
        return None, exc


def throttle(path: str, op: Op[T]) -> Op[T]:
    """``op`` behind the API route's rate limit for the same action (posting, signing the guestbook ...)."""
    return throttled("POST", path, g.viewer.user_id, request.remote_addr or "", op)


def back(default: str, done: str | None = None) -> Response:
    """303 to the form's ``next`` page (a local path only: never an open redirect), else ``default``;
    that page confirms ``done`` (a key of ``shared.pages.DONE``) in its flash."""
    return see(pages.local_path(request.form.get("next", ""), default), done)


def see(path: str, done: str | None = None) -> Response:
    """303 to ``path``, which confirms ``done`` (a key of ``shared.pages.DONE``) in its flash."""
    return redirect(pages.done_path(path, done), 303)
