"""Fixtures for the deploy tests: each flavour started by ``forum serve FLAVOUR --nginx`` on a fresh database.

A missing nginx (or uWSGI) skips these tests on a laptop and fails them under ``CI=true``
(tests/support/services.py): CI installs Debian's nginx, and a silent skip would hide a broken deployment.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.support.servers import REPO_ROOT, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

from .sites import EXTRA_ARGS, FLAVOURS, Site


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
        missing_service(f"{flavour} behind nginx", exc)
    else:
        shutil.rmtree(prefix, ignore_errors=True)   # kept after a failure, for its logs
