"""What every API view shares: the route it serves, who is asking, what they sent, and the answer.

The views in this package are one line each: read the request with these helpers, run a shared
operation, answer its value. Before any view runs, :func:`limit_body` and
:func:`before_api_request` do, in the same order as the Tornado app, everything the route table
(``shared.routes``) says about a request: body size (413), method (405), credentials (401), ids
(404), rate limits (429). So when several errors apply, both flavours pick the same one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, g, request
from werkzeug.exceptions import MethodNotAllowed

from shared import http, ratelimit
from shared.auth import ANONYMOUS, Viewer
from shared.routes import ROUTES, Route
from shared.storage.sessions import COOKIE_NAME, authenticate, stream_caller
from shared.validation import check_id, parse_json
from wsgi_app import tornado_compat
from wsgi_app.db import current_settings, run, services
from wsgi_app.responses import json_response

API_PREFIX = http.BASE
ROUTE_TABLE: dict[tuple[str, str], Route] = {(r.method, http.label(r)): r for r in ROUTES}


def route_name(rule: str) -> str:
    """Flask's ``/api/v1/posts/<int:post_id>`` as the template of shared.routes: ``/api/v1/posts/{post_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def limit_body() -> None:
    """413 from ``Content-Length`` before anything else, even before 405, as the Tornado app does
    (it must answer that before the body arrives). An app-wide hook, since it runs for a wrong method too.
    """
    matched = request.url_rule is not None or isinstance(request.routing_exception, MethodNotAllowed)
    if not (matched and request.path.startswith(API_PREFIX + "/")):
        return
    route = ROUTE_TABLE.get((request.method, route_name(request.url_rule.rule))) if request.url_rule else None
    limit = http.body_limit(route, current_settings())
    request.max_content_length = limit   # Werkzeug stops reading a chunked body at the limit too
    http.check_length(request.headers.get("Content-Length"), limit)


def before_api_request() -> None:
    """The route's rules, before its view: credentials (401), ids (404), throttle (429)."""
    assert request.url_rule is not None   # unmatched requests never reach a blueprint's hooks
    route = ROUTE_TABLE[(request.method, route_name(request.url_rule.rule))]   # HEAD was refused before
    g.route = route
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if route.takes == "stream":   # EventSource sets no header: ?token= or the login cookie
        g.viewer = run(stream_caller(request.headers.get("Authorization", ""), request.args.get("token"),
                                     request.cookies.get(COOKIE_NAME)))
    else:
        g.viewer = run(authenticate(token.strip(), services().standings)) if scheme.lower() == "bearer" else ANONYMOUS
    if route.who == "user":
        g.viewer.require()
    for name, value in (request.view_args or {}).items():
        check_id(value, name.removesuffix("_id"))
    run(ratelimit.throttle_route(route.method, route.path, g.viewer.user_id, client_address()))


def viewer() -> Viewer:
    """The caller: a user, or anonymous (routes for users only have already answered 401)."""
    found: Viewer = g.viewer
    return found


def client_address() -> str:
    """The client's address (the TrustedProxies middleware has applied nginx's X-Real-IP)."""
    return request.remote_addr or ""


def body() -> Any:
    """The decoded JSON body: 415 unless declared as JSON, 400 unless it is JSON."""
    http.require_json(request.headers.get("Content-Type"))
    return parse_json(request.get_data(cache=False))


def upload() -> bytes:
    """The bytes of the route's multipart file field (``avatar``, ``cover``); the operation checks the image."""
    http.require_multipart(request.headers.get("Content-Type"), request.get_data())
    try:
        sent = request.files.get(http.UPLOAD_FIELDS[g.route.path])
    except ValueError as exc:
        raise http.unreadable_upload() from exc
    if sent is None:
        raise http.missing_upload(g.route)
    return sent.read()


def query() -> Mapping[str, str]:
    """The query string: the first value of each name; a value that is not UTF-8 is a 400."""
    return tornado_compat.query()


def media_dir() -> str:
    return current_settings().media_dir


def answer(value: Any) -> Response:
    """The operation's value as JSON, with the route's success status (201 for creations, 204 empty)."""
    route: Route = g.route
    return json_response(value, route.status)
