"""Bulk seeding writes consistent counters; recount finds nothing to fix, then fixes what we break."""

from __future__ import annotations

import argparse
from typing import Any

from shared.cli.recount import recount
from shared.cli.seed import Bulk, seed_bulk, seed_command, seed_demo
from shared.storage.counters import COUNTERS
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_sync

SMALL = Bulk(users=30, groups=4, posts=60, comments=400, questions=10)


@read_only
def counts() -> Op[dict[str, int]]:
    found = {}
    for table in ("users", "forum_groups", "memberships", "posts", "comments", "questions"):
        found[table] = int((yield Query(f"SELECT COUNT(*) FROM {table}", returns="value")))  # noqa: S608
    return found


def test_bulk_seed_counters_are_consistent(sync_db: Any) -> None:
    seed_bulk(sync_db, SMALL, show_progress=False)
    got = run_sync(sync_db, counts())
    assert got["users"] == 30 and got["forum_groups"] == 4 and got["posts"] == 60
    assert got["comments"] == 400 and got["questions"] == 10
    assert got["memberships"] >= 30
    assert all(n == 0 for n in recount(sync_db).values()), "every planned counter matches COUNT(*)"


def test_bulk_seed_twice_adds_more(sync_db: Any) -> None:
    seed_bulk(sync_db, SMALL, show_progress=False)
    seed_bulk(sync_db, SMALL, show_progress=False)
    assert run_sync(sync_db, counts())["comments"] == 800
    assert all(n == 0 for n in recount(sync_db).values())


def break_counters() -> Op[None]:
    yield Query("UPDATE posts SET comment_count = comment_count + 5, hot_score = 0 WHERE id > 0", returns="rowcount")
    yield Query("UPDATE forum_groups SET member_count = 0 WHERE id > 0", returns="rowcount")
    first_comment = yield Query("SELECT MIN(id) FROM comments", returns="value")
    yield Query("UPDATE comments SET reply_count = 99 WHERE id = %s", (first_comment,), "rowcount")


@read_only
def hot_scores() -> Op[list[Any]]:
    return [r["hot_score"] for r in (yield Query("SELECT hot_score FROM posts ORDER BY id"))]


def test_recount_fixes_broken_counters(sync_db: Any) -> None:
    seed_bulk(sync_db, SMALL, show_progress=False)
    scores = run_sync(sync_db, hot_scores())
    run_sync(sync_db, break_counters())
    fixed = recount(sync_db)
    assert fixed["posts.comment_count"] == 60
    assert fixed["forum_groups.member_count"] == 4
    assert fixed["comments.reply_count"] == 1
    assert run_sync(sync_db, hot_scores()) == scores
    assert all(n == 0 for n in recount(sync_db).values())
    assert {f"{c.table}.{c.column}" for c in COUNTERS} == set(fixed)


def test_demo_seed_is_idempotent_and_consistent(sync_db: Any) -> None:
    first = seed_demo(sync_db)
    again = seed_demo(sync_db)
    assert "already" in again and "already" not in first
    assert run_sync(sync_db, counts())["users"] == 4
    assert all(n == 0 for n in recount(sync_db).values())


def test_seed_command_refuses_orphans(db_url: str, settings_for: Any, capsys: Any) -> None:
    args = argparse.Namespace(demo=False, users=0, groups=0, posts=5, comments=0, questions=0, no_progress=True)
    assert seed_command(settings_for(db_url), args) == 2
    assert "--posts needs --groups" in capsys.readouterr().out
    db = open_sync(settings_for(db_url))
    assert run_sync(db, counts())["posts"] == 0
    db.close()
