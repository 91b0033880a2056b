"""RELIABILITY 43: no proxy is trusted unless configured, not even loopback.

The contract suite's servers are told to trust 127.0.0.1 (the tests stand in for nginx there). These
run with the settings an operator gets by default: a client on the same machine sending its own
``X-Real-IP`` / ``X-Forwarded-For`` is still one client, so the per-address login limit (20 failures)
holds against it. Were the headers believed, each attempt would come from a new address, and no
limit would ever trip. (Behind ``forum serve --nginx``: tests/deploy/test_client_address.py.)
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from tests.support.servers import Server, fresh_database, running_server

# One process each, so one count: a WSGI flavour (gunicorn) and Tornado.
SERVERS = {"tornado": (), "gunicorn": ("--workers", "1")}
ADDRESS_LIMIT = 20   # failed logins per client address in 15 minutes (shared/ratelimit.py)


@pytest.fixture(scope="module", params=sorted(SERVERS))
def untrusting_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with fresh_database("sqlite") as url, running_server(request.param, url, extra_args=SERVERS[request.param]) as server:
        yield server


def test_a_direct_clients_forwarding_headers_are_ignored_even_from_loopback(untrusting_server: Server) -> None:
    statuses = []
    for i in range(ADDRESS_LIMIT + 1):
        spoof = {"X-Real-IP": f"198.51.100.{i + 1}", "X-Forwarded-For": f"203.0.113.{i + 1}"}
        answer = requests.post(f"{untrusting_server.base_url}/api/v1/auth/login", headers=spoof, timeout=30,
                               json={"login": f"nobody_{i}_{secrets.token_hex(3)}", "password": "wrong-password"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429, Counter(statuses)
    assert set(statuses[:-1]) == {401}, Counter(statuses)
    output = untrusting_server.output()
    assert "198.51.100." not in output and "203.0.113." not in output   # nor is it ever logged
