"""The OpenAPI 3.1 document of the public API, generated from ``shared.routes.ROUTES``.

Nothing here is a second copy of the contract: paths, methods, auth and success codes come from the
route table; request bodies are the pydantic model each operation validates with
(``model_json_schema``); only the response shapes of API.md §3 are written out below, once.
Both apps serve :func:`document_bytes` at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import re
from typing import Any

from pydantic import BaseModel

from shared.routes import ROUTES, Route
from shared.validation import Body

BASE = "/api/v1"
PROBLEM_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)

_int = {"type": "integer"}
_id = {"type": "integer", "minimum": 1}
_str = {"type": "string"}
_bool = {"type": "boolean"}
_time = {"type": "string", "format": "date-time"}
_opt_str = {"type": ["string", "null"]}
_opt_time = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(name: str) -> dict[str, Any]:
    return {"anyOf": [_ref(name), {"type": "null"}]}


def _object(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


_reply_like = {"parent_id": {"type": ["integer", "null"]}, "reply_to": _nullable("UserSummary"),
               "like_count": _int, "liked": _bool, "reply_count": _int, "created_at": _time}

# The resources of API.md §3.
RESOURCES: dict[str, dict[str, Any]] = {
    "UserSummary": _object(id=_id, username=_str, nickname=_str, avatar_url=_opt_str),
    "User": _object(id=_id, username=_str, nickname=_str, bio=_str, avatar_url=_opt_str, created_at=_time),
    "Me": _object(id=_id, username=_str, email=_str, nickname=_str, bio=_str, avatar_url=_opt_str,
                  created_at=_time),
    "Token": _object(access_token=_str, token_type={"const": "Bearer"}, expires_in=_int, user=_ref("User")),
    "Group": _object(id=_id, name=_str, category=_str, description=_str,
                     join_policy={"enum": ["open", "approval"]}, cover_url=_opt_str, owner=_ref("UserSummary"),
                     member_count=_int, post_count=_int, created_at=_time,
                     membership={"enum": ["none", "pending", "member", "owner"]}),
    "Application": _object(id=_id, group_id=_id, user=_ref("UserSummary"), reason=_str,
                           status={"enum": ["pending", "approved", "rejected"]}, created_at=_time),
    "Member": _object(user=_ref("UserSummary"), role={"enum": ["owner", "member"]}, joined_at=_time),
    "Post": _object(id=_id, group_id=_id, author=_nullable("UserSummary"), title=_str, content=_str,
                    content_html=_str, pinned=_bool, locked=_bool, view_count=_int, comment_count=_int,
                    like_count=_int, liked=_bool, created_at=_time, updated_at=_opt_time),
    "Comment": _object(id=_id, post_id=_id, author=_nullable("UserSummary"), content=_str, content_html=_str,
                       **_reply_like),
    "Question": _object(id=_id, author=_nullable("UserSummary"), title=_str, content=_str, content_html=_str,
                        category=_str, view_count=_int, answer_count=_int, created_at=_time,
                        updated_at=_opt_time),
    "Answer": _object(id=_id, question_id=_id, author=_nullable("UserSummary"), content=_str,
                      content_html=_str, **_reply_like),
    "Notification": _object(id=_id, kind={"enum": ["comment", "reply", "like", "answer", "application",
                                                   "approved", "rejected", "mention"]},
                            actor=_nullable("UserSummary"), target=_object(type=_str, id=_id), excerpt=_str,
                            read=_bool, created_at=_time),
    "GuestbookEntry": _object(id=_id, name=_str, email=_opt_str, address=_opt_str, message=_str,
                              created_at=_time),
    "Like": _object(liked=_bool, like_count=_int),
    "Count": _object(count=_int),
    "LinkPreview": _object(url=_str, title=_opt_str, description=_opt_str, image=_opt_str),
    "Status": _object(status=_str),
    "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {"type": _str, "title": _str, "status": _int, "detail": _str,
                       "errors": {"type": "array", "items": _object(field=_str, message=_str)}},
    },
}

# Which resource a route answers with: by module, then the exceptions by operation name.
_BY_MODULE = {"users": "User", "groups": "Group", "posts": "Post", "comments": "Comment",
              "questions": "Question", "answers": "Answer", "notifications": "Notification",
              "guestbook": "GuestbookEntry", "linkpreview": "LinkPreview"}
_BY_OP = {"users:login": "Token", "users:get_me": "Me", "users:update_me": "Me", "users:set_avatar": "Me",
          "groups:apply": "Application", "groups:list_applications": "Application",
          "groups:decide_application": "Application", "groups:list_members": "Member",
          "notifications:unread_count": "Count"}

# Query parameters beyond ?limit=&cursor=, by path.
_ENUMS = {"sort": ["new", "hot"], "status": ["pending", "approved", "rejected"], "unread": ["true", "false"]}
_QUERY = {"/groups": ["category", "q"], "/questions": ["category", "q", "sort"],
          "/groups/{group_id}/posts": ["sort"], "/groups/{group_id}/applications": ["status"],
          "/notifications": ["unread"]}
_UPLOAD_FIELD = {"/me/avatar": "avatar", "/groups/{group_id}/cover": "cover"}
_HEADERS = {401: "WWW-Authenticate", 429: "Retry-After", 503: "Retry-After"}


def response_schema(route: Route) -> dict[str, Any] | None:
    """The success body of a route (None for 204 and the document itself)."""
    if route.status == 204:
        return None
    if route.op == "openapi":
        return {"type": "object"}
    module, _, name = route.op.partition(":")
    if name.startswith(("like_", "unlike_")):
        resource = "Like"
    else:
        resource = _BY_OP.get(route.op) or _BY_MODULE[module]
    if route.takes == "query" and route.op != "linkpreview":
        return _object(items={"type": "array", "items": _ref(resource)}, next_cursor=_opt_str)
    return _ref(resource)


def request_model(route: Route) -> type[BaseModel] | None:
    """The pydantic model the operation validates its body with: the ``Body`` subclass it names.

    Read from the operation's own code (the global names it uses), so the document cannot drift
    from what the operation really checks. None when the operation is not written yet.
    """
    if route.takes != "body":
        return None
    module_name, _, name = route.op.partition(":")
    try:
        module = importlib.import_module(f"shared.storage.{module_name}")
    except ImportError:
        return None
    fn = inspect.unwrap(getattr(module, name, None) or (lambda: None))
    for global_name in fn.__code__.co_names:
        value = getattr(module, global_name, None)
        if inspect.isclass(value) and issubclass(value, Body) and value is not Body:
            return value
    return None


def _problem_responses(extra: dict[int, str]) -> dict[str, Any]:
    statuses = {**{s: "" for s in PROBLEM_STATUSES}, **extra}
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        answer: dict[str, Any] = {"description": statuses[status] or "Problem details",
                                  "content": {"application/problem+json": {"schema": _ref("Problem")}}}
        if status in _HEADERS:
            answer["headers"] = {_HEADERS[status]: {"schema": _str}}
        responses[str(status)] = answer
    return responses


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _id}
        for name in re.findall(r"{(\w+)}", route.path) if name != "me"
    ]
    if route.op == "linkpreview":
        names = ["url"]
    elif route.takes == "query":
        names = ["limit", "cursor", *_QUERY.get(route.path, [])]
    else:
        names = []
    for name in names:
        schema: dict[str, Any] = {"type": "string"}
        if name == "limit":
            schema = {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
        elif name in _ENUMS:
            schema = {"type": "string", "enum": _ENUMS[name]}
        params.append({"name": name, "in": "query", "required": name == "url", "schema": schema})
    return params


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.op.replace(":", "_") + ("" if ":" in route.op else "_get"),
        "summary": route.summary,
        "tags": [route.path.split("/")[1]],
        "parameters": _parameters(route),
    }
    if route.who == "user":
        operation["security"] = [{"bearer": []}]
    model = request_model(route)
    if model is not None:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        name = model.__name__ + ("Body" if model.__name__ in RESOURCES else "")   # never hide a resource
        components.update(schema.pop("$defs", {}))
        components[name] = schema
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(name)}}}
    elif route.takes == "body":
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": {"type": "object"}}}}
    elif route.takes == "upload":
        field = _UPLOAD_FIELD[route.path]
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": _object(
            **{field: {"type": "string", "contentMediaType": "application/octet-stream"}})}}}
    success = response_schema(route)
    ok: dict[str, Any] = {"description": "Success"}
    if success is not None:
        ok["content"] = {"application/json": {"schema": success}}
    extra = {502: "The linked page could not be fetched"} if route.op == "linkpreview" else {}
    operation["responses"] = {str(route.status): ok, **_problem_responses(extra)}
    return operation


def _plain(summary: str, schema: dict[str, Any], media: str = "application/json",
           statuses: tuple[int, ...] = ()) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": summary, "content": {media: {"schema": schema}}}}
    for status in statuses:
        responses[str(status)] = {"description": "Problem details", "headers": {"Retry-After": {"schema": _str}},
                                  "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    return {"get": {"summary": summary, "tags": ["operations"], "responses": responses}}


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (built once per process)."""
    components: dict[str, Any] = dict(RESOURCES)
    paths: dict[str, Any] = {}
    for route in ROUTES:
        paths.setdefault(BASE + route.path, {})[route.method.lower()] = _operation(route, components)
    paths["/healthz"] = _plain("The process is running", _ref("Status"))
    paths["/readyz"] = _plain("The database answers", _ref("Status"), statuses=(503,))
    paths["/metrics"] = _plain("Prometheus metrics", {"type": "string"}, "text/plain")
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
