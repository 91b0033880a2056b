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


def test_every_model_a_route_names_is_a_component_of_the_document() -> None:
    doc = document()
    paths, components = doc["paths"], doc["components"]["schemas"]
    for route in ROUTES:
        operation = paths[BASE + route.path][route.method.lower()]
        if route.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert components[ref.rsplit("/", 1)[1]]["title"] == route.body.__name__, route.op
        else:
            assert route.takes == "upload" or "requestBody" not in operation, route.op
        answer = operation["responses"][str(route.status)]
        assert ("content" in answer) == (route.answer is not None) == (route.status != 204), route.op

