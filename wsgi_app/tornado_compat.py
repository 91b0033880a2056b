"""Every place where the Flask app is made to answer exactly like the Tornado app, each with its reason.

A client must not be able to tell the two flavours apart (``tests/test_parity.py``, ``tests/pages``).
In a few corners of HTTP, Flask and Werkzeug choose differently from Tornado; in each the Flask app
follows the Tornado app, whose choice is always the stricter one (no answer to a method nobody wrote,
no redirect to a guessed path, no guessing at bad bytes). They are gathered here so the rest of
``wsgi_app/`` reads as plain Flask, and so a reader can see the whole price of "byte for byte".

Not here, because they are rules of their own that both apps follow: the per-route body limit checked
before anything else (``wsgi_app/api/base.py``, RELIABILITY 14) and the multipart framing check
(``shared.http.require_multipart``). One shim goes the other way: the Tornado app computes no ETag,
because a Flask view sends none (``async_app/handlers/base.py``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from shared import errors, http
from shared.routes import ROUTES

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Each API route's path as the Tornado app matches it (ids are digits), to list its methods in order.
_ROUTE_PATTERNS = [(re.compile(re.sub(r"{\w+}", r"\\d+", http.label(r))), r.method) for r in ROUTES]


def configure(app: Flask) -> None:
    """The app-wide settings in which Werkzeug's routing differs from Tornado's."""
    # Tornado answers OPTIONS with 405 (no handler implements it); Flask would answer it by itself.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    # Tornado's routes match an id with [0-9]+; Werkzeug's <int:...> matches any Unicode digit (regex
    # \d), so /groups/%D9%A1 would be group 1. It is no route in both.
    app.url_map.converters["int"] = AsciiIntegerConverter
    # Tornado matches the path as sent, so /api/v1//groups is no route; Werkzeug would redirect it
    # to /api/v1/groups.
    app.url_map.merge_slashes = False


class AsciiIntegerConverter(IntegerConverter):
    regex = r"[0-9]+"


def refuse_head() -> None:
    """A blueprint's first ``before_request`` hook: HEAD is a 405.

    Tornado serves HEAD only where a handler writes ``head()``, and ours do not (its static files
    aside, and Flask's static route answers HEAD too); Werkzeug adds HEAD to every GET rule.
    """
    if request.method == "HEAD":
        raise MethodNotAllowed(["GET"])


def query() -> dict[str, str]:
    """The query string as ``{name: first value}``; a value that is not UTF-8 is a 400.

    Tornado's ``decode_argument`` refuses bad bytes with its own 400 (so a page shows no detail);
    Werkzeug's ``request.args`` would quietly replace them. Raised as Werkzeug's own 400 for the same
    reason: the API words it as Tornado does (:func:`werkzeug_problem`), a page shows a bare error.
    """
    pairs = parse_qs(request.query_string.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    try:
        return {name: values[0].encode("latin-1").decode("utf-8") for name, values in pairs.items()}
    except UnicodeDecodeError:
        raise BadRequest() from None


def no_content() -> Response:
    """A 204 with no body and no ``Content-Type``, as Tornado sends it (Flask's Response adds text/html)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def werkzeug_problem(exc: HTTPException, locale: str) -> errors.Problem:
    """Werkzeug's own refusals (no such route, wrong method, body too large ...) in the Tornado app's words."""
    if exc.code == 404 and request.url_rule is None:
        return errors.problem(errors.NotFound("route"), locale)   # Tornado's default handler: "No such route."
    if exc.code == 405:   # Allow: what the Tornado handler lists, not Werkzeug's own set
        return errors.problem(errors.MethodNotAllowed(allowed_methods(getattr(exc, "valid_methods", None))), locale)
    if exc.code == 413:   # a chunked body Werkzeug stopped at the limit: the words of Tornado's 413
        limit = request.max_content_length
        return errors.problem(http.body_too_large(limit or 0), locale)
    return errors.problem_for_status(exc.code or 500, locale=locale)


def allowed_methods(valid: list[str] | None) -> list[str]:
    """``Allow`` as the Tornado app writes it: an API path's methods as the route table declares them
    (``ApiHandler.allowed_methods``), else the implemented ones in ``METHODS`` order (``ProblemMixin``)."""
    declared = [method for pattern, method in _ROUTE_PATTERNS if pattern.fullmatch(request.path)]
    return declared or [m for m in METHODS if m in (valid or ())]
