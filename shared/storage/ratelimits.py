"""Rate-limit counters in the database, for deployments without Redis.

One row per rule and key; a hit is one short transaction of its own (never the caller's: a failed
login rolls back, its count must stay). ``UPDATE ... SET hits = hits + 1`` takes the row's lock, so
simultaneous hits are counted one after another and each sees its own count: counted first, then
decided (RELIABILITY 40). The first hit of a key inserts the row in a transaction of its own; two
first hits racing end in a duplicate key for one of them, and both then count with the UPDATE.
"""

from __future__ import annotations

import hashlib
import time
import zlib

from shared.errors import Conflict, ForumError
from shared.storage.effects import Count, Op, Query, Transaction

SWEEP_ONE_IN = 32   # new rows that also sweep ended windows away (bounded table, no job to run)


def row_name(rule: str, key: str) -> str:
    """The row for a rule and a key: the key hashed, so any text fits the ASCII column exactly."""
    return f"{rule}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def hit(rule: str, limit: int, window: int, key: str, by: int = 1) -> Op[Count]:
    """Add ``by`` to the counter (a new window if the last one ended) and return the new count."""
    name, now = row_name(rule, key), int(time.time())
    moved = yield from _move(name, by, now, now + window)
    if not moved:
        # The key's first hit. Make the row in a transaction of its own, then count on it like
        # everyone else: an UPDATE that finds no row holds a gap lock on MySQL, and two of them
        # each inserting into the other's gap would deadlock.
        yield Transaction()
        try:
            yield Query("INSERT INTO rate_limits (name, hits, window_ends) VALUES (%s, 0, %s)",
                        (name, now + window), "rowcount")
        except Conflict:                     # another first hit made it: count on its row
            pass
        else:
            yield from _sweep(name, now)
        yield Transaction()
        yield from _move(name, by, now, now + window)
    row = yield Query("SELECT hits, window_ends FROM rate_limits WHERE name = %s", (name,), "row")
    hits, ends = (int(row["hits"]), int(row["window_ends"])) if row else (0, now + window)
    return Count(hits, limit, max(1, ends - now))


def _move(name: str, by: int, now: int, new_end: int) -> Op[int]:
    # ``hits`` is assigned first: MySQL evaluates SET left to right, so its CASE still sees the old end.
    moved: int = yield Query(
        "UPDATE rate_limits SET hits = CASE WHEN window_ends <= %s THEN %s ELSE hits + %s END,"
        " window_ends = CASE WHEN window_ends <= %s THEN %s ELSE window_ends END WHERE name = %s",
        (now, max(by, 0), by, now, new_end, name), "rowcount")
    return moved


def _sweep(name: str, now: int) -> Op[None]:
    """Now and then, after a new row, delete the windows that have ended (best effort: a sweep that
    meets a lock is simply skipped), so the table stays small with no job to run."""
    if zlib.crc32(name.encode()) % SWEEP_ONE_IN:
        return
    try:
        yield Query("DELETE FROM rate_limits WHERE window_ends < %s", (now,), "rowcount")
    except ForumError:
        return


def reset(rule: str, key: str) -> Op[None]:
    """Forget a counter."""
    yield Query("DELETE FROM rate_limits WHERE name = %s", (row_name(rule, key),), "rowcount")
