"""What every API view does: who is asking, what they sent, and the answer.

The views in this package are one line each: read the request with these helpers, run a shared
operation, answer its value. Requests are read in the same order as the Tornado app reads them
(credentials, then the body), so both flavours pick the same error when several apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, g, request

from shared import ratelimit
from shared.auth import ANONYMOUS, Viewer, authenticate
from shared.errors import Invalid, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from shared.validation import parse_json
from wsgi_app.db import current_settings, limiter, run
from wsgi_app.responses import json_response

API_PREFIX = "/api/v1"


def identify() -> None:
    """``before_request`` of the API: find the viewer, then apply the route's throttle, if any.

    A request without ``Authorization`` is anonymous; a header that is not a valid Bearer token is
    401 even on public routes (a client should learn that its token is bad).
    """
    header = request.headers.get("Authorization")
    if header is None:
        g.viewer = ANONYMOUS
    else:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized()
        g.viewer = run(authenticate(token.strip()))
    if request.url_rule is not None:
        template = request.url_rule.rule.removeprefix(API_PREFIX)
        limiter().run(ratelimit.throttle_route(request.method, route_name(template), g.viewer.user_id,
                                               client_address()))


def route_name(rule: str) -> str:
    """Flask's ``/posts/<int:post_id>`` in the OpenAPI style of shared.routes: ``/posts/{post_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def viewer() -> Viewer:
    """The caller: a user, or anonymous."""
    found: Viewer = g.viewer
    return found


def signed_in() -> Viewer:
    """The caller, who must be signed in (401 otherwise). Called first, so 401 wins over body errors."""
    found = viewer()
    found.require()
    return found


def client_address() -> str:
    """The client's address (``TrustedProxies`` has already applied X-Real-IP from nginx)."""
    return request.remote_addr or "-"


def body() -> Any:
    """The decoded JSON body: 415 unless JSON, 413 over ``max_json_bytes`` (before reading), 400 if malformed."""
    limit = current_settings().max_json_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("The request body must be JSON (Content-Type: application/json).")
    request.max_content_length = limit   # bounds a chunked body too: Werkzeug stops reading at the limit
    return parse_json(request.get_data(cache=False))


def upload(field: str) -> bytes:
    """The bytes of one multipart file field (``avatar``, ``cover``); the operation checks the image."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Upload the image as multipart/form-data.")
    sent = request.files.get(field)
    if sent is None:
        raise Invalid.one(field, "required")
    return sent.read()


def query() -> Mapping[str, str]:
    """The query string: the first value of each name."""
    return request.args.to_dict(flat=True)


def media_dir() -> str:
    return current_settings().media_dir


def answer(value: Any, status: int = 200) -> Response:
    return json_response(value, status)
