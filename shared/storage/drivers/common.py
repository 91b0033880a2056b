"""What the six adapters share: reading the URL, the two SQL dialects, shaping results, mapping errors.

A driver error becomes a domain error here and nowhere else: a duplicate key is a
:class:`~shared.errors.Conflict` (409) the operation may catch; a lost, refused or timed-out
connection, a deadlock or a lock wait is :class:`~shared.errors.Unavailable` (503 with Retry-After); a
bounded statement the server stopped is :class:`~shared.errors.TimedOut`, thrown into the operation.
Each mapping also says whether the connection is still fit to go back to the pool.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pymysql.converters

from shared.config import ConfigError
from shared.errors import Conflict, ForumError, TimedOut, Unavailable
from shared.i18n import _l
from shared.storage.effects import Query

log = logging.getLogger("forum.storage")


class SchemaError(ConfigError):
    """The database is missing, or its schema is missing or older than the code: stops start-up."""


@dataclass(frozen=True)
class DatabaseUrl:
    """``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``mysql://user:pass@host:port/db``."""

    dialect: str                 # 'mysql' | 'sqlite'
    path: str = ""               # sqlite file
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str = ""
    database: str = ""


def parse_database_url(url: str) -> DatabaseUrl:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.path[1:]    # drop the slash that separates the (empty) host from the path
        if not path:
            raise ConfigError(f"database URL {url!r}: expected sqlite:///path/to/file.sqlite3")
        return DatabaseUrl("sqlite", path=path)
    if parts.scheme in ("mysql", "mariadb", "mysql+pymysql"):
        database = parts.path.lstrip("/")
        if not database:
            raise ConfigError(f"database URL {url!r}: expected mysql://user:password@host:port/dbname")
        return DatabaseUrl("mysql", host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                           user=unquote(parts.username or "root"), password=unquote(parts.password or ""),
                           database=unquote(database))
    raise ConfigError(f"database URL {url!r}: the scheme must be sqlite:// or mysql://")


# --- results -------------------------------------------------------------------------------------

def wants_rows(query: Query) -> bool:
    return not query.many and query.returns in ("rows", "row", "value")


def shape(query: Query, description: Any, rows: Sequence[Sequence[Any]], rowcount: int, lastrowid: Any) -> Any:
    """What the operation is sent back, the same for every driver."""
    if query.many or query.returns == "rowcount":
        return rowcount
    if query.returns == "lastrowid":
        return lastrowid
    if query.returns == "value":
        return rows[0][0] if rows else None
    columns = [d[0] for d in description or ()]
    if query.returns == "row":
        return dict(zip(columns, rows[0], strict=True)) if rows else None
    return [dict(zip(columns, row, strict=True)) for row in rows]


# --- the two dialects ----------------------------------------------------------------------------

# MySQL error numbers (https://mariadb.com/kb/en/mariadb-error-codes/).
_MYSQL_CONFLICT = {1062, 1451, 1452, 1557, 1586}          # duplicate key, FK parent/child missing
_MYSQL_CONTENTION = {1205, 1213}                          # lock wait timeout, deadlock
_MYSQL_GONE = {1040, 1053, 1077, 1152, 1153, 1158, 1159, 1160, 1161, 1927, 2002, 2003, 2006,
               2013, 2014, 2055, 4031}                    # refused, too many, lost, killed, timed out
# A statement stopped at its time bound: MariaDB's ER_STATEMENT_TIMEOUT, MySQL's ER_QUERY_TIMEOUT. For a
# bounded statement also how the stop may surface from deeper down (otherwise a KILL QUERY said it):
# ER_QUERY_INTERRUPTED, ER_FILSORT_ABORT (stopped while sorting) and 188, InnoDB's HA_ERR_ABORTED_BY_USER,
# which MariaDB 10.11 passes on as it is when a FULLTEXT search is stopped while it starts.
_MYSQL_TIMED_OUT = {1969, 3024}
_MYSQL_INTERRUPTED = {188, 1028, 1317}


