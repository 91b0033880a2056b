"""Domain errors and their RFC 9457 problem-details form.

Operations raise these; both apps turn them into the same ``application/problem+json`` answer with
:func:`problem`. Nothing else decides a status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass
class FieldError:
    field: str
    message: str


class ForumError(Exception):
    """Base of every error a client may be shown."""

    status: int = 500
    title: str = "Internal Server Error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        slug = self.title.lower().replace(" ", "-")
        return {"type": f"/problems/{slug}", "title": self.title, "status": self.status, "detail": self.detail}


class BadRequest(ForumError):
    status, title = 400, "Bad Request"


class Unauthorized(ForumError):
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "Missing or invalid credentials.", headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ForumError):
    status, title = 403, "Forbidden"


class NotFound(ForumError):
    status, title = 404, "Not Found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"No such {what}.")


class MethodNotAllowed(ForumError):
    status, title = 405, "Method Not Allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__("This method is not allowed here.", headers={"Allow": ", ".join(allowed)})


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
        super().__init__(detail or "Some fields are invalid.")
        self.errors = errors

    @classmethod
    def one(cls, field_name: str, message: str) -> Invalid:
        return cls([FieldError(field_name, message)], detail=f"{field_name}: {message}")

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errors": [{"field": e.field, "message": e.message} for e in self.errors]}


class TooManyRequests(ForumError):
    status, title = 429, "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        seconds = max(1, retry_after)
        super().__init__(f"Too many requests; try again in {seconds} second{'' if seconds == 1 else 's'}.", headers={"Retry-After": str(seconds)})


class BadGateway(ForumError):
    status, title = 502, "Bad Gateway"


class Unavailable(ForumError):
    """The database (or its pool) cannot answer now: 503 with Retry-After."""

    status, title = 503, "Service Unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail or "The database is unavailable; try again shortly.",
                         headers={"Retry-After": str(retry_after)})


@dataclass
class Problem:
    """What an app writes: status, headers and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def problem(exc: BaseException) -> Problem:
    """The problem-details answer for any exception; an unexpected one never leaks its text."""
    if isinstance(exc, ForumError):
        return Problem(exc.status, exc.body(), exc.headers)
    return Problem(500, ForumError("An unexpected error occurred.").body())


def problem_for_status(status: int, detail: str | None = None, headers: dict[str, str] | None = None) -> Problem:
    """A problem body for a status the server itself produced (unknown route, body too large ...)."""
    err = ForumError(detail or HTTPStatus(status).phrase, headers=headers)
    err.status, err.title = status, HTTPStatus(status).phrase
    return Problem(status, err.body(), err.headers)
