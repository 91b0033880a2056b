"""The Tornado app declares exactly the routes of shared.routes, and the OpenAPI document describes them."""

from __future__ import annotations

import re

from async_app.app import urls
from async_app.handlers.api.base import ApiHandler
from async_app.handlers.base import METHODS
from shared.config import Settings
from shared.openapi import BASE, document
from shared.routes import ROUTES


def test_app_routes_are_exactly_the_route_table() -> None:
    """Each (method, path) of the table has a handler method, and no handler serves one that is not there."""
    api_specs = [spec for spec in urls(Settings()) if issubclass(spec.handler_class, ApiHandler)]
    served = []
    for spec in api_specs:
        label = spec.kwargs["label"]
        assert re.fullmatch(spec.regex, re.sub(r"{\w+}", "7", label))
        handler = spec.handler_class
        served += [(method, label.removeprefix(BASE)) for method in METHODS
                   if getattr(handler, method.lower()) is not getattr(ApiHandler, method.lower())]
    assert sorted(served) == sorted((route.method, route.path) for route in ROUTES)
    assert len({spec.name for spec in api_specs}) == len(api_specs)


def test_the_document_describes_every_route() -> None:
    paths = document()["paths"]
    for route in ROUTES:
        operation = paths[BASE + route.path][route.method.lower()]
        assert str(route.status) in operation["responses"]
        assert ("security" in operation) == (route.who == "user")
    assert {"/healthz", "/readyz", "/metrics"} <= set(paths)


def test_every_json_body_has_its_model_in_the_document() -> None:
    paths = document()["paths"]
    for route in ROUTES:
        if route.takes == "body":
            schema = paths[BASE + route.path][route.method.lower()]["requestBody"]["content"]["application/json"]
            assert "$ref" in schema["schema"], f"{route.op} names no request model"
