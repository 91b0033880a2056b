"""The framework-free helpers this flavour brought to shared/ (the Flask flavour uses them too).

No server here: the client-address rule, the rate-limit rules on both stores, and the SSRF guard.
"""

from __future__ import annotations

import secrets
import socket

import pytest

from shared.config import Settings
from shared.errors import BadGateway, Invalid, TooManyRequests
from shared.http import client_address
from shared.linkpreview import Reply, preview, read_tags, vet
from shared.ratelimit import (
    AsyncLimiter,
    AsyncMemoryStore,
    Limiter,
    MemoryStore,
    RedisStore,
    check_login,
    login_failed,
    login_succeeded,
    throttle_route,
)

NGINX = Settings(trusted_proxies="127.0.0.1,::1")


@pytest.mark.parametrize(("peer", "headers", "expected"), [
    ("203.0.113.9", {"X-Forwarded-For": "1.2.3.4", "X-Real-IP": "1.2.3.4"}, "203.0.113.9"),  # not a proxy
    ("127.0.0.1", {"X-Real-IP": "198.51.100.7"}, "198.51.100.7"),                           # nginx says
    ("127.0.0.1", {"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}, "198.51.100.7"),             # nearest hop
    ("127.0.0.1", {"X-Real-IP": "not an address"}, "127.0.0.1"),
    ("127.0.0.1", {}, "127.0.0.1"),
])
def test_client_address_believes_only_trusted_proxies(peer: str, headers: dict[str, str], expected: str) -> None:
    assert client_address(peer, headers.get, NGINX) == expected


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> MemoryStore | RedisStore:
    """Each store the limiter counts in: this process's memory, or Redis (``redis_url``)."""
    if request.param == "memory":
        return MemoryStore()
    return RedisStore(request.getfixturevalue("redis_url"))


def test_five_failed_logins_then_429_until_a_success_clears_the_login(store: MemoryStore | RedisStore) -> None:
    limiter = Limiter(store)
    login = f"tw-test-{secrets.token_hex(6)}"
    # Redis keeps per-address counts for 15 minutes: fresh addresses each run, so runs never add up.
    first, second, third = (f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}" for _ in range(3))
    limiter.run(login_succeeded(login))
    for _ in range(5):
        limiter.run(check_login(login, first))
        limiter.run(login_failed(login, first))
    with pytest.raises(TooManyRequests) as refused:
        limiter.run(check_login(login.upper(), second))   # the same login, any case, any address
    assert 0 < int(refused.value.headers["Retry-After"]) <= 900
    limiter.run(login_succeeded(login))
    limiter.run(check_login(login, third))


async def test_guestbook_allows_five_a_minute_per_address() -> None:
    limiter = AsyncLimiter(AsyncMemoryStore())
    for _ in range(5):
        await limiter.run(throttle_route("POST", "/guestbook", None, "192.0.2.9"))
    with pytest.raises(TooManyRequests):
        await limiter.run(throttle_route("POST", "/guestbook", None, "192.0.2.9"))
    await limiter.run(throttle_route("POST", "/guestbook", None, "192.0.2.10"))
    await limiter.run(throttle_route("GET", "/guestbook", None, "192.0.2.9"))   # reading is not limited


def _addresses(*ips: str) -> list[tuple[int, tuple[str, int]]]:
    return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, (ip, 80)) for ip in ips]


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254",
                                "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                "224.0.0.1"])
def test_the_guard_refuses_any_private_address_among_those_a_name_has(ip: str) -> None:
    with pytest.raises(Invalid):
        vet("example.org", 80, _addresses("93.184.215.14", ip), frozenset())


def test_the_allow_list_lets_a_named_target_through() -> None:
    assert vet("localhost", 8080, _addresses("127.0.0.1"), frozenset({"localhost:8080"}))
    with pytest.raises(Invalid):
        vet("localhost", 8081, _addresses("127.0.0.1"), frozenset({"localhost:8080"}))


def test_redirects_are_followed_and_rechecked_and_limited() -> None:
    plan = preview("http://example.org/a")
    hop = next(plan)
    hop = plan.send(Reply(302, {"location": "/b"}, b""))
    assert hop.target.url == "http://example.org/b"
    with pytest.raises(Invalid):   # a redirect to another scheme is a bad URL like any other
        plan.send(Reply(301, {"location": "file:///etc/passwd"}, b""))
    plan = preview("http://example.org/a")
    next(plan)
    with pytest.raises(BadGateway):
        for _ in range(10):
            plan.send(Reply(302, {"location": "/again"}, b""))


def test_tags_prefer_open_graph_and_resolve_the_image() -> None:
    page = (b'<html><head><title>Plain</title><meta property="og:title" content="Rich">'
            b'<meta name="description" content="d"><meta property="og:image" content="/i.png"></head>'
            b'<body><meta property="og:description" content="too late"></body></html>')
    assert read_tags(page, "text/html", "https://example.org/x/") == {
        "title": "Rich", "description": "d", "image": "https://example.org/i.png"}
    assert read_tags(b"%PDF", "application/pdf", "https://example.org/") == {
        "title": None, "description": None, "image": None}
