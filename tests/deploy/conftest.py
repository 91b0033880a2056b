"""Fixtures for the deploy tests: each flavour started by ``forum serve FLAVOUR --nginx`` on a fresh database.

A missing nginx (or uWSGI) skips these tests on a laptop; under ``CI=true`` it is a failure, because
CI installs Debian's nginx and a silent skip would hide a broken deployment.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # so `tests.support` imports however pytest starts

from shared.cli.nginx import find_nginx  # noqa: E402
from tests.support.servers import REPO_ROOT, ServerUnavailable, fresh_database, running_server  # noqa: E402

from .sites import EXTRA_ARGS, FLAVOURS, Site  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> None:
    """Skip on a laptop, fail under CI (where the environment is meant to be complete)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing deployment dependency is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    nginx = find_nginx()
    if nginx is None:
        missing("nginx is not installed (apt-get install nginx)")
    assert nginx is not None
    return nginx


@pytest.fixture(scope="module", params=FLAVOURS)
def site(request: pytest.FixtureRequest, nginx_binary: str) -> Iterator[Site]:
    """One flavour behind nginx for the whole module; SIGTERM at the end must exit 0.

    SQLite by default (light on a small machine); FORUM_TEST_DEPLOY_DB=mysql uses a fresh
    ``forum_nx_*`` MySQL database instead.
    """
    flavour = request.param
    database = os.environ.get("FORUM_TEST_DEPLOY_DB", "sqlite")
    try:
        with fresh_database(database, prefix="forum_nx_") as url, \
                running_server(flavour, url, extra_args=("--nginx", *EXTRA_ARGS[flavour])) as server:
            port = server.base_url.rsplit(":", 1)[1]
            prefix = REPO_ROOT / "var" / f"nginx-{port}"
            yield Site(flavour, server, prefix)
    except ServerUnavailable as exc:
        missing(str(exc))
    else:
        shutil.rmtree(prefix, ignore_errors=True)   # kept after a failure, for its logs
