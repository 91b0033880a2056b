"""The OpenAPI 3.1 document of the public API, generated from ``shared.routes.ROUTES``.

Nothing here is a second copy of the contract: paths, methods, auth and success codes come from the
route table, and so do the models. Each route names its body model (pydantic) and its answer type
(a ``TypedDict`` of ``shared.shapes``); pydantic writes all their schemas in one go, so a resource
used by many routes (``UserSummary``, ``Post``) is one component that they all refer to.
Both apps serve :func:`document_bytes` at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, get_args, get_origin

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from shared.http import BASE, UPLOAD_FIELDS
from shared.routes import ROUTES, Route
from shared.shapes import ApplicationStatus, Page, Problem, Status

PROBLEM_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
REF = "#/components/schemas/{model}"

# Query parameters beyond a list's ?limit=&cursor=, by path.
_ENUMS = {"sort": ["new", "hot"], "status": list(get_args(ApplicationStatus)), "unread": ["true", "false"]}
_QUERY = {"/groups": ["category", "q"], "/questions": ["category", "q", "sort"],
          "/groups/{group_id}/posts": ["sort"], "/groups/{group_id}/applications": ["status"],
          "/notifications": ["unread"], "/link-preview": ["url"]}
_REQUIRED = {"url"}
_HEADERS = {401: "WWW-Authenticate", 429: "Retry-After", 503: "Retry-After"}
_STRING = {"type": "string"}
_STREAM = ("Server-Sent Events, one per line group: `event: notification` (`id:` the notification's id) "
           "and `event: unread_count` (`id:` the newest notification sent so far); `data:` is the JSON of "
           "the WebSocket's message. A `retry:` line comes first, and again when the server ends the stream "
           "(blocking workers end it before their timeout): reconnect with `Last-Event-ID`.")


def _schemas() -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    """Every route's body model and answer type: ``({type: schema or $ref}, components)``.

    Answers in serialisation mode (what the server sends), bodies in validation mode (what it takes).
    The order follows the route table, so every process writes the same bytes.
    """
    answers = dict.fromkeys([Status, Problem, *(route.answer for route in ROUTES if route.answer is not None)])
    bodies = dict.fromkeys(route.body for route in ROUTES if route.body is not None)
    inputs: list[tuple[Any, JsonSchemaMode, TypeAdapter[Any]]] = [
        *((answer, "serialization", TypeAdapter(answer)) for answer in answers),
        *((body, "validation", TypeAdapter(body)) for body in bodies),
    ]
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF)
    return {key: schema for (key, _mode), schema in schemas.items()}, definitions.get("$defs", {})


def _is_page(route: Route) -> bool:
    return get_origin(route.answer) is Page


def _problem_responses(problem: dict[str, Any], extra: dict[int, str]) -> dict[str, Any]:
    statuses = {**{s: "" for s in PROBLEM_STATUSES}, **extra}
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        answer: dict[str, Any] = {"description": statuses[status] or "Problem details",
                                  "content": {"application/problem+json": {"schema": problem}}}
        if status in _HEADERS:
            answer["headers"] = {_HEADERS[status]: {"schema": _STRING}}
        responses[str(status)] = answer
    return responses


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.takes == "stream":   # EventSource sets no header: the token may come in the query
        params += [{"name": "token", "in": "query", "required": False, "schema": _STRING,
                    "description": "An access token, for clients that cannot send Authorization "
                                   "(the login cookie is read too)"},
                   {"name": "Last-Event-ID", "in": "header", "required": False,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                    "description": "Resume: every notification after this id is sent first"}]
    names = (["limit", "cursor"] if _is_page(route) else []) + _QUERY.get(route.path, [])
    for name in names:
        schema: dict[str, Any] = _STRING
        if name == "limit":
            schema = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
        elif name in _ENUMS:
            schema = {"type": "string", "enum": _ENUMS[name]}
        params.append({"name": name, "in": "query", "required": name in _REQUIRED, "schema": schema})
    return params


def _operation(route: Route, schemas: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.op.replace(":", "_"),
        "summary": route.summary,
        "tags": [route.path.split("/")[1]],
        "parameters": _parameters(route),
    }
    if route.who == "user":
        operation["security"] = [{"bearer": []}]
    if route.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": schemas[route.body]}}}
    elif route.takes == "upload":
        field = UPLOAD_FIELDS[route.path]
        upload = {"type": "object", "required": [field],
                  "properties": {field: {"type": "string", "contentMediaType": "application/octet-stream"}}}
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
    ok: dict[str, Any] = {"description": "Success"}
    if route.takes == "stream":
        ok = {"description": _STREAM, "content": {"text/event-stream": {
            "schema": {"type": "string", "description": "Events; the data of each is one of x-event-data"},
            "x-event-data": schemas[route.answer]}}}
    elif route.answer is not None:
        ok["content"] = {"application/json": {"schema": schemas[route.answer]}}
    extra = {502: "The linked page could not be fetched"} if route.path == "/link-preview" else {}
    operation["responses"] = {str(route.status): ok, **_problem_responses(schemas[Problem], extra)}
    return operation


def _plain(summary: str, schema: dict[str, Any], media: str = "application/json",
           problems: tuple[int, ...] = (), problem: dict[str, Any] | None = None) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": summary, "content": {media: {"schema": schema}}}}
    for status in problems:
        responses[str(status)] = {"description": "Problem details", "headers": {"Retry-After": {"schema": _STRING}},
                                  "content": {"application/problem+json": {"schema": problem}}}
    return {"get": {"summary": summary, "tags": ["operations"], "responses": responses}}


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (built once per process)."""
    schemas, components = _schemas()
    paths: dict[str, Any] = {}
    for route in ROUTES:
        paths.setdefault(BASE + route.path, {})[route.method.lower()] = _operation(route, schemas)
    paths["/healthz"] = _plain("The process is running", schemas[Status])
    paths["/readyz"] = _plain("The database answers", schemas[Status], problems=(503,), problem=schemas[Problem])
    paths["/metrics"] = _plain("Prometheus metrics", _STRING, "text/plain")
    return {
        "openapi": "3.1.0",
        "info": {"title": "forum", "version": "1.0.0",
                 "description": "A technical forum: groups, posts, comments, questions and answers."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@functools.cache
def document_bytes() -> bytes:
    return json.dumps(document(), separators=(",", ":")).encode()
