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
