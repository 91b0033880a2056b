"""One notion of time: naive UTC datetimes in the database, ISO 8601 with ``Z`` on the wire."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current UTC time to the second, naive (what both databases store)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def db_time(moment: datetime | None = None) -> str:
    """A time as a bound parameter: ``YYYY-MM-DD HH:MM:SS``, which MySQL and SQLite both sort and parse."""
    return (moment or now()).strftime("%Y-%m-%d %H:%M:%S")


def parse(value: datetime | str) -> datetime:
    """A stored time back to a naive UTC datetime (MySQL gives datetimes, SQLite gives strings)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(value)


def iso(value: datetime | str | None) -> str | None:
    """The wire form: ``2026-11-24T09:51:25Z``."""
    if value is None:
        return None
    return parse(value).strftime("%Y-%m-%dT%H:%M:%SZ")
