"""RELIABILITY 43 behind nginx: ``forum serve --nginx`` trusts its nginx, so the app keys on the address
nginx saw, not on nginx's own.

The client connects from 127.0.0.2 (all of 127/8 is this machine) and nginx reaches the app from
127.0.0.1. Once 127.0.0.2 has used up the per-address login limit, a client on 127.0.0.1 must still get
its own allowance: were nginx's X-Real-IP not believed, both would be nginx's 127.0.0.1 to the app.
"""

from __future__ import annotations

import http.client
import json
import secrets
from collections import Counter
from urllib.parse import urlsplit

from .sites import APP_PROCESSES, Site

ADDRESS_LIMIT = 20   # failed logins per client address in 15 minutes (shared/ratelimit.py)


def failed_login(site: Site, source: str) -> int:
    """The status of one wrong-password login sent from the local address ``source``."""
    url = urlsplit(site.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30, source_address=(source, 0))
    try:
        body = json.dumps({"login": f"nobody_{secrets.token_hex(4)}", "password": "wrong-password"})
        connection.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_address_nginx_saw_is_the_client_address(site: Site) -> None:
    attempts = APP_PROCESSES[site.flavour] * ADDRESS_LIMIT + 1   # each process may count separately
    statuses = []
    for _ in range(attempts):
        statuses.append(failed_login(site, "127.0.0.2"))
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, Counter(statuses)
    assert failed_login(site, "127.0.0.1") == 401   # another client: not held back
    assert any(line.startswith("127.0.0.2 ") for line in site.access_log.read_text().splitlines())