@dataclass(frozen=True)
class Dialect:
    """The SQL and the error numbers of one database; the sync and the async adapter share it.

    ``errors``: where a MySQL driver keeps its DB-API exception classes (``IntegrityError``,
    ``OperationalError``, ``InterfaceError``): PyMySQL's, which aiomysql raises too, asyncmy's or
    MySQLdb's (mysqlclient). The error numbers are the server's, the same whichever driver reports them.
    """

    name: str
    errors: Any = field(default=pymysql.err, compare=False, repr=False)
    server: str = ""     # 'mariadb' | 'mysql', read from VERSION() when the pool is made ('' on SQLite)

    def sql(self, sql: str) -> str:
        return _qmark(sql) if self.name == "sqlite" else sql

    def statement(self, query: Query, bound: float) -> str:
        """The SQL to send: ``%s`` as the driver wants it, and a bounded SELECT wrapped so the server
        stops it after ``bound`` seconds (0: no bound; SQLite: none, its search bounds itself)."""
        if not (query.bounded and bound > 0) or self.name != "mysql":
            return self.sql(query.sql)
        if self.server == "mysql":   # MySQL >= 5.7.8: an optimizer hint on the SELECT, in milliseconds
            head, select, rest = query.sql.partition("SELECT ")
            return f"{head}{select}/*+ MAX_EXECUTION_TIME({max(1, round(bound * 1000))}) */ {rest}"
        return f"SET STATEMENT max_statement_time = {bound:.6f} FOR {query.sql}"   # MariaDB >= 10.1

    def for_server(self, version: str) -> Dialect:
        """This dialect once the server's ``VERSION()`` is known (MariaDB's says so)."""
        return replace(self, server="mariadb" if "mariadb" in version.lower() else "mysql")

    @property
    def begin(self) -> str:
        """What opens a writing transaction (readers open none: see ``database.py``)."""
        if self.name == "mysql":
            return "START TRANSACTION"
        # A writer takes the write lock up front, so it queues on the busy timeout instead of failing
        # with SQLITE_BUSY when a read lock cannot be upgraded; readers never wait in WAL mode.
        return "BEGIN IMMEDIATE"

    def classify(self, exc: BaseException, bounded: bool = False) -> tuple[ForumError | None, bool]:
        """The domain error for a driver error (None: not ours, re-raise it) and whether the
        connection must be thrown away (``bounded``: the statement had a time bound)."""
        if isinstance(exc, ForumError):
            return exc, False
        if isinstance(exc, OSError):  # refused, reset, timed out (TimeoutError is an OSError)
            return Unavailable(_l("The database did not answer in time; try again shortly.")), True
        if self.name == "mysql":
            return _classify_mysql(exc, self.errors, bounded)
        return _classify_sqlite(exc)


@functools.lru_cache(maxsize=4096)
def _qmark(sql: str) -> str:
    """Operations write ``%s``; sqlite3 wants ``?`` (and a literal ``%%`` is ``%``)."""
    return sql.replace("%s", "?").replace("%%", "%")


MYSQL = Dialect("mysql")
SQLITE = Dialect("sqlite")


def _classify_mysql(exc: BaseException, errors: Any, bounded: bool = False) -> tuple[ForumError | None, bool]:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code in _MYSQL_TIMED_OUT or (bounded and code in _MYSQL_INTERRUPTED):
        return TimedOut(), False      # the server stopped the statement; the session is fine
    if isinstance(exc, errors.IntegrityError) and code in _MYSQL_CONFLICT:
        return Conflict(_l("This conflicts with existing data.")), False
    if code in _MYSQL_CONTENTION:
        log.warning("database contention, answering 503: %s", exc)
        return Unavailable(_l("The database is busy; try again shortly.")), False
    lost = code in _MYSQL_GONE or (code == 0 and isinstance(exc, errors.OperationalError))
    if lost or isinstance(exc, errors.InterfaceError):
        log.warning("database connection failed: %s", exc)
        return Unavailable(), True
    return None, False


