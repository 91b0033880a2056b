"""Every failure becomes a problem+json answer, exactly as the Tornado app writes it.

Three kinds: our own :class:`shared.errors.ForumError` (the domain said no), Werkzeug's HTTP
exceptions (no such route, wrong method, body too large ...), and anything else, which is a bug:
logged with its traceback here, answered with a generic 500 that shows neither traceback nor SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared.errors import ForumError, problem, problem_for_status
from wsgi_app.responses import problem_response

log = logging.getLogger("forum.wsgi")


def register(app: Flask) -> None:
    app.register_error_handler(ForumError, _forum_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _forum_error(exc: ForumError) -> Response:
    return problem_response(problem(exc))


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = allowed_methods(exc.valid_methods)
    return problem_response(problem_for_status(status, headers=headers))


def allowed_methods(methods: Iterable[str]) -> str:
    """The ``Allow`` list: the methods a route declares (Flask's implicit HEAD and OPTIONS left out)."""
    return ", ".join(sorted(set(methods) - {"HEAD", "OPTIONS"}))


def _unexpected(exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(problem(exc))
