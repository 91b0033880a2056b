"""Every answer says where its time went: a standard ``Server-Timing`` header (shared/xray.py).

API answers and pages, successes and problems, on every flavour: the same four metrics in the same
order, each a duration in milliseconds with its description (the browsers' developer tools show
them). The X-ray pages that list a request's effects exist only with FORUM_DEBUG: here, off, they
are absent like any unknown path.
"""

from __future__ import annotations

import re

import requests

from .client import Api, from_address, problem, unique

# name;dur=1.23;desc="..." (RFC-free, but the W3C Server Timing syntax the browsers read)
METRIC = re.compile(r'(?P<name>[a-z]+);dur=(?P<dur>\d+\.\d{2});desc="(?P<desc>[^"]+)"')
NAMES = ["db", "wait", "compute", "total"]


def timings(resp: requests.Response) -> dict[str, float]:
    """The header's metrics by name, after checking that it is well formed."""
    header = resp.headers.get("Server-Timing")
    assert header, f"{resp.request.method} {resp.url} -> {resp.status_code}: no Server-Timing"
    parts = header.split(", ")
    matches = [METRIC.fullmatch(part) for part in parts]
    assert all(matches), header
    found = {m["name"]: float(m["dur"]) for m in matches if m}
    assert list(found) == NAMES, header
    return found


def test_api_answers_carry_server_timing(api: Api, make_user) -> None:
    user = make_user()
    nobody = {"login": unique("ghost"), "password": "wrong password!"}   # an account no other test counts on
    for resp in (api.get("/groups"), api.get("/me", user=user), api.get("/groups/999999"),
                 api.post("/auth/login", json=nobody, headers=from_address()),
                 api.get("/healthz", site=True)):
        timings(resp)


def test_a_login_spends_time_in_compute_and_the_database(api: Api, make_user) -> None:
    """The password hash is Compute and the account is read from the database: both are counted."""
    user = make_user()
    resp = api.post("/auth/login", json={"login": user["username"], "password": user["password"]})
    assert resp.status_code == 200, resp.text
    found = timings(resp)
    assert found["compute"] > 0 and found["db"] > 0, resp.headers["Server-Timing"]


def test_pages_and_unknown_paths_carry_server_timing(api: Api) -> None:
    for path in ("/", "/guestbook", "/no/such/page"):
        timings(requests.get(api.url(path, site=True), timeout=10))


def test_the_xray_pages_are_absent_when_debug_is_off(api: Api) -> None:
    for path in ("/debug/requests", "/debug/requests/anything"):
        problem(requests.get(api.url(path, site=True), timeout=10), 404)
