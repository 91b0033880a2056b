"""JSON and problem+json answers, byte for byte the same as the Tornado app's (both use orjson)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response

from shared.errors import PROBLEM_CONTENT_TYPE, Problem
from wsgi_app.tornado_compat import no_content

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_response(value: Any, status: int = 200) -> Response:
    """A JSON answer; ``204`` answers no body and no Content-Type at all."""
    if status == 204:
        return no_content()
    return Response(orjson.dumps(value), status=status, content_type=JSON_CONTENT_TYPE)


def problem_response(problem: Problem) -> Response:
    """An RFC 9457 problem-details answer with its headers (Allow, WWW-Authenticate, Retry-After)."""
    return Response(orjson.dumps(problem.body), status=problem.status, headers=problem.headers,
                    content_type=PROBLEM_CONTENT_TYPE)