def _classify_sqlite(exc: BaseException) -> tuple[ForumError | None, bool]:
    message = str(exc)
    if isinstance(exc, sqlite3.IntegrityError) and (
            "UNIQUE" in message or "FOREIGN KEY" in message or "PRIMARY KEY" in message):
        return Conflict(_l("This conflicts with existing data.")), False
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        log.warning("SQLite stayed busy past the busy timeout, answering 503: %s", exc)
        return Unavailable(_l("The database is busy; try again shortly.")), False
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in message:
        return Unavailable(), True
    return None, False


def mysql_connect_args(url: DatabaseUrl, settings: Any) -> dict[str, Any]:
    """Keyword arguments all four MySQL drivers accept, so every session starts the same way."""
    # A row lock waited for longer than the read timeout would cost the connection; waiting a little
    # less gives error 1205 (a 503) and keeps it.
    lock_wait = max(1, int(settings.read_timeout) - 2)
    init = f"SET SESSION sql_safe_updates = 1, time_zone = '+00:00', innodb_lock_wait_timeout = {lock_wait}"
    session_wait_timeout = settings.extra.get("mysql_wait_timeout")
    if session_wait_timeout:
        init += f", wait_timeout = {int(session_wait_timeout)}"
    return {
        "host": url.host, "port": url.port, "user": url.user, "password": url.password, "db": url.database,
        # autocommit: a read-only operation is just its SELECTs; writers send START TRANSACTION
        "charset": "utf8mb4", "autocommit": True, "init_command": init,
        # rowcount = rows matched, as on SQLite, so "UPDATE ... WHERE id = %s" -> 0 means "no such row"
        "client_flag": pymysql.constants.CLIENT.FOUND_ROWS,
        "connect_timeout": settings.connect_timeout,
    }


def _datetime(text: str | bytes) -> Any:
    """A DATETIME column's text as PyMySQL's ``convert_datetime`` reads it, ten times faster in the
    usual shape (``YYYY-MM-DD HH:MM:SS``, as every time here is stored): a page of posts has three a row."""
    if type(text) is str and len(text) == 19 and text[10] == " ":
        try:
            return datetime.fromisoformat(text)
        except ValueError:    # a zero date: PyMySQL gives the text back
            pass
    return pymysql.converters.convert_datetime(text)


# The converters PyMySQL and aiomysql decode results with (``conv=``): theirs, but for DATETIME.
PYMYSQL_CONVERSIONS = {**pymysql.converters.conversions,
                       pymysql.constants.FIELD_TYPE.DATETIME: _datetime,
                       pymysql.constants.FIELD_TYPE.TIMESTAMP: _datetime}


def recycle_after(settings: Any, wait_timeout: int | None) -> float:
    """Connections idle longer than this are replaced, safely below the server's ``wait_timeout``."""
    if wait_timeout is None:
        return float(settings.pool_recycle)
    return float(max(1, min(settings.pool_recycle, wait_timeout - 2)))


def mysql_missing_database(exc: BaseException, url: DatabaseUrl) -> SchemaError | None:
    """Unknown database (1049) at start: the operator should run ``forum migrate``."""
    if exc.args and exc.args[0] == 1049:
        return SchemaError(f"database {url.database!r} does not exist on {url.host}:{url.port}: "
                           "run `forum migrate` to create it")
    return None


# WAL: readers never block the writer; synchronous=NORMAL is safe in WAL and much faster than FULL.
SQLITE_PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL")


def sqlite_pragmas(settings: Any) -> tuple[str, ...]:
    busy_ms = int(settings.sqlite_busy_timeout * 1000)
    return (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout = {busy_ms}")
