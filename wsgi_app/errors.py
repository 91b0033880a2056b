"""Every failure becomes a problem+json answer, exactly as the Tornado app writes it.

Three kinds: our own :class:`shared.errors.ForumError` (the domain said no), Werkzeug's HTTP
exceptions (no such route, wrong method, body too large ..., worded as Tornado words them by
:func:`wsgi_app.tornado_compat.werkzeug_problem`), and anything else, which is a bug:
logged with its traceback here, answered with a generic 500 that shows neither traceback nor SQL.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from shared import i18n
from shared.errors import ForumError, problem
from wsgi_app.responses import problem_response
from wsgi_app.tornado_compat import werkzeug_problem

log = logging.getLogger("forum.wsgi")


def register(app: Flask) -> None:
    app.register_error_handler(ForumError, _forum_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def client_locale() -> str:
    """The language of a problem's detail and field messages: the client's ``Accept-Language``."""
    return i18n.from_accept_language(request.headers.get("Accept-Language"))


def _forum_error(exc: ForumError) -> Response:
    return problem_response(problem(exc, client_locale()))


def _http_error(exc: HTTPException) -> Response:
    return problem_response(werkzeug_problem(exc, client_locale()))


def _unexpected(exc: Exception) -> Response:
    log.error("unexpected error on %s %s (request %s)", request.method, request.path,
              request.environ.get("forum.request_id", "-"), exc_info=exc)
    return problem_response(problem(exc, client_locale()))
