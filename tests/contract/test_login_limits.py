"""The login limits hold under concurrency and across processes, with no Redis (RELIABILITY 40, 42).

Each server here runs as an operator gets it by default: several processes, counters in the
database. Fifty simultaneous wrong passwords for one account are checked at most five times (the
limit is counted first, atomically, then decided); 150 failures from one address let exactly 20
through, however many workers share them.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

# Several processes each, and no FORUM_REDIS_URL: the counts must meet in the database.
SERVERS = {
    "tornado": ("--processes", "2"),
    "gunicorn": ("--workers", "5"),
    "uwsgi": ("--processes", "4"),
}
ACCOUNT_LIMIT, ADDRESS_LIMIT = 5, 20


@pytest.fixture(params=[(flavour, db) for flavour in sorted(SERVERS) for db in ("sqlite", "mysql")],
                ids=lambda p: f"{p[0]}:{p[1]}")
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    flavour, database = request.param
    try:
        with fresh_database(database) as url, running_server(flavour, url, extra_args=SERVERS[flavour]) as running:
            yield running
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:{database} server", exc)


def login(server: Server, name: str, password: str) -> int:
    answer = requests.post(f"{server.base_url}/api/v1/auth/login", json={"login": name, "password": password},
                           timeout=60)
    return answer.status_code


def test_fifty_simultaneous_wrong_passwords_are_checked_five_times(server: Server) -> None:
    name = "lim" + secrets.token_hex(4)
    made = requests.post(f"{server.base_url}/api/v1/auth/register", timeout=30,
                         json={"username": name, "email": f"{name}@example.org", "password": "correct horse battery"})
    assert made.status_code == 201, made.text
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = Counter(pool.map(lambda i: login(server, name, f"wrong password {i}"), range(50)))
    # At most five reach the password; on a loaded machine one may meet a full pool instead (503).
    assert set(statuses) <= {401, 429, 503} and statuses[401] <= ACCOUNT_LIMIT, statuses
    assert statuses[429] >= 50 - ACCOUNT_LIMIT - statuses[503] and statuses[503] <= 5, statuses


def test_failures_from_one_address_meet_across_processes(server: Server) -> None:
    """Unknown logins, one at a time, all from 127.0.0.1, spread by the server over its processes."""
    statuses = [login(server, f"nobody_{i}_{secrets.token_hex(3)}", "wrong password") for i in range(150)]
    assert statuses == [401] * ADDRESS_LIMIT + [429] * (150 - ADDRESS_LIMIT), Counter(statuses)
