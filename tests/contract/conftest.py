"""The contract suite's fixtures: one real server per target, an HTTP client, and builders for test data.

The suite knows only a base URL. Targets come from ``FORUM_CONTRACT_TARGETS`` (a comma list of
``flavour:database``, or ``flavour:mysql:driver`` for another MySQL driver than the default); each is
started once per session and every test runs against each of them. The default list's targets on the
other drivers run only ``DRIVER_SUBSET``, to keep the suite short; named in FORUM_CONTRACT_TARGETS
they run all of it.
A target that cannot start for want of a service (MySQL, Redis, uWSGI) is skipped, and failed under
``CI=true`` (tests/support/services.py).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.mail import Sink, smtp_sink
from tests.support.servers import (
    Server,
    ServerUnavailable,
    Target,
    free_port,
    fresh_database,
    running_server,
    tracebacks,
)
from tests.support.services import missing_service
from tests.support.upstream import upstream_site

from .client import Api, Forum

DEFAULT_TARGETS = ("tornado:sqlite,tornado:mysql,wsgi-container:mysql,gunicorn:mysql,gunicorn:sqlite,uwsgi:mysql,"
                   "tornado:mysql:asyncmy,gunicorn:mysql:mysqlclient")
TARGETS = [Target.parse(t) for t in os.environ.get("FORUM_CONTRACT_TARGETS", DEFAULT_TARGETS).split(",") if t]
# what another driver must get right end to end: accounts and tokens, writes with their 409s, lists
# and their cursors, forms
DRIVER_SUBSET = {"test_auth", "test_posts", "test_comments", "test_guestbook", "test_pagination"}
# Pre-fork servers run several worker processes: as in a real deployment, they share rate-limit
# counts (and notifications) through Redis (``redis_url``). FORUM_CONTRACT_REDIS_URL gives every
# target a Redis.
REDIS_URL = os.environ.get("FORUM_CONTRACT_REDIS_URL", "")
MULTI_PROCESS = ("gunicorn", "uwsgi")

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def upstream() -> Iterator[dict[str, str]]:
    """A local site the link preview may read, an allowed address where nothing listens, and a site
    it may NOT read (not on the allow list), to catch redirects that sneak past the guard."""
    with upstream_site() as live, upstream_site() as private:
        yield {"live": live, "dead": f"127.0.0.1:{free_port()}", "private": private}


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Sink]:
    """A real SMTP server every target sends its e-mail to (tests/support/mail.py)."""
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(scope="session", params=TARGETS, ids=str)
def server(request: pytest.FixtureRequest, upstream: dict[str, str], mailbox: Sink) -> Iterator[Server]:
    target: Target = request.param
    allow = f"{upstream['live']},{upstream['dead']}"
    redis = REDIS_URL or (request.getfixturevalue("redis_url") if target.flavour in MULTI_PROCESS else "")
    try:
        with fresh_database(target.database) as url, \
                running_server(target.flavour, url, extra_env={
                    "FORUM_LINK_PREVIEW_ALLOW": allow,
                    "FORUM_TRUSTED_PROXIES": "127.0.0.1,::1",  # the tests stand in for nginx
                    "FORUM_SMTP_URL": mailbox.url, "FORUM_MAIL_INTERVAL": "0.5", "FORUM_MAIL_RETRY_MAX": "1",
                    **({"FORUM_REDIS_URL": redis} if redis else {}), **target.env,
                }) as srv:
            yield srv
            trace = tracebacks(srv)
            if trace:
                pytest.fail(f"{target}: the server logged a traceback during the session:\n{trace}")
    except ServerUnavailable as exc:
        missing_service(f"the {target} server", exc)


@pytest.fixture(scope="session")
def api(server: Server) -> Api:
    return Api(server)


@pytest.fixture(scope="session")
def forum(api: Api) -> Forum:
    return Forum(api)


@pytest.fixture
def make_user(forum: Forum) -> Any:
    """``make_user()`` → a fresh registered, logged-in user {id, username, token, headers, ...}."""
    return forum.user


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unless FORUM_CONTRACT_TARGETS names them, targets on other drivers run only DRIVER_SUBSET."""
    if "FORUM_CONTRACT_TARGETS" in os.environ:
        return
    kept, dropped = [], []
    for item in items:
        target = getattr(item, "callspec", None) and item.callspec.params.get("server")  # type: ignore[attr-defined]
        module = item.nodeid.partition("::")[0].rpartition("/")[2].removesuffix(".py")
        other = isinstance(target, Target) and target.driver and module not in DRIVER_SUBSET
        (dropped if other else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --------------------------------------------------------------------------- per-target run time

_durations: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    match = re.search(r"\[([a-z-]+:(?:sqlite|mysql)(?::[a-z]+)?)", report.nodeid)
    if match and "contract" in report.nodeid:
        _durations[match.group(1)] += report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _durations:
        terminalreporter.write_sep("-", "contract run time per target (setup + tests + teardown)")
        for target, seconds in _durations.items():
            terminalreporter.write_line(f"{target:24s} {seconds:7.1f} s")
