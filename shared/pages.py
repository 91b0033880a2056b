"""How the HTML pages (API.md §5) speak HTTP and how their forms become API bodies, once for both apps.

Framework-free helpers only: the headers every page sends, when its cookies are ``Secure``, where a
form may send the browser next, and how a submitted form becomes the body of the API operation it
runs. What each page *reads* is an operation in ``shared/storage/page_data.py``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from shared.errors import ForumError, Invalid

# Sent with every HTML page (and its error pages). Markdown bodies are sanitised already; the policy
# is the second wall: even an injected <script> or inline handler would not run (RELIABILITY 36).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def security_headers(live_port: int) -> dict[str, str]:
    """The page headers; pages whose live connection goes to another port (the notifier beside gunicorn
    or uWSGI, ``settings.live_port``) may connect there too, and nowhere else."""
    if not live_port:
        return SECURITY_HEADERS
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    return {**SECURITY_HEADERS,
            "Content-Security-Policy": f"{policy}; connect-src 'self' ws://*:{live_port} wss://*:{live_port}"}


XSRF_FIELD = "_xsrf"        # the form field (and cookie) of the XSRF token, Tornado's name, in both apps


def cookie_is_secure(scheme: str, forwarded_proto: str | None, from_trusted_proxy: bool) -> bool:
    """Whether a page's cookies (the session's and the XSRF token's) are ``Secure``: the browser came over HTTPS.

    ``scheme`` is the connection's own (``http`` unless the server itself speaks TLS). Behind nginx
    the connection is plain HTTP from the proxy, which says the browser's scheme in
    ``X-Forwarded-Proto``; anyone can send that header, so it counts only when the peer is a trusted
    proxy (``shared.http.trusted_proxy``, the rule that also decides whose ``X-Real-IP`` is believed).
    Every flavour calls this with the connection's values, so a cookie is Secure in the same cases
    whichever server runs the app.
    """
    if forwarded_proto and from_trusted_proxy:
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
    "report": ("reason", "note"),
    "hide": ("reason",),
    "resolve": ("resolution", "note"),
    "ban": ("reason", "until"),
    "group_ban": ("user_id", "reason", "until"),
    "role": ("role",),
    "password": ("password",),
    "password_reset": ("email",),
    "password_reset_confirm": ("token", "new_password"),
    "verify_email": ("token",),
    "email": ("email",),                      # PATCH /me {email}: a new address
    "preferences": ("email",),                # PATCH /me/preferences {email: off|instant|daily}
    "edit": ("content",),                     # PATCH /comments/{id}, /answers/{id}
    "accept": ("answer_id",),                 # PUT /questions/{id}/accepted-answer
}
# What a page says once a form has done its work.
RESET_LINK_SENT = ("If that address belongs to an account, a link to choose a new password is on its way. "
                   "It works once, for one hour.")
ADDRESS_VERIFIED = "Thank you: your e-mail address is confirmed."
ID_FIELDS = frozenset({"parent_id", "user_id", "answer_id"})
OPTIONAL_FIELDS = frozenset({"until"})      # left empty: not sent (a ban with no end)
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
            body[name] = _id(value)
        elif name in OPTIONAL_FIELDS and not value.strip():
            continue
        else:
            body[name] = value
    return body


def _id(value: str) -> Any:
    """An id typed in a form: an int, or the text itself for validation to refuse (422)."""
    return int(value) if value.strip().isascii() and value.strip().isdigit() else value


def report_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The report form (``target_type``, ``target_id``, ``reason``, ``note``) as ``POST /reports``'s body."""
    return {"target": {"type": form.get("target_type", ""), "id": _id(form.get("target_id", ""))},
            **form_body("report", form)}


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
    "mention": "mentioned you in", "report_resolved": "resolved your report:",
}
REPORT_REASONS = (("spam", "Spam"), ("abuse", "Abuse"), ("off_topic", "Off topic"), ("other", "Other"))
STAT_LABELS = (("users", "Users"), ("posts", "Posts"), ("comments", "Comments"), ("questions", "Questions"),
               ("answers", "Answers"), ("open_reports", "Open reports"), ("signups_7d", "Sign-ups, last 7 days"),
               ("posts_7d", "Posts, last 7 days"))
RESOLUTIONS = (("dismiss", "Dismiss"), ("hide", "Hide it"), ("delete", "Delete it"), ("ban_author", "Ban its author"))


def notification_phrase(kind: str) -> str:
    return NOTIFICATION_PHRASES.get(kind, kind)


def notification_link(notification: Mapping[str, Any]) -> str:
    """The page a notification is about: its post, question or group (a resolved report has no page)."""
    target = notification["target"]
    if target["type"] == "report":
        return "/notifications"
    return f"/{target['type']}s/{target['id']}"


SEARCH_IN = (("", "Everything"), ("post", "Posts"), ("comment", "Comments"), ("question", "Questions"),
             ("answer", "Answers"), ("group", "Groups"))


def search_form(query: Mapping[str, str]) -> dict[str, Any]:
    """What the /search page's form shows again: the words, the kind chosen, a group it is limited to."""
    return {"q": query.get("q", ""), "kind": query.get("type", ""), "group_id": query.get("group_id", ""),
            "kinds": SEARCH_IN}


# -- the history of an edited text --------------------------------------------------------------------

def _lines(revision: Mapping[str, Any]) -> list[str]:
    """A version as lines to compare: its title (if it has one), a blank line, its text."""
    title = [revision["title"], ""] if revision.get("title") is not None else []
    return title + str(revision["content"]).splitlines()


DIFF_KINDS = {"+": "ins", "-": "del"}


def revision_diffs(revisions: Sequence[Mapping[str, Any]]) -> list[list[tuple[str, str]]]:
    """For each version (newest first), the lines it changed from the one before it, as
    ``(kind, line)`` with kind ``ins``, ``del``, ``same`` or ``gap`` (unchanged lines left out).

    The oldest version listed is shown whole. Lines are plain text: the templates escape them.
    """
    shown: list[list[tuple[str, str]]] = []
    for n, newer in enumerate(revisions):
        older = revisions[n + 1] if n + 1 < len(revisions) else None
        if older is None:
            shown.append([("same", line) for line in _lines(newer)])
            continue
        lines: list[tuple[str, str]] = []
        for line in difflib.unified_diff(_lines(older), _lines(newer), lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            if line.startswith("@@"):
                lines.append(("gap", "…"))
            else:
                lines.append((DIFF_KINDS.get(line[:1], "same"), line[1:]))
        shown.append(lines)
    return shown
