"""The adapters behave as one: results, error mapping, rollback, the pool's limits."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pymysql
import pytest

from shared.config import ConfigError, load_settings
from shared.errors import Conflict, TimedOut, Unavailable
from shared.storage.drivers import open_async, open_sync, parse_database_url
from shared.storage.drivers.common import MYSQL, SQLITE
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_async, run_sync

NOW = "2026-11-24 09:51:25"


def add_user(name: str) -> Query:
    return Query("INSERT INTO users (username, email, password_hash, created_at) VALUES (%s, %s, %s, %s)",
                 (name, f"{name}@example.com", "x", NOW), "lastrowid")


def every_kind() -> Op[dict[str, Any]]:
    first = yield add_user("ada")
    second = yield add_user("bob")
    many = yield Query("INSERT INTO guestbook (name, message, created_at) VALUES (%s, %s, %s)",
                       [("g1", "hello", NOW), ("g2", "100%% sure", NOW)], many=True)
    nothing = yield Query("INSERT INTO guestbook (name, message, created_at) VALUES (%s, %s, %s)", [], many=True)
    renamed = yield Query("UPDATE users SET nickname = %s WHERE id = %s", ("Ada", first), "rowcount")
    unchanged = yield Query("UPDATE users SET nickname = %s WHERE id = %s", ("Ada", first), "rowcount")
    return {
        "ids": (first, second), "many": many, "nothing": nothing, "renamed": renamed, "unchanged": unchanged,
        "rows": (yield Query("SELECT id, username FROM users ORDER BY id")),
        "row": (yield Query("SELECT username, nickname FROM users WHERE id = %s", (first,), "row")),
        "no_row": (yield Query("SELECT username FROM users WHERE id = %s", (0,), "row")),
        "value": (yield Query("SELECT COUNT(*) FROM users", returns="value")),
        "no_value": (yield Query("SELECT id FROM users WHERE id = %s", (0,), "value")),
        "like": (yield Query("SELECT COUNT(*) FROM guestbook WHERE message LIKE %s", ("%sure",), "value")),
    }


async def test_every_return_kind(run: Any) -> None:
    got = await run(every_kind())
    first, second = got["ids"]
    assert second == first + 1
    assert got["many"] == 2 and got["nothing"] == 0
    assert got["renamed"] == 1
    assert got["unchanged"] == 1, "rowcount counts matched rows on MySQL too (CLIENT.FOUND_ROWS)"
    assert got["rows"] == [{"id": first, "username": "ada"}, {"id": second, "username": "bob"}]
    assert got["row"] == {"username": "ada", "nickname": "Ada"}
    assert got["no_row"] is None and got["no_value"] is None
    assert got["value"] == 2
    assert got["like"] == 1


def duplicate_caught() -> Op[str]:
    yield add_user("ada")
    try:
        yield add_user("ADA")  # unique ignoring case on both databases
    except Conflict:
        pass
    return str((yield Query("SELECT username FROM users", returns="value")))


async def test_duplicate_key_is_a_conflict_the_operation_may_catch(run: Any) -> None:
    assert await run(duplicate_caught()) == "ada"


def orphan_membership() -> Op[None]:
    yield Query("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, %s, %s)",
                (999, 999, "member", NOW), "rowcount")


async def test_foreign_key_violation_is_a_conflict(run: Any) -> None:
    with pytest.raises(Conflict):
        await run(orphan_membership())


class Boom(Exception):
    pass


def half_done() -> Op[None]:
    yield add_user("ada")
    yield Query("INSERT INTO guestbook (name, message, created_at) VALUES (%s, %s, %s)", ("g", "m", NOW))
    raise Boom


@read_only
def count_rows() -> Op[int]:
    users = yield Query("SELECT COUNT(*) FROM users", returns="value")
    notes = yield Query("SELECT COUNT(*) FROM guestbook", returns="value")
    return int(users) + int(notes)


async def test_failure_half_way_leaves_nothing_written(run: Any) -> None:
    with pytest.raises(Boom):
        await run(half_done())
    assert await run(count_rows()) == 0


def bad_sql() -> Op[None]:
    yield Query("SELECT no_such_column FROM users")


async def test_other_driver_errors_pass_through_and_the_connection_stays_usable(run: Any) -> None:
    with pytest.raises(Exception) as caught:
        await run(bad_sql())
    assert not isinstance(caught.value, Conflict | Unavailable)
    assert await run(count_rows()) == 0


def test_pool_exhausted_answers_unavailable_not_a_hang(db_url: str, settings_for: Any) -> None:
    db = open_sync(settings_for(db_url, pool_size=1, pool_timeout=0.3))
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction(read_only=True):
            holding.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        assert (db.size, db.in_use) == (1, 1)
        with pytest.raises(Unavailable) as caught:
            run_sync(db, count_rows())
        assert caught.value.status == 503 and caught.value.headers["Retry-After"]
    finally:
        done.set()
        holder.join()
    assert run_sync(db, count_rows()) == 0
    assert (db.in_use, db.waiting) == (0, 0)
    db.close()


async def test_async_pool_exhausted_answers_unavailable(db_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(db_url, pool_size=1, pool_timeout=0.3))
    async with db.transaction(read_only=True):
        with pytest.raises(Unavailable):
            await run_async(db, count_rows())
        assert db.waiting == 0
    assert await run_async(db, count_rows()) == 0
    assert (db.in_use, db.waiting) == (0, 0)
    await db.close()


async def test_ping(sync_db: Any, async_db: Any) -> None:
    sync_db.ping()
    await async_db.ping()


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///var/forum.sqlite3", ("sqlite", "var/forum.sqlite3", "")),
    ("sqlite:////tmp/abs.sqlite3", ("sqlite", "/tmp/abs.sqlite3", "")),
    ("mysql://u:p%40ss@db.example:3307/forum", ("mysql", "", "forum")),
])
def test_parse_database_url(url: str, expected: tuple[str, str, str]) -> None:
    parsed = parse_database_url(url)
    assert (parsed.dialect, parsed.path, parsed.database) == expected
    if parsed.dialect == "mysql":
        assert (parsed.user, parsed.password, parsed.host, parsed.port) == ("u", "p@ss", "db.example", 3307)


@pytest.mark.parametrize("url", ["postgres://x/y", "sqlite://", "mysql://root@localhost/"])
def test_bad_database_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(url)


@pytest.mark.parametrize(("value", "expected"), [
    ("aiomysql,pymysql", ("aiomysql", "pymysql")),
    ("asyncmy", ("asyncmy", "pymysql")),              # one not named keeps its default
    ("mysqlclient, asyncmy", ("asyncmy", "mysqlclient")),
    ("", ("aiomysql", "pymysql")),
])
def test_mysql_driver_names_each_kind(value: str, expected: tuple[str, str]) -> None:
    assert load_settings(environ={"FORUM_MYSQL_DRIVER": value, "FORUM_SECRET": "s" * 32}).mysql_drivers == expected


def test_an_unknown_mysql_driver_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="FORUM_MYSQL_DRIVER: unknown driver 'mysqldb'"):
        load_settings(environ={"FORUM_MYSQL_DRIVER": "asyncmy,mysqldb", "FORUM_SECRET": "s" * 32})


async def test_many_concurrent_coroutines_share_a_small_pool(db_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(db_url, pool_size=3, pool_timeout=10))
    counts = await asyncio.gather(*(run_async(db, count_rows()) for _ in range(30)))
    assert counts == [0] * 30
    assert db.in_use == 0
    await db.close()


# -- a bounded statement (Query(bounded=True), search_timeout): the server stops it ---------------------

@read_only
def sleep_bounded(seconds: float) -> Op[str]:
    try:
        yield Query("SELECT SLEEP(%s)", (seconds,), "value", bounded=True)
    except TimedOut:          # thrown into the operation, which says what the user may change
        return "stopped"
    return "finished"


@read_only
def sleep(seconds: float) -> Op[int]:
    return int((yield Query("SELECT SLEEP(%s)", (seconds,), "value")))


@pytest.mark.mysql
@pytest.mark.parametrize("runner", ["sync", "async"])
async def test_a_bounded_statement_is_stopped_by_the_server_and_the_connection_kept(
        mysql_url: str, settings_for: Any, runner: str) -> None:
    settings = settings_for(mysql_url, search_timeout=0.2, pool_size=1)
    db: Any = open_sync(settings) if runner == "sync" else await open_async(settings)

    async def go(op: Op[Any]) -> Any:
        return run_sync(db, op) if runner == "sync" else await run_async(db, op)

    try:
        assert db.dialect_rules.server == "mariadb"        # what runs here and in CI; VERSION() said so
        started = time.monotonic()
        assert await go(sleep_bounded(5)) == "stopped"
        assert time.monotonic() - started < 2, "stopped by the server at the bound, not by the read timeout"
        assert await go(sleep_bounded(0)) == "finished", "the one connection went back to the pool, fit"
        assert await go(sleep(0.4)) == 0, "an unbounded statement runs on"
        assert (db.in_use, db.pool.size) == (0, 1)
    finally:
        if runner == "sync":
            db.close()
        else:
            await db.close()


def test_each_server_gets_its_own_bound_and_its_own_timeout_errors() -> None:
    bounded, plain = Query("SELECT 1 FROM users", bounded=True), Query("SELECT 1 FROM users")
    assert MYSQL.for_server("10.11.19-MariaDB-0+deb12u1").statement(bounded, 1.5) == \
        "SET STATEMENT max_statement_time = 1.500000 FOR SELECT 1 FROM users"
    assert MYSQL.for_server("8.0.36").statement(bounded, 1.5) == "SELECT /*+ MAX_EXECUTION_TIME(1500) */ 1 FROM users"
    assert MYSQL.for_server("8.0.36").statement(plain, 1.5) == "SELECT 1 FROM users"
    assert MYSQL.for_server("8.0.36").statement(bounded, 0) == "SELECT 1 FROM users", "0: no bound"
    assert SQLITE.statement(bounded, 1.5) == "SELECT 1 FROM users"
    for code in (1969, 3024):          # MariaDB's ER_STATEMENT_TIMEOUT, MySQL's ER_QUERY_TIMEOUT
        err, broken = MYSQL.classify(pymysql.err.OperationalError(code, "interrupted"))
        assert isinstance(err, TimedOut) and err.status == 422 and not broken
    for code in (188, 1028, 1317):     # stopped deeper down: InnoDB's "aborted by user", a sort, "interrupted"
        interrupted = pymysql.err.InternalError(code, "Query execution was interrupted")
        assert isinstance(MYSQL.classify(interrupted, bounded=True)[0], TimedOut)
        assert MYSQL.classify(interrupted)[0] is None, "unbounded, it was a KILL QUERY: not a timeout"


def test_search_timeout_must_end_before_the_read_timeout() -> None:
    assert load_settings({"search_timeout": 0}, environ={}).search_timeout == 0
    with pytest.raises(ConfigError, match="FORUM_SEARCH_TIMEOUT"):
        load_settings({"search_timeout": 10}, environ={})
