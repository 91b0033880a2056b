"""JSON and problem+json answers, byte for byte the same as the Tornado app's."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from shared.errors import PROBLEM_CONTENT_TYPE, Problem

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(value: Any, status: int = 200) -> Response:
    """A JSON answer; ``204`` answers no body at all."""
    if status == 204:
        return Response(status=204)
    return Response(dumps(value), status=status, content_type=JSON_CONTENT_TYPE)


def problem_response(problem: Problem) -> Response:
    """An RFC 9457 problem-details answer with its headers (Allow, WWW-Authenticate, Retry-After)."""
    return Response(dumps(problem.body), status=problem.status, headers=problem.headers,
                    content_type=PROBLEM_CONTENT_TYPE)
