"""The one rule for a test whose service is missing: a skip on a laptop, a failure under ``CI=true``.

CI installs every service the tests use (MySQL, Redis, nginx, uWSGI, Chromium and chromedriver), so
there a missing one means a broken environment, and a silent skip would hide it. Every test or
fixture that needs a service says so through this module, never with a ``pytest.skip`` of its own:

    admin = require_service("MySQL", connect, pymysql.err.MySQLError)   # check() raises: missing
    nginx = require_service("nginx", find_nginx)                        # check() returns None: missing

    except ServerUnavailable as exc:                                    # a server could not start
        missing_service("the tornado:mysql server", exc)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn, TypeVar

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

T = TypeVar("T")


def missing_service(name: str, why: object) -> NoReturn:
    """Skip the test, or fail it under ``CI=true``: ``name`` is what is missing, ``why`` what was seen."""
    message = f"{name} is unavailable: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every service must be present)", pytrace=False)
    pytest.skip(message)


def require_service(name: str, check: Callable[[], T | None], *missing: type[Exception]) -> T:
    """What ``check()`` returns; it raising one of ``missing``, or returning None, means ``name`` is absent."""
    try:
        found = check()
    except missing as exc:
        missing_service(name, exc)
    if found is None:
        missing_service(name, "not found")
    return found
