"""No transaction, lock or pooled connection is held across CPU work (RELIABILITY 46).

Eight logins are held inside their password hash (the hash waits on a gate); meanwhile a read on
a one-connection pool answers, and on SQLite another writer gets the only write lock. Through both
runners on both databases: the coroutine runner sends the hash to the loop's executor, the blocking
runner runs it on each login's own thread.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.auth import ANONYMOUS
from shared.keys import Keys
from shared.storage import guestbook, users
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Compute, Query, Transaction
from shared.storage.runners import Services, run_async, run_sync

PASSWORD = "correct horse battery"
LOGINS = 8


class HeldHashes:
    """Stands in front of ``verify_password``: each call says it arrived, then waits for the gate."""

    def __init__(self, expected: int, arrived: Callable[[], None]) -> None:
        self.real = users.verify_password
        self.expected, self.arrived = expected, arrived
        self.count, self.lock, self.gate = 0, threading.Lock(), threading.Event()

    def __call__(self, password_hash: str, password: str) -> tuple[bool, bool]:
        with self.lock:
            self.count += 1
            if self.count == self.expected:
                self.arrived()
        self.gate.wait(30)
        return self.real(password_hash, password)


def accounts(prefix: str) -> list[dict[str, str]]:
    return [{"username": f"{prefix}{i}", "email": f"{prefix}{i}@example.org", "password": PASSWORD}
            for i in range(LOGINS)]


async def test_logins_hashing_on_the_loop_hold_no_connection(db_url: str, settings_for: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(db_url, pool_size=1)
    services = Services(keys=Keys.from_settings(settings))
    db = await open_async(settings)
    loop = asyncio.get_running_loop()
    all_hashing = asyncio.Event()
    # the loop's default executor runs min(32, CPUs + 4) hashes at once; the others wait for a thread
    held = HeldHashes(min(LOGINS, (os.cpu_count() or 1) + 4), lambda: loop.call_soon_threadsafe(all_hashing.set))
    try:
        ids = [(await run_async(db, users.register(ANONYMOUS, body), services))["id"] for body in accounts("ah")]
        monkeypatch.setattr(users, "verify_password", held)
        logins = [asyncio.ensure_future(run_async(db, users.login(ANONYMOUS, {"login": b["username"],
                                                                             "password": PASSWORD},
                                                                 f"192.0.2.{i}"), services))
                  for i, b in enumerate(accounts("ah"))]
        await asyncio.wait_for(all_hashing.wait(), 30)
        assert (await run_async(db, users.get_user(ANONYMOUS, ids[0]), services))["username"] == "ah0"
        entry = await run_async(db, guestbook.sign(ANONYMOUS, {"name": "w", "message": "a writer"}), services)
        assert entry["id"] > 0 and not any(login.done() for login in logins)
        held.gate.set()
        assert {t["user"]["username"] for t in await asyncio.gather(*logins)} == {f"ah{i}" for i in range(LOGINS)}
    finally:
        held.gate.set()
        await db.close()


async def test_logins_hashing_on_worker_threads_hold_no_connection(db_url: str, settings_for: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(db_url, pool_size=1)
    services = Services(keys=Keys.from_settings(settings))
    db = open_sync(settings)
    all_hashing = threading.Event()
    held = HeldHashes(LOGINS, all_hashing.set)
    try:
        ids = [run_sync(db, users.register(ANONYMOUS, body), services)["id"] for body in accounts("bh")]
        monkeypatch.setattr(users, "verify_password", held)
        with ThreadPoolExecutor(max_workers=LOGINS) as workers:
            logins = [workers.submit(run_sync, db, users.login(ANONYMOUS, {"login": b["username"], "password": PASSWORD},
                                                               f"192.0.2.{i}"), services)
                      for i, b in enumerate(accounts("bh"))]
            assert all_hashing.wait(30), "the logins never reached their hash"
            assert run_sync(db, users.get_user(ANONYMOUS, ids[0]), services)["username"] == "bh0"
            assert run_sync(db, guestbook.sign(ANONYMOUS, {"name": "w", "message": "a writer"}), services)["id"] > 0
            assert not any(login.done() for login in logins)
            held.gate.set()
            assert {f.result()["user"]["username"] for f in logins} == {f"bh{i}" for i in range(LOGINS)}
    finally:
        held.gate.set()
        db.close()


def _write_then_hash() -> Any:
    yield Query("UPDATE users SET bio = bio WHERE id = %s", (0,), "rowcount")
    yield Compute(len, ("argon2 would be here",))


def _write_commit_then_hash() -> Any:
    yield Query("UPDATE users SET bio = bio WHERE id = %s", (0,), "rowcount")
    yield Transaction()
    return (yield Compute(len, ("four",)))


async def test_the_runners_refuse_cpu_work_inside_a_write(run: Any) -> None:
    """A Compute (or a counter hit, or a fetch) while a write is open is a bug the runner names."""
    with pytest.raises(RuntimeError, match="yield Transaction"):
        await run(_write_then_hash())
    assert await run(_write_commit_then_hash()) == 4
