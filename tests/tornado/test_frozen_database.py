"""A frozen database bounds every request on the event loop as on the workers (RELIABILITY 45).

The database is reached through a proxy that can freeze (tests/support/freezer.py): the server then
accepts and answers nothing, as MariaDB under ``kill -STOP``. While it stays frozen, every request
must come back as a 503 problem+json, bounded by the timeouts (connect, read, pool) — never held
until the freeze ends; and the service is back once the database is.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.freezer import FreezingProxy
from tests.support.servers import ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service
from tests.support.waiting import wait_until

TIMEOUTS = {"FORUM_CONNECT_TIMEOUT": "1", "FORUM_READ_TIMEOUT": "1", "FORUM_SEARCH_TIMEOUT": "0.5", "FORUM_POOL_TIMEOUT": "1",
            "FORUM_POOL_SIZE": "2"}
FREEZE_OUTLASTS = 30   # seconds a client waits: far beyond the timeouts, well short of "forever"


@pytest.mark.mysql
@pytest.mark.parametrize("flavour", ["tornado", "gunicorn", "uwsgi"])
def test_requests_during_a_freeze_are_answered_503_before_it_ends(flavour: str) -> None:
    try:
        with fresh_database("mysql") as url:
            parts = urlsplit(url)
            with FreezingProxy(parts.hostname or "127.0.0.1", parts.port or 3306) as proxy:
                proxied = url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
                with running_server(flavour, proxied, extra_env=TIMEOUTS) as server:
                    groups = server.base_url + "/api/v1/groups"
                    assert requests.get(groups, timeout=10).status_code == 200
                    proxy.freeze()
                    with ThreadPoolExecutor(max_workers=10) as pool:
                        answers = list(pool.map(lambda _: requests.get(groups, timeout=FREEZE_OUTLASTS), range(10)))
                    still_frozen = not proxy.flowing.is_set()
                    proxy.thaw()
                    wait_until(lambda: answers_200(groups), "the service to come back with the database")
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:mysql server", exc)
    assert still_frozen
    assert [a.status_code for a in answers] == [503] * 10
    assert all(a.headers["Content-Type"] == "application/problem+json" and "Retry-After" in a.headers
               for a in answers)


def answers_200(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).status_code == 200
    except requests.RequestException:
        return False
