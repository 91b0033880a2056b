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
        return value if value.tzinfo is None else value.replace(tzinfo=None)
    return datetime.fromisoformat(value)


def iso(value: datetime | str | None) -> str | None:
    """The wire form: ``2026-11-24T09:51:25Z``.

    Every time of every item of every page goes through here: ``isoformat`` gives the same text as the
    ``strftime`` below at a quarter of its cost (a naive time; glibc's ``%Y`` does not pad years < 1000)."""
    if value is None:
        return None
    moment = parse(value)
    if moment.tzinfo is None and moment.year >= 1000:
        return moment.isoformat(timespec="seconds") + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
