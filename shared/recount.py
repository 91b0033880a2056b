"""``forum recount``: rebuild every stored counter from the rows it counts.

Counters normally move with ``SET n = n + 1`` in the same transaction as their row, so they are
only wrong after a bug or a hand edit. Recount finds the rows whose counter disagrees with a
``COUNT(*)`` of its children and fixes just those, by id, in batches: short transactions, and a
correct database costs one read per counter. (A single ``UPDATE t SET n = (SELECT COUNT(*) ...)`` would
be shorter, but MySQL refuses it when a table counts its own rows, as replies do: error 1093.)
Posts and questions whose counts moved get a fresh hot score too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shared import clock
from shared.config import Settings
from shared.ranking import hot_score
from shared.storage.drivers import BlockingDatabase, check_schema, open_sync
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_sync

log = logging.getLogger("forum.recount")

BATCH = 1000


@dataclass(frozen=True)
class Counter:
    """``table.column`` counts the rows of ``child`` whose ``key`` is the table's id."""

    table: str
    column: str
    child: str
    key: str

    def mismatches(self) -> str:
        return (f"SELECT t.id, COUNT(c.{self.key}) AS n FROM {self.table} t "  # noqa: S608 - names from COUNTERS
                f"LEFT JOIN {self.child} c ON c.{self.key} = t.id "
                f"GROUP BY t.id, t.{self.column} HAVING COUNT(c.{self.key}) <> t.{self.column}")

    def fix(self) -> str:
        return f"UPDATE {self.table} SET {self.column} = %s WHERE id = %s"  # noqa: S608 - names from COUNTERS


COUNTERS = (
    Counter("forum_groups", "member_count", "memberships", "group_id"),
    Counter("forum_groups", "post_count", "posts", "group_id"),
    Counter("posts", "comment_count", "comments", "post_id"),
    Counter("posts", "like_count", "post_likes", "post_id"),
    Counter("comments", "reply_count", "comments", "parent_id"),
    Counter("comments", "like_count", "comment_likes", "comment_id"),
    Counter("questions", "answer_count", "answers", "question_id"),
    Counter("answers", "reply_count", "answers", "parent_id"),
    Counter("answers", "like_count", "answer_likes", "answer_id"),
)

# The hot score of a post or question, from the counts now stored.
HOT_INPUTS = {
    "posts": "SELECT id, like_count AS likes, comment_count AS replies, created_at FROM posts WHERE id IN ({})",
    "questions": "SELECT id, 0 AS likes, answer_count AS replies, created_at FROM questions WHERE id IN ({})",
}


@read_only
def _read(sql: str) -> Op[list[dict[str, Any]]]:
    return (yield Query(sql))


def _update_many(sql: str, rows: list[tuple[Any, ...]]) -> Op[int]:
    return (yield Query(sql, rows, "rowcount", many=True))


def _refresh_hot(table: str, ids: list[int]) -> Op[None]:
    placeholders = ", ".join(["%s"] * len(ids))
    rows = yield Query(HOT_INPUTS[table].format(placeholders), tuple(ids))
    scores = [(hot_score(int(r["likes"]), int(r["replies"]), clock.parse(r["created_at"])), r["id"]) for r in rows]
    yield Query(f"UPDATE {table} SET hot_score = %s WHERE id = %s", scores, "rowcount", many=True)  # noqa: S608


def recount(db: BlockingDatabase) -> dict[str, int]:
    """Fix every wrong counter; returns how many rows each ``table.column`` had wrong."""
    fixed: dict[str, int] = {}
    moved: dict[str, set[int]] = {table: set() for table in HOT_INPUTS}
    for counter in COUNTERS:
        wrong = [(int(row["n"]), int(row["id"])) for row in run_sync(db, _read(counter.mismatches()))]
        for start in range(0, len(wrong), BATCH):
            run_sync(db, _update_many(counter.fix(), wrong[start:start + BATCH]))
        fixed[f"{counter.table}.{counter.column}"] = len(wrong)
        moved.get(counter.table, set()).update(row_id for _, row_id in wrong)
    for table, ids in moved.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            run_sync(db, _refresh_hot(table, ordered[start:start + BATCH]))
    return fixed


def recount_command(settings: Settings) -> int:
    """``forum recount``: prints what it fixed."""
    db = open_sync(settings)
    try:
        check_schema(db)
        fixed = recount(db)
    finally:
        db.close()
    wrong = {name: n for name, n in fixed.items() if n}
    print("every counter was right" if not wrong else
          "fixed " + ", ".join(f"{name} on {n} row(s)" for name, n in wrong.items()))
    return 0
