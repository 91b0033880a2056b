"""Rate limits as operations: counted first and atomically, then decided (RELIABILITY 40-42).

Every test runs through both runners on both databases, with the counters in the database (the
default without Redis); the Redis counters get the same checks against the real Redis.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.auth import ANONYMOUS
from shared.config import Settings
from shared.errors import Conflict, Invalid, TooManyRequests, Unauthorized
from shared.keys import Keys
from shared.ratelimit import rules_from, throttle, throttle_route, throttled
from shared.redis_counters import AsyncRedisCounters, RedisCounters
from shared.storage import users
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import NOTHING, Count, Hit, Reset
from shared.storage.runners import Services, run_async, run_canned, run_sync
from tests.storage.conftest import Run

PASSWORD = "correct horse battery"


def fresh_address() -> str:
    return f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


async def test_guestbook_allows_five_a_minute_per_address(run: Run) -> None:
    address = fresh_address()
    for _ in range(5):
        await run(throttle_route("POST", "/guestbook", None, address))
    with pytest.raises(TooManyRequests) as refused:
        await run(throttle_route("POST", "/guestbook", None, address))
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
    await run(throttle_route("POST", "/guestbook", None, fresh_address()))   # another address
    await run(throttle_route("GET", "/guestbook", None, address))            # reading is not limited


async def test_a_route_without_a_throttle_runs_no_operation() -> None:
    """Every read: its throttle is NOTHING, which both runners return from before using the database
    (there is none here), and which a page's operation goes through as if it were not there."""
    address = fresh_address()
    assert throttle_route("GET", "/guestbook", None, address) is NOTHING
    assert run_sync(None, throttle_route("GET", "/guestbook", None, address)) is None  # type: ignore[arg-type]
    assert await run_async(None, throttle_route("GET", "/guestbook", None, address)) is None  # type: ignore[arg-type]
    page_op = throttled("GET", "/guestbook", None, address, throttle_route("GET", "/guestbook", None, address))
    assert run_canned(page_op, []) == (None, [])


async def test_a_rule_is_a_setting(db_url: str, settings_for: Any) -> None:
    settings = settings_for(db_url, limit_guestbook="2/60")
    services = Services(keys=Keys.from_settings(settings), rules=rules_from(settings))
    db = open_sync(settings)
    try:
        address = fresh_address()
        run_sync(db, throttle("guestbook", address), services)
        run_sync(db, throttle("guestbook", address), services)
        with pytest.raises(TooManyRequests):
            run_sync(db, throttle("guestbook", address), services)
    finally:
        db.close()


async def test_five_failures_then_429_until_the_window_ends_and_a_success_clears_it(run: Run) -> None:
    name = f"rl{secrets.token_hex(4)}"
    await run(users.register(ANONYMOUS, {"username": name, "email": f"{name}@example.org", "password": PASSWORD}))
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await run(users.login(ANONYMOUS, {"login": name, "password": "wrong password"}, fresh_address()))
    await run(users.login(ANONYMOUS, {"login": name, "password": PASSWORD}, fresh_address()))  # clears it
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await run(users.login(ANONYMOUS, {"login": name, "password": "wrong password"}, fresh_address()))
    with pytest.raises(TooManyRequests):   # the same account by e-mail, in another case, from elsewhere
        await run(users.login(ANONYMOUS, {"login": f"{name.upper()}@EXAMPLE.ORG", "password": PASSWORD},
                              fresh_address()))


async def test_look_alike_logins_share_the_account_counter(run: Run, db_url: str) -> None:
    """What the database would match to the account counts against the account (RELIABILITY 41):
    MySQL's collation matches accents and full-width letters, so they hit its counter; SQLite
    matches none of them, so they cannot log in at all."""
    name = f"rl{secrets.token_hex(4)}"
    await run(users.register(ANONYMOUS, {"username": name, "email": f"{name}@example.org", "password": PASSWORD}))
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await run(users.login(ANONYMOUS, {"login": name, "password": "wrong password"}, fresh_address()))
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in name)
    for spelling in ("ŕ" + name[1:], full_width, name + "\u200b", name.upper()):
        with pytest.raises((TooManyRequests, Unauthorized)) as refused:
            await run(users.login(ANONYMOUS, {"login": spelling, "password": PASSWORD}, fresh_address()))
        if db_url.startswith("mysql") or spelling == name.upper():
            assert refused.type is TooManyRequests, spelling


def _wrong_logins(name: str, n: int) -> list[dict[str, Any]]:
    return [{"login": name, "password": f"wrong password {i}"} for i in range(n)]


