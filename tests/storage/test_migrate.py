"""``forum migrate`` is idempotent, and serving an unmigrated database fails with a line naming it."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.storage.drivers import SchemaError, check_schema, check_schema_async, open_async, open_sync
from shared.storage.migrate import SCHEMA_DIR, migrate, migrations, statements


def test_both_dialects_have_the_same_steps() -> None:
    assert [p.name for p in migrations("mysql")] == [p.name for p in migrations("sqlite")]


def test_statements_split_on_line_ending_semicolons() -> None:
    sql = statements(SCHEMA_DIR / "sqlite" / "0001_initial.sql")
    assert sql[0].startswith("CREATE TABLE users")
    assert not any("--" in s for s in sql)


def test_migrate_twice_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/forum.sqlite3"      # the folder is made by migrate
    assert migrate(url) == [p.stem for p in migrations("sqlite")]
    assert migrate(url) == []
    with sqlite3.connect(tmp_path / "new" / "forum.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone() == (len(migrations("sqlite")),)


@pytest.mark.mysql
def test_mysql_migrate_creates_the_database_and_is_idempotent(mysql_admin_conn: Any, settings_for: Any) -> None:
    name = f"forum_test_{secrets.token_hex(4)}"
    url = f"mysql://root@127.0.0.1:3306/{name}"
    try:
        assert migrate(url) == [p.stem for p in migrations("mysql")]
        assert migrate(url) == []
        db = open_sync(settings_for(url))
        check_schema(db)
        db.close()
    finally:
        with mysql_admin_conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.mark.mysql
def test_a_missing_mysql_database_names_forum_migrate(mysql_admin_conn: Any, settings_for: Any) -> None:
    with pytest.raises(SchemaError, match="forum migrate"):
        open_sync(settings_for("mysql://root@127.0.0.1:3306/forum_test_never_made"))


def test_unmigrated_database_names_forum_migrate(tmp_path: Path, settings_for: Any) -> None:
    db = open_sync(settings_for(f"sqlite:///{tmp_path}/empty.sqlite3"))
    with pytest.raises(SchemaError, match="forum migrate") as caught:
        check_schema(db)
    assert "\n" not in str(caught.value)
    db.close()


async def test_unmigrated_database_names_forum_migrate_async(tmp_path: Path, settings_for: Any) -> None:
    db = await open_async(settings_for(f"sqlite:///{tmp_path}/empty.sqlite3"))
    with pytest.raises(SchemaError, match="forum migrate"):
        await check_schema_async(db)
    await db.close()


def test_missing_folder_names_forum_migrate(tmp_path: Path, settings_for: Any) -> None:
    with pytest.raises(SchemaError, match="forum migrate"):
        open_sync(settings_for(f"sqlite:///{tmp_path}/nowhere/forum.sqlite3"))


def test_an_older_schema_is_refused(sqlite_url: str, settings_for: Any) -> None:
    db = open_sync(settings_for(sqlite_url))
    check_schema(db)
    with db.transaction() as tx:
        from shared.storage.effects import Query

        tx.perform(Query("DELETE FROM schema_migrations WHERE version = %s", ("0001_initial",), "rowcount"))
    with pytest.raises(SchemaError, match="forum migrate"):
        check_schema(db)
    db.close()


async def test_migrated_database_passes(db_url: str, settings_for: Any) -> None:
    db = await open_async(settings_for(db_url))
    await check_schema_async(db)
    await db.close()


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def test_a_search_index_made_before_groups_learns_them(dialect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       mysql_admin_conn: Any, settings_for: Any) -> None:
    """0014_search_groups on a database with documents: each learns its group (a post's and its comments'
    the post's, a group its own, a question none), and the words are still found."""
    from shared.storage import migrate as steps
    from shared.storage.effects import Query
    from shared.storage.runners import run_sync
    from tests.storage.test_ops_content import add_group, add_user, perform

    name = f"forum_test_{secrets.token_hex(4)}"
    url = f"sqlite:///{tmp_path}/old.sqlite3" if dialect == "sqlite" else f"mysql://root@127.0.0.1:3306/{name}"
    every = steps.migrations
    monkeypatch.setattr(steps, "migrations", lambda d: [p for p in every(d) if p.stem < "0014"])
    try:
        migrate(url)
        db = open_sync(settings_for(url))

        def old_rows() -> Any:
            owner = yield from add_user("olga")
            group = yield from add_group(owner)
            post = yield Query("INSERT INTO posts (group_id, user_id, title, content, content_html, hot_score,"
                               " created_at, updated_at) VALUES (%s, %s, 't', 'c', 'c', 0, %s, %s)",
                               (group, owner.user_id, "2026-01-01 00:00:00", "2026-01-01 00:00:00"), "lastrowid")
            comment = yield Query("INSERT INTO comments (post_id, user_id, content, content_html, created_at)"
                                  " VALUES (%s, %s, 'c', 'c', %s)", (post, owner.user_id, "2026-01-01 00:00:00"),
                                  "lastrowid")
            docs = [("post", post, post), ("comment", comment, post), ("group", group, None), ("question", 9, 9)]
            for kind, item, thread in docs:
                yield Query("INSERT INTO search_docs (kind, item_id, thread_id, title_terms, body_terms)"
                            " VALUES (%s, %s, %s, '', 'zzold')", (kind, item, thread), "rowcount")
            return group

        group = run_sync(db, old_rows())
        monkeypatch.setattr(steps, "migrations", every)
        assert migrate(url) == ["0014_search_groups"]
        rows = run_sync(db, perform(Query("SELECT kind, group_id FROM search_docs ORDER BY kind")))
        assert [(r["kind"], r["group_id"]) for r in rows] == [("comment", group), ("group", group), ("post", group),
                                                              ("question", None)]
        match = ("SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH 'zzold'" if dialect == "sqlite" else
                 "SELECT COUNT(*) FROM search_docs WHERE MATCH (title_terms, body_terms) AGAINST ('zzold')")
        assert run_sync(db, perform(Query(match, returns="value"))) == 4
        db.close()
    finally:
        if dialect == "mysql":
            with mysql_admin_conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
