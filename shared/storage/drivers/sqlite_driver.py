"""SQLite for the Flask app: sqlite3 connections, one per borrower, in a thread-safe pool."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.config import Settings
from shared.storage.drivers.common import SQLITE, DatabaseUrl, SchemaError, sqlite_pragmas
from shared.storage.drivers.database import BlockingDatabase
from shared.storage.drivers.pools import SyncPool


def open_sqlite(settings: Settings, url: DatabaseUrl) -> BlockingDatabase:
    path = check_sqlite_path(url)
    pragmas = sqlite_pragmas(settings)

    def connect() -> sqlite3.Connection:
        # isolation_level=None: we write BEGIN / BEGIN IMMEDIATE ourselves. check_same_thread=False is
        # safe only because the pool lends each connection to one thread at a time.
        conn = sqlite3.connect(path, timeout=settings.sqlite_busy_timeout, isolation_level=None,
                               check_same_thread=False)
        for pragma in pragmas:
            conn.execute(pragma)
        return conn

    pool = SyncPool(connect, sqlite3.Connection.close, size=settings.pool_size, timeout=settings.pool_timeout)
    return BlockingDatabase(SQLITE, pool, writer_wait=settings.sqlite_busy_timeout)


def check_sqlite_path(url: DatabaseUrl) -> str:
    """Only ``forum migrate`` creates the file's folder; serving a missing one fails with a clear line."""
    if not Path(url.path).parent.is_dir():
        raise SchemaError(f"no folder for the SQLite database {url.path!r}: run `forum migrate` to create it")
    return url.path
