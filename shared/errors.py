"""Domain errors and their RFC 9457 problem-details form.

Operations raise these; both apps turn them into the same ``application/problem+json`` answer with
:func:`problem`. Nothing else decides a status code.

``type``, ``title`` and ``status`` are the same in every language; ``detail`` and each field's
``message`` are marked with :func:`shared.i18n._l` where they are raised and said in the client's
language (its ``Accept-Language``) by :func:`problem` (API.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from shared.i18n import DEFAULT_LOCALE, Text, _l, _ln, translate

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass
class FieldError:
    field: str
    message: str        # a Text, said for people: "3–32 letters, digits or underscores"


# HTTP's phrases, translated: the detail of an error raised without one (its title stays English:
# ``type`` and ``title`` are identifiers), and of a status the servers produce themselves.
PHRASES: dict[int, Text] = {
    400: _l("Bad Request"), 401: _l("Unauthorized"), 403: _l("Forbidden"), 404: _l("Not Found"),
    405: _l("Method Not Allowed"), 409: _l("Conflict"), 413: _l("Payload Too Large"),
    415: _l("Unsupported Media Type"), 422: _l("Unprocessable Content"), 429: _l("Too Many Requests"),
    431: _l("Request Header Fields Too Large"), 500: _l("Internal Server Error"), 502: _l("Bad Gateway"),
    503: _l("Service Unavailable")}
# Where a bare phrase would say too little.
DETAILS: dict[int, Text] = {401: _l("Missing or invalid credentials."), 405: _l("This method is not allowed here."),
                            422: _l("Some fields are invalid."), 500: _l("An unexpected error occurred.")}
# What a NotFound names ("No such post."): each noun once, to be translated with the sentence.
THINGS = {"post": _l("post"), "comment": _l("comment"), "question": _l("question"), "answer": _l("answer"),
          "group": _l("group"), "user": _l("user"), "application": _l("application"),
          "membership": _l("membership"), "report": _l("report"), "ban": _l("ban"), "moderator": _l("moderator"),
          "page": _l("page"), "route": _l("route"), "resource": _l("resource"),
          "request among the recent ones": _l("request among the recent ones")}
# A field's name as people read it, for a one-field refusal's detail ("Username: ...").
FIELD_LABELS = {"username": _l("Username"), "email": _l("E-mail address"), "password": _l("Password"),
                "new_password": _l("New password"), "old_password": _l("Current password"), "login": _l("Login"),
                "title": _l("Title"), "content": _l("Content"), "name": _l("Name"), "category": _l("Category"),
                "description": _l("Description"), "reason": _l("Reason"), "message": _l("Message"),
                "token": _l("Link"), "url": _l("URL"), "q": _l("Search words"), "until": _l("Until"),
                "role": _l("Role"), "resolution": _l("Resolution"), "user_id": _l("User"),
                "parent_id": _l("Reply to"), "reply_to_user_id": _l("Reply to"), "avatar": _l("Avatar"),
                "cover": _l("Cover"), "locale": _l("Language")}


def thing(what: str) -> Any:
    """The noun for ``what`` (a Text when it is one we translate)."""
    return THINGS.get(what, what)


class ForumError(Exception):
    """Base of every error a client may be shown."""

    status: int = 500
    title: str = "Internal Server Error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        said: str = detail or DETAILS.get(self.status, PHRASES.get(self.status, Text(self.title)))
        super().__init__(said)
        self.detail = said
        self.headers: dict[str, str] = dict(headers or {})

    def body(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        slug = self.title.lower().replace(" ", "-")
        return {"type": f"/problems/{slug}", "title": self.title, "status": self.status,
                "detail": translate(self.detail, locale)}


class BadRequest(ForumError):
    status, title = 400, "Bad Request"


class Unauthorized(ForumError):
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ForumError):
    status, title = 403, "Forbidden"


class NotFound(ForumError):
    status, title = 404, "Not Found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(_l("No such %(what)s.", what=thing(what)))


class MethodNotAllowed(ForumError):
    status, title = 405, "Method Not Allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(None, headers={"Allow": ", ".join(allowed)})


class Conflict(ForumError):
    status, title = 409, "Conflict"


class PayloadTooLarge(ForumError):
    status, title = 413, "Payload Too Large"


class HeadersTooLarge(ForumError):
    status, title = 431, "Request Header Fields Too Large"


class UnsupportedMediaType(ForumError):
    status, title = 415, "Unsupported Media Type"


class Invalid(ForumError):
    """422 with one entry per offending field."""

    status, title = 422, "Unprocessable Content"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def one(cls, field_name: str, message: str) -> Invalid:
        """One field refused: the detail names it as people read it ("Username: 3–32 letters ...")."""
        label = FIELD_LABELS.get(field_name, field_name)
        return cls([FieldError(field_name, message)], detail=_l("%(field)s: %(message)s", field=label, message=message))

    def body(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        return {**super().body(locale),
                "errors": [{"field": e.field, "message": translate(e.message, locale)} for e in self.errors]}


class TimedOut(ForumError):
    """A bounded statement (``Query(bounded=True)``) ran past its time and the database stopped it.

    Raised into the operation, which says what the user can change (search: :class:`Invalid` on
    ``q``). Uncaught it is a 422 too: what was asked costs more than the server may spend on it, and
    asking the same again would cost the same, so it is not a 503 to retry.
    """

    status, title = 422, "Unprocessable Content"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or _l("This asks more than the database may spend on one request; ask for less."))


class TooManyRequests(ForumError):
    status, title = 429, "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        seconds = max(1, retry_after)
        super().__init__(_ln("Too many requests; try again in %(num)d second.",
                             "Too many requests; try again in %(num)d seconds.", seconds),
                         headers={"Retry-After": str(seconds)})


class BadGateway(ForumError):
    status, title = 502, "Bad Gateway"


class Unavailable(ForumError):
    """The database (or its pool) cannot answer now: 503 with Retry-After."""

    status, title = 503, "Service Unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail or _l("The database is unavailable; try again shortly."),
                         headers={"Retry-After": str(retry_after)})


@dataclass
class Problem:
    """What an app writes: status, headers and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def problem(exc: BaseException, locale: str = DEFAULT_LOCALE) -> Problem:
    """The problem-details answer for any exception, its words in ``locale``; an unexpected one never
    leaks its text."""
    if isinstance(exc, ForumError):
        return Problem(exc.status, exc.body(locale), exc.headers)
    return Problem(500, ForumError().body(locale))


def problem_for_status(status: int, detail: str | None = None, headers: dict[str, str] | None = None,
                       locale: str = DEFAULT_LOCALE) -> Problem:
    """A problem body for a status the server itself produced (a bad query's encoding, a 405 ...)."""
    err = ForumError(detail or PHRASES.get(status, HTTPStatus(status).phrase), headers=headers)
    err.status, err.title = status, HTTPStatus(status).phrase
    return Problem(status, err.body(locale), err.headers)

