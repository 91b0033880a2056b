"""``forum migrate``: apply the schema steps in shared/storage/schema/<dialect>/NNNN_name.sql, once each.

Each applied step is recorded in ``schema_migrations``, so running it again is a no-op, and a
database whose schema is older than the code is refused at start (:func:`check_schema`). A step and
its record are one transaction: on SQLite DDL is transactional, so a failed step leaves nothing
behind; on MySQL DDL commits as it goes, so a failed step must be finished by hand (the error says which).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pymysql

from shared import clock
from shared.config import Settings
from shared.storage.drivers import open_sync
from shared.storage.drivers.common import SchemaError, mysql_connect_args, parse_database_url
from shared.storage.effects import Op, Query, read_only

log = logging.getLogger("forum.migrate")

SCHEMA_DIR = Path(__file__).parent / "schema"
_STEP = re.compile(r"^(\d{4})_\w+\.sql$")

CREATE_LEDGER = ("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version VARCHAR(64) NOT NULL PRIMARY KEY, applied_at DATETIME NOT NULL)")
LEDGER_EXISTS = {
    "mysql": "SELECT COUNT(*) FROM information_schema.tables "
             "WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
    "sqlite": "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
}


def migrations(dialect: str) -> list[Path]:
    """The step files, in order."""
    return sorted(p for p in (SCHEMA_DIR / dialect).iterdir() if _STEP.match(p.name))


def statements(path: Path) -> list[str]:
    """A step file's statements: ``--`` comments dropped, split on the ``;`` that ends a line."""
    text = "\n".join(line.split("--", 1)[0] for line in path.read_text().splitlines())
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if s.strip()]


@read_only
def pending_migrations(dialect: str) -> Op[list[str]]:
    """The versions (file stems) not yet applied, oldest first."""
    applied: set[str] = set()
    if (yield Query(LEDGER_EXISTS[dialect], returns="value")):
        rows = yield Query("SELECT version FROM schema_migrations")
        applied = {row["version"] for row in rows}
    return [p.stem for p in migrations(dialect) if p.stem not in applied]


def _create_ledger() -> Op[None]:
    yield Query(CREATE_LEDGER, returns="rowcount")


def _apply(path: Path) -> Op[None]:
    for sql in statements(path):
        yield Query(sql, returns="rowcount")
    yield Query("INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                (path.stem, clock.db_time()), "rowcount")


def migrate(url: str, settings: Settings | None = None) -> list[str]:
    """Create the database if needed, apply what is pending; returns the versions applied."""
    from shared.storage.runners import run_sync

    settings = Settings(database_url=url, secret="x" * 32) if settings is None else settings
    target = parse_database_url(url)
    if target.dialect == "mysql":
        _create_mysql_database(settings)
    else:
        Path(target.path).parent.mkdir(parents=True, exist_ok=True)
    db = open_sync(settings)
    try:
        run_sync(db, _create_ledger())
        done = []
        for version in run_sync(db, pending_migrations(db.dialect)):
            path = SCHEMA_DIR / db.dialect / f"{version}.sql"
            log.info("applying %s", path.name)
            try:
                run_sync(db, _apply(path))
            except Exception as exc:
                raise SchemaError(f"migration {path.name} failed: {exc}") from exc
            done.append(version)
        return done
    finally:
        db.close()


_IDENTIFIER = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


def _create_mysql_database(settings: Settings) -> None:
    """``CREATE DATABASE`` takes a name, not a parameter: the name is checked against a strict pattern."""
    url = parse_database_url(settings.database_url)
    if not _IDENTIFIER.match(url.database):
        raise SchemaError(f"database name {url.database!r}: use letters, digits and underscores only")
    args = mysql_connect_args(url, settings)
    args.pop("db")
    with pymysql.connect(**args) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{url.database}` "  # noqa: S608 - checked name
                       "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
