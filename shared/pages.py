"""How the HTML pages (API.md §5) speak HTTP and how their forms become API bodies, once for both apps.

Framework-free helpers only: the headers every page sends, when its cookies are ``Secure``, where a
form may send the browser next, and how a submitted form becomes the body of the API operation it
runs. What each page *reads* is an operation in ``shared/storage/page_data.py``.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson

from shared import i18n
from shared.emails import NOTIFICATION_SUBJECTS
from shared.errors import THINGS, ForumError, Invalid
from shared.i18n import Text, _l, _ln

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


ERROR_TITLES = {401: _l("Please log in"), 403: _l("Not allowed"), 404: _l("Page not found"),
                429: _l("Too many requests"), 503: _l("Try again in a moment")}


def error_title(status: int) -> Text:
    """The heading of an HTML error page."""
    return ERROR_TITLES.get(status, _l("Something went wrong"))


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
    "language": ("locale",),                  # PATCH /me {locale}
    "edit": ("content",),                     # PATCH /comments/{id}, /answers/{id}
    "profile": ("nickname", "bio"),           # PATCH /me {nickname, bio}
    "change_password": ("old_password", "new_password"),   # POST /me/password
    "delete_account": ("password",),          # DELETE /me {password}
    "accept": ("answer_id",),                 # PUT /questions/{id}/accepted-answer
}
# What a page says once a form has done its work.
RESET_LINK_SENT = _l("If that address belongs to an account, a link to choose a new password is on its way. "
                     "It works once, for one hour.")
ADDRESS_VERIFIED = _l("Thank you: your e-mail address is confirmed.")
CONFIRM_DELETE = _l("tick this box to delete your account")
# "A confirmation after every action" (issue #17): a form's redirect names what was done (``with_done(path,
# key)`` adds ``?done=key``; the apps' ``back``/``see`` take the key) and the page it lands on shows that key's
# message in its flash (``done_message``). The URL carries a key, never words: only these keys say anything, so
# a link cannot make a page say words of its own choosing, and the message is said in the reader's language.
# Toggles whose new state the page shows on the button itself (like, vote, watch, bookmark) say nothing more.
DONE = {
    "profile": _l("Your profile is saved."),
    "avatar": _l("Your new picture is in place."),
    "password": _l("Your password is changed. You stay logged in here; other devices must log in again."),
    "email": _l("Almost done: open the link we sent to your new address to confirm it."),
    "language": _l("Your language is saved."),
    "notifications": _l("Your e-mail preference is saved."),
    "deleted": _l("Deleted."),
    "account_deleted": _l("Your account is deleted: your personal data is erased, and what you wrote "
                          "now shows \"deleted user\". Goodbye."),
    # writing
    "posted": _l("Your post is published."),
    "asked": _l("Your question is posted."),
    "commented": _l("Your comment is posted."),
    "answered": _l("Your answer is posted."),
    "edited": _l("Your changes are saved."),
    "accepted": _l("The answer is marked as accepted."),
    "unaccepted": _l("The answer is no longer marked as accepted."),
    "signed": _l("Thank you for signing the guestbook."),
    # groups
    "group_created": _l("Your group is created."),
    "joined": _l("Welcome: you are a member of this group now."),
    "applied": _l("Your application is sent; the owner will decide."),
    "left": _l("You left the group."),
    "application_approved": _l("The application is approved."),
    "application_rejected": _l("The application is rejected."),
    "group_saved": _l("The group's settings are saved."),
    "cover": _l("The new cover is in place."),
    "moderator_added": _l("The moderator is added."),
    "moderator_removed": _l("The moderator is removed."),
    "pinned": _l("The post is pinned."),
    "unpinned": _l("The post is no longer pinned."),
    "locked": _l("The post is locked: no new comments."),
    "unlocked": _l("The post is unlocked."),
    # moderation
    "reported": _l("Thank you: your report is sent to the moderators."),
    "resolved": _l("The report is resolved."),
    "hidden": _l("Hidden."),
    "restored": _l("Restored."),
    "banned": _l("The ban is in place."),
    "unbanned": _l("The ban is lifted."),
    "role": _l("The role is changed."),
    # account
    "all_read": _l("All notifications are marked as read."),
    "welcome": _l("Welcome! Your account is ready."),
    "logged_in": _l("Welcome back: you are logged in."),
    "logged_out": _l("You are logged out."),
    "password_reset": _l("Your new password is set, and you are logged in."),
    "verification_sent": _l("A new confirmation link is on its way to your address."),
}
# The key of a route that does one of several things, by its URL's word (``/posts/7/pin``) or the
# owner's decision (``status``).
DONE_AFTER = {
    "pin": "pinned", "unpin": "unpinned", "lock": "locked", "unlock": "unlocked",
    "hide": "hidden", "restore": "restored", "delete": "deleted",
    "accept": "accepted", "unaccept": "unaccepted",
    "add": "moderator_added", "remove": "moderator_removed",
    "approved": "application_approved", "rejected": "application_rejected",
}


def joined(application: Mapping[str, Any]) -> str:
    """The key after the Join button: in at once (an open group), or an application waiting for the owner."""
    return "joined" if application["status"] == "approved" else "applied"


def with_done(path: str, key: str) -> str:
    """``path`` with ``done=key`` in its query (before any ``#fragment``): the next page confirms the action.

    A ``done`` the path had already (a form's ``next`` is the page it was on, which may have been
    reached with one) gives way to this one. ``key`` must be one of ``DONE``'s (a KeyError otherwise).
    """
    if key not in DONE:
        raise KeyError(key)
    path, hash_, fragment = path.partition("#")
    path, _, query = path.partition("?")
    kept = [part for part in query.split("&") if part and part.split("=", 1)[0] != "done"]
    return path + "?" + "&".join([*kept, "done=" + key]) + hash_ + fragment


def done_path(path: str, done: str | None) -> str:
    """Where a form sends the browser: ``path``, confirming ``done`` when the form names one."""
    return with_done(path, done) if done else path


def export_file(export: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """``/settings/export``: ``GET /me/export``'s answer as a file the browser saves, and its headers."""
    return orjson.dumps(export), {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                                  "Content-Disposition": 'attachment; filename="forum-export.json"'}


def done_message(key: str | None) -> Text | None:
    """The flash message a ``?done=`` key asks for (None for none or an unknown key)."""
    return DONE.get(key or "")


ID_FIELDS = frozenset({"parent_id", "user_id", "answer_id"})
OPTIONAL_FIELDS = frozenset({"until"})      # left empty: not sent (a ban with no end)
# Refusals a user can fix: the form is shown again with the reason (others get an error page).
FORM_STATUSES = frozenset({401, 409, 413, 415, 422, 429})   # 413, 415: an avatar too large or not an image
# The fields whose refusal the forms show beside the field itself (no second copy on top).
SHOWN_FIELDS = frozenset({"login", "username", "email", "password", "new_password", "name", "category",
                          "description", "join_policy", "address", "message", "title", "content", "token",
                          "nickname", "bio", "old_password", "confirm", "q"})


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
    """A refused form shown again: the user's input, each field's error beside it (422), and the reason
    on top unless every error already stands beside its field (one message per field, never two)."""
    errors = {error.field: error.message for error in exc.errors} if isinstance(exc, Invalid) else {}
    shown_beside = errors and set(errors) <= SHOWN_FIELDS
    return {"values": dict(form), "errors": errors, "message": None if shown_beside else exc.detail}


# What the pages count, with gettext's plural forms ("1 member", "2 members"; "2 位成员").
COUNTS = {
    "member": lambda n: _ln("%(num)d member", "%(num)d members", n),
    "post": lambda n: _ln("%(num)d post", "%(num)d posts", n),
    "comment": lambda n: _ln("%(num)d comment", "%(num)d comments", n),
    "answer": lambda n: _ln("%(num)d answer", "%(num)d answers", n),
    "like": lambda n: _ln("%(num)d like", "%(num)d likes", n),
    "view": lambda n: _ln("%(num)d view", "%(num)d views", n),
    "reply": lambda n: _ln("and %(num)d more reply", "and %(num)d more replies", n),
    "new": lambda n: _ln("%(num)d new", "%(num)d new", n),          # unread comments or answers (bookmarks)
}


def counted(count: int, what: str) -> Text:
    """A count and its noun, in the plural form the language wants: ``counted(3, "member")``."""
    return COUNTS[what](count)


# The pages walk a list both ways with the API's forward cursors only: the "Older →" link carries, in
# ``?prev=``, the cursors of the pages seen before this one ("" for the first page, "." between them:
# a cursor is base64url, so never holds one), and "← Newer" goes back to the last of them. The API's
# answer stays as it is; a page reached with a cursor but no trail gets "← Newer" to the list's start.
PREV_FIELD = "prev"
PREV_KEPT = 20              # the trail keeps the last 20 pages (about 1.5 KB of URL); beyond, the start


def pager_links(path: str, query: Mapping[str, str], next_cursor: str | None) -> dict[str, str | None]:
    """``{"older": href or None, "newer": href or None}`` under a list (other parameters, e.g. ``sort``, kept)."""
    here = query.get("cursor", "")
    trail = query[PREV_FIELD].split(".") if PREV_FIELD in query else None
    rest = {name: value for name, value in query.items() if name not in ("cursor", PREV_FIELD, "done")}
    older = None
    if next_cursor:
        older = path + "?" + urlencode({**rest, "cursor": next_cursor,
                                        PREV_FIELD: ".".join([*(trail or []), here][-PREV_KEPT:])})
    newer = None
    if here:
        back = trail[-1] if trail else ""
        kept = {**rest, **({"cursor": back} if back else {}),
                **({PREV_FIELD: ".".join(trail[:-1])} if trail and len(trail) > 1 else {})}
        newer = path + ("?" + urlencode(kept) if kept else "")
    return {"older": older, "newer": newer}


# How a notification reads on /notifications: one sentence per kind, naming who and linking the page
# by its title ("pike commented on <a>Post title</a>"); the excerpt follows it as plain text.
NOTIFICATION_SENTENCES = {
    "comment": _l("%(actor)s commented on %(target)s"),
    "reply": _l("%(actor)s replied to you in %(target)s"),
    "like": _l("%(actor)s liked your words in %(target)s"),
    "answer": _l("%(actor)s answered %(target)s"),
    "application": _l("%(actor)s asked to join %(target)s"),
    "approved": _l("%(actor)s let you into %(target)s"),
    "rejected": _l("%(actor)s turned down your application to %(target)s"),
    "mention": _l("%(actor)s mentioned you in %(target)s"),
    "report_resolved": _l("%(actor)s resolved your report"),
}
# What a target is called when its title cannot be shown (gone, or hidden from the reader).
UNTITLED = {"post": _l("a post"), "question": _l("a question"), "group": _l("a group")}
DELETED_USER = _l("deleted user")
REPORT_REASONS = (("spam", _l("Spam")), ("abuse", _l("Abuse")), ("off_topic", _l("Off topic")), ("other", _l("Other")))
STAT_LABELS = (("users", _l("Users")), ("posts", _l("Posts")), ("comments", _l("Comments")),
               ("questions", _l("Questions")), ("answers", _l("Answers")), ("open_reports", _l("Open reports")),
               ("signups_7d", _l("Sign-ups, last 7 days")), ("posts_7d", _l("Posts, last 7 days")))
RESOLUTIONS = (("dismiss", _l("Dismiss")), ("hide", _l("Hide it")), ("delete", _l("Delete it")),
               ("ban_author", _l("Ban its author")))
ROLES = {"member": _l("member"), "moderator": _l("moderator"), "admin": _l("admin"), "owner": _l("owner")}


# The names templates show for the values the API keeps as identifiers (a role, a kind of content, a
# report's reason), each looked up and said with ``tr``: ``{{ tr(roles[user["role"]]) }}``.
# The words live.js writes (a new notification's toast, a new comment's time), in the page as a <template>.
LIVE_WORDS = (*NOTIFICATION_SUBJECTS.items(), ("report_resolved", _l("Your report was resolved")),
              ("just_now", _l("just now")))
LABELS = {"roles": ROLES, "things": THINGS, "reasons": dict(REPORT_REASONS), "live_words": LIVE_WORDS,
          "language_names": tuple(i18n.NAMES.items())}


def notification_link(notification: Mapping[str, Any]) -> str:
    """The page a notification is about: its post, question or group (a resolved report has no page)."""
    target = notification["target"]
    if target["type"] == "report":
        return "/notifications"
    return f"/{target['type']}s/{target['id']}"


def user_link(user: Mapping[str, Any] | None, locale: str) -> str:
    """A user's name linking their profile, as HTML (in a sentence: a notification's "who")."""
    if user is None:
        return f'<span class="user deleted">{html.escape(i18n.translate(DELETED_USER, locale))}</span>'
    return f'<a class="user" href="/users/{int(user["id"])}">{html.escape(user["username"])}</a>'


def avatar_html(user: Mapping[str, Any] | None) -> str:
    """A user's small round picture; without one, a placeholder with their initial (none for a deleted user).
    Decorative (``alt=""``): the name beside it says who it is."""
    url = user.get("avatar_url") if user else None
    if url:
        return f'<img class="avatar" src="{html.escape(url)}" alt="" width="24" height="24">'
    initial = html.escape(user["username"][:1].upper()) if user else ""
    return f'<span class="avatar none" aria-hidden="true">{initial}</span>'


def user_badge(user: Mapping[str, Any] | None, locale: str) -> str:
    """The user badge wherever a page names someone (an author, a member): avatar, then the linked name.
    Both apps' badge (the ``UserBadge`` UIModule, the ``user_badge`` macro) is this one function."""
    return avatar_html(user) + user_link(user, locale)


def notification_html(notification: Mapping[str, Any], title: str | None, locale: str) -> str:
    """One notification's sentence as HTML, the same bytes from both apps: who, what, and the page it is
    about linked by its ``title`` (its post's, question's or group's; None when it cannot be shown)."""
    target = notification["target"]
    sentence = NOTIFICATION_SENTENCES.get(notification["kind"], _l("%(actor)s: %(target)s"))
    name = title if title is not None else i18n.translate(UNTITLED.get(target["type"], _l("a page")), locale)
    link = f'<a class="target" href="{html.escape(notification_link(notification))}">{html.escape(name)}</a>'
    return i18n.translate_html(sentence, locale, actor=user_link(notification["actor"], locale), target=link)


USER_LIST_TITLES = {"posts": _l("Posts"), "questions": _l("Questions"), "groups": _l("Groups")}   # /users/{id}/...
SEARCH_IN = (("", _l("Everything")), ("post", _l("Posts")), ("comment", _l("Comments")),
             ("question", _l("Questions")), ("answer", _l("Answers")), ("group", _l("Groups")))


def language_choice(query: Mapping[str, str]) -> tuple[str | None, str]:
    """``GET /language?lang=zh-CN&next=/posts/3``: the language the switcher chose (None: not one we
    speak, no cookie is set) and the page to go back to (a local path only)."""
    return i18n.supported(query.get("lang")), local_path(query.get("next", ""), "/")


def language_links(path: str, query_string: str) -> list[dict[str, str]]:
    """The language switcher: for each language, this very page through ``/language``, which sets the
    ``lang`` cookie and comes back here (``path`` and its query, as the browser asked for them)."""
    here = path + ("?" + query_string if query_string else "")
    return [{"code": code, "name": i18n.NAMES[code], "href": "/language?" + urlencode({"lang": code, "next": here})}
            for code in i18n.LOCALES]


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


# -- the editors' script (shared/static/editor.js) ----------------------------------------------------

# The editors' "Upload image" and "Preview" post here with the session cookie and the XSRF token (the
# API reads no cookie), and get the API's own answer: POST /api/v1/uploads's and POST /api/v1/markdown's,
# or its problem+json. Same operations, same rate limits.
EDITOR_UPLOAD_FIELD = "file"


def editor_upload(sent: bytes | None) -> bytes:
    """The image the editor's script sent in its ``file`` field (422 when it sent none)."""
    if sent is None:
        raise Invalid.one(EDITOR_UPLOAD_FIELD, _l("required: send the image as this multipart field"))
    return sent


def editor_preview_body(form: Mapping[str, str]) -> dict[str, Any]:
    """The preview form (``content``) as the body of POST /api/v1/markdown."""
    return {"content": form.get("content", "")}
