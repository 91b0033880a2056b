"""Every route is served by code that runs the operation the route table names, and no other.

``shared.routes`` says, for each route, which operation answers it and which body model it takes.
These tests read the code that really serves each route — the Tornado handler method its URLSpec
names, the Flask view its ``url_map`` rule names — and check that it calls exactly that operation,
directly or through the app's own helpers (the link preview is run by a different driver in each
app). They read source, not bytecode: ``ast`` over ``inspect.getsource``, each name resolved in the
function's own module, so ``posts.get_post`` means ``shared.storage.posts.get_post`` wherever it is
written.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask

from async_app.app import urls
from async_app.handlers.api.base import ApiHandler
from shared.config import Settings
from shared.http import BASE
from shared.routes import ROUTES, Route
from shared.storage import posts
from shared.validation import parse
from wsgi_app import create_app, db
from wsgi_app.api.base import route_name

PROJECT = ("shared.", "async_app.", "wsgi_app.")
DEPTH = 3     # handler → app helper → driver → operation: the deepest way an app reaches one


def operation(route: Route) -> Callable[..., Any]:
    """The function ``route.op`` names: ``module:function`` under shared.storage, else under shared."""
    module, _, name = route.op.partition(":")
    package = "shared.storage" if importlib.util.find_spec(f"shared.storage.{module}") else "shared"
    found: Callable[..., Any] = getattr(importlib.import_module(f"{package}.{module}"), name)
    return found


OPERATIONS = {operation(route) for route in ROUTES}
# Modules of operations (shared.storage.posts ...): any of their functions a handler calls counts
# as an operation it runs, listed in the table or not. (Not the runners: they run operations.)
OPERATION_MODULES = {op.__module__ for op in OPERATIONS if op.__module__.startswith("shared.storage.")}


def is_operation(called: Any) -> bool:
    return called in OPERATIONS or (inspect.isfunction(called) and called.__module__ in OPERATION_MODULES)


def resolve(node: ast.expr, namespace: dict[str, Any], owner: type | None) -> Any:
    """What ``name``, ``module.name`` or ``self.name`` refers to in this function's module (None if unknown)."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "self":
            return inspect.getattr_static(owner, node.attr, None) if owner is not None else None
        module = namespace.get(node.value.id)
        if inspect.ismodule(module):
            return getattr(module, node.attr, None)
    return None


def calls(fn: Callable[..., Any], owner: type | None) -> Iterator[tuple[Any, list[Any]]]:
    """Each call in ``fn``'s source: the called object and its resolved positional arguments."""
    code = inspect.unwrap(fn)
    namespace = code.__globals__
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(code)))):
        if isinstance(node, ast.Call):
            yield (resolve(node.func, namespace, owner), [resolve(arg, namespace, owner) for arg in node.args])


def operations_reached(fn: Callable[..., Any], owner: type | None = None, depth: int = DEPTH,
                       seen: set[Any] | None = None) -> set[Callable[..., Any]]:
    """The operations ``fn`` calls, following calls into the project's other functions."""
    seen = set() if seen is None else seen
    found: set[Callable[..., Any]] = set()
    for called, _ in calls(fn, owner):
        if is_operation(called):
            found.add(called)
        elif (inspect.isfunction(called) and called.__module__.startswith(PROJECT) and depth > 1
              and called not in seen):
            seen.add(called)
            found |= operations_reached(called, owner if called.__qualname__.count(".") else None, depth - 1, seen)
    return found


def mismatches(serving: Callable[[Route], tuple[Callable[..., Any], type | None]]) -> list[str]:
    problems = []
    for route in ROUTES:
        fn, owner = serving(route)
        reached = operations_reached(fn, owner)
        if reached != {operation(route)}:
            names = sorted(f"{op.__module__}.{op.__name__}" for op in reached) or ["nothing"]
            problems.append(f"{route.method} {route.path}: {fn.__qualname__} runs {', '.join(names)}, "
                            f"the table says {route.op}")
    return problems


def test_every_tornado_handler_runs_the_operation_its_route_names() -> None:
    handlers = {spec.kwargs["label"]: spec.handler_class for spec in urls(Settings())
                if issubclass(spec.handler_class, ApiHandler)}

    def serving(route: Route) -> tuple[Callable[..., Any], type]:
        handler = handlers[BASE + route.path]
        return getattr(handler, route.method.lower()), handler

    assert mismatches(serving) == []


def test_every_flask_view_runs_the_operation_its_route_names(sqlite_url: str, tmp_path: Path) -> None:
    app: Flask = create_app({"TESTING": True, "database_url": sqlite_url, "media_dir": str(tmp_path)})
    try:
        views = {(method, route_name(rule.rule)): app.view_functions[rule.endpoint]
                 for rule in app.url_map.iter_rules() for method in rule.methods or ()}
    finally:
        db.close(app)

    def serving(route: Route) -> tuple[Callable[..., Any], None]:
        return views[(route.method, BASE + route.path)], None

    assert mismatches(serving) == []


def test_each_operation_parses_its_body_with_the_model_its_route_names() -> None:
    """``parse(route.body, ...)`` in the operation itself; no parse at all on a route without a body."""
    for route in ROUTES:
        parsed = [args[0] for called, args in calls(operation(route), None) if called is parse]
        assert parsed == ([route.body] if route.body is not None else []), route.op


def test_the_checks_see_a_handler_that_runs_another_operation() -> None:
    """The reading above is not vacuous: a view that runs the wrong operation is caught."""

    def wrong_view(post_id: int) -> Any:
        return posts.delete_post(None, post_id)   # type: ignore[arg-type]

    route = next(r for r in ROUTES if r.op == "posts:get_post")
    assert operations_reached(wrong_view) == {posts.delete_post} != {operation(route)}
