"""The Tornado app declares exactly the routes of shared.routes, and the OpenAPI document describes them."""

from __future__ import annotations

import re

from async_app.handlers.api import url_specs
from shared.openapi import BASE, document
from shared.routes import ROUTES


def test_app_routes_are_exactly_the_route_table() -> None:
    declared = set()
    for spec in url_specs():
        assert spec.name == spec.kwargs["label"]
        path = spec.kwargs["label"].removeprefix(BASE)
        assert re.fullmatch(spec.regex, re.sub(r"{\w+}", "7", spec.kwargs["label"]))
        declared |= {(method, path) for method in spec.kwargs["routes"]}
    assert declared == {(route.method, route.path) for route in ROUTES}


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