async def test_fifty_simultaneous_wrong_passwords_are_checked_at_most_five_times(db_url: str,
                                                                                 settings_for: Any) -> None:
    """Count first, then decide: the check cannot be raced (RELIABILITY 40), on either runner."""
    settings = settings_for(db_url, pool_size=8)
    services = Services(keys=Keys.from_settings(settings))
    name = f"rl{secrets.token_hex(4)}"
    db = open_sync(settings)
    try:
        run_sync(db, users.register(ANONYMOUS, {"username": name, "email": f"{name}@x.org", "password": PASSWORD}),
                 services)

        def attempt(body: dict[str, Any]) -> type[Exception]:
            try:
                run_sync(db, users.login(ANONYMOUS, body, fresh_address()), services)
            except (Unauthorized, TooManyRequests) as exc:
                return type(exc)
            raise AssertionError("a wrong password logged in")

        with ThreadPoolExecutor(max_workers=25) as pool:
            outcomes = list(pool.map(attempt, _wrong_logins(name, 50)))
    finally:
        db.close()
    assert outcomes.count(Unauthorized) == 5 and outcomes.count(TooManyRequests) == 45

    name = f"rl{secrets.token_hex(4)}"
    adb = await open_async(settings)
    try:
        await run_async(adb, users.register(ANONYMOUS, {"username": name, "email": f"{name}@x.org",
                                                        "password": PASSWORD}), services)
        results = await asyncio.gather(*(run_async(adb, users.login(ANONYMOUS, body, fresh_address()), services)
                                         for body in _wrong_logins(name, 50)), return_exceptions=True)
    finally:
        await adb.close()
    kinds = [type(r) for r in results]
    assert kinds.count(Unauthorized) == 5 and kinds.count(TooManyRequests) == 45


async def test_fifty_simultaneous_hits_get_fifty_different_counts(db_url: str, settings_for: Any) -> None:
    settings = settings_for(db_url, pool_size=8)
    services = Services(keys=Keys.from_settings(settings))
    adb = await open_async(settings)
    key = fresh_address()

    def one_hit() -> Any:
        count: Count = yield Hit("guestbook", key)
        return count.count

    try:
        counts = await asyncio.gather(*(run_async(adb, one_hit(), services) for _ in range(50)))
    finally:
        await adb.close()
    assert sorted(counts) == list(range(1, 51))


async def test_redis_counters_count_first_and_reset(redis_url: str) -> None:
    settings = Settings(redis_url=redis_url)
    rule, key = rules_from(settings)["login"], f"test-{secrets.token_hex(6)}"
    blocking, asynchronous = RedisCounters(settings), AsyncRedisCounters(settings)
    try:
        assert [blocking.perform(rule, Hit("login", key)).count for _ in range(3)] == [1, 2, 3]
        assert (await asynchronous.perform(rule, Hit("login", key, by=-1))).count == 2
        over = [blocking.perform(rule, Hit("login", key)) for _ in range(4)][-1]
        assert over.over and 0 < over.retry_after <= rule.window
        blocking.perform(rule, Reset("login", key))
        assert blocking.perform(rule, Hit("login", key)).count == 1
    finally:
        blocking.close()
        await asynchronous.close()


async def test_two_forums_sharing_a_redis_count_apart(redis_url: str) -> None:
    """User 5 of one database is not user 5 of another: the counters are namespaced by the forum."""
    first, second = (RedisCounters(Settings(redis_url=redis_url, database_url=f"sqlite:///forum-{n}.sqlite3"))
                     for n in (secrets.token_hex(4), secrets.token_hex(4)))
    rule, key = rules_from(Settings())["login"], "user:5"
    try:
        assert first.perform(rule, Hit("login", key)).count == 1
        assert second.perform(rule, Hit("login", key)).count == 1
    finally:
        first.close()
        second.close()


async def test_look_alike_usernames_cannot_be_registered(run: Run) -> None:
    """A username is ASCII letters, digits and underscores, so no look-alike of one can be made."""
    name = f"rl{secrets.token_hex(4)}"
    await run(users.register(ANONYMOUS, {"username": name, "email": f"{name}@example.org", "password": PASSWORD}))
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in name)
    for spelling in ("ŕ" + name[1:], full_width, name + "\u200b"):
        with pytest.raises(Invalid):
            await run(users.register(ANONYMOUS, {"username": spelling, "email": f"x{secrets.token_hex(3)}@example.org",
                                                 "password": PASSWORD}))
    with pytest.raises(Conflict):
        await run(users.register(ANONYMOUS, {"username": name.upper(), "email": "other@example.org",
                                             "password": PASSWORD}))
