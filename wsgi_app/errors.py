"""Every failure becomes a problem+json answer, exactly as the Tornado app writes it.

Three kinds: our own :class:`shared.errors.ForumError` (the domain said no), Werkzeug's HTTP
exceptions (no such route, wrong method, body too large ...), and anything else, which is a bug:
logged with its traceback here, answered with a generic 500 that shows neither traceback nor SQL.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from shared import http
from shared.errors import ForumError, MethodNotAllowed, NotFound, PayloadTooLarge, problem, problem_for_status
from shared.routes import ROUTES
from wsgi_app.responses import problem_response

log = logging.getLogger("forum.wsgi")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Each API route's path as the Tornado app matches it (ids are digits), to list its methods in order.
_ROUTE_PATTERNS = [(re.compile(re.sub(r"{\w+}", r"\\d+", http.label(r))), r.method) for r in ROUTES]


def register(app: Flask) -> None:
    app.register_error_handler(ForumError, _forum_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _forum_error(exc: ForumError) -> Response:
    return problem_response(problem(exc))


def _http_error(exc: HTTPException) -> Response:
    """Werkzeug's own refusals, in the words the Tornado app uses for the same cases."""
    if exc.code == 404 and request.url_rule is None:
        return problem_response(problem(NotFound("route")))
    if exc.code == 405:
        return problem_response(problem(MethodNotAllowed(allowed_methods(getattr(exc, "valid_methods", None)))))
    if exc.code == 413:
        limit = request.max_content_length
        return problem_response(problem(PayloadTooLarge(f"The request body may have at most {limit} bytes.")))
    return problem_response(problem_for_status(exc.code or 500))


def allowed_methods(valid: list[str] | None) -> list[str]:
    """``Allow``: an API path's methods in the route table's order, else the implemented ones."""
    declared = [method for pattern, method in _ROUTE_PATTERNS if pattern.fullmatch(request.path)]
    return declared or [m for m in METHODS if m in (valid or ())]


def _unexpected(exc: Exception) -> Response:
    log.error("unexpected error on %s %s (request %s)", request.method, request.path,
              request.environ.get("forum.request_id", "-"), exc_info=exc)
    return problem_response(problem(exc))
