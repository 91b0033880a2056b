"""The API's URLSpecs, one per path of ``shared.routes.ROUTES``, each named by its path template.

``app.reverse_url("/api/v1/posts/{post_id}", 7)`` → ``/api/v1/posts/7``. Ids match ``(\\d+)`` only.
"""

from __future__ import annotations

import re

from tornado.web import URLSpec

from async_app.handlers.api.auth import LoginHandler
from async_app.handlers.api.docs import OpenApiHandler
from async_app.handlers.api.linkpreview import LinkPreviewHandler
from async_app.handlers.api.operations import OperationHandler
from shared import http
from shared.routes import ROUTES, Route

# The routes that need more than "run the operation"; every other path is a plain OperationHandler.
SPECIAL = {"users:login": LoginHandler, "linkpreview": LinkPreviewHandler, "openapi": OpenApiHandler}


def url_specs() -> list[URLSpec]:
    by_path: dict[str, dict[str, Route]] = {}
    for route in ROUTES:
        by_path.setdefault(route.path, {})[route.method] = route
    specs = []
    for routes in by_path.values():
        label = http.label(next(iter(routes.values())))
        handler = next((SPECIAL[r.op] for r in routes.values() if r.op in SPECIAL), OperationHandler)
        pattern = re.sub(r"{\w+}", r"(\\d+)", label) + "$"
        specs.append(URLSpec(pattern, handler, {"label": label, "routes": routes}, name=label))
    return specs
