"""Every stored counter against the rows it counts: the statements ``forum recount`` drives.

Posts, comments and answers a moderator hid are not counted (``hidden_at`` set): hiding moves the
counters as a delete would, and restoring moves them back.

Counters normally move with ``SET n = n + 1`` in the same transaction as their row, so they are
only wrong after a bug or a hand edit. :func:`wrong_counts` finds the rows whose counter disagrees
with a ``COUNT(*)`` of its children and :func:`fix_counts` sets just those, by id: a correct
database costs one read per counter. (A single ``UPDATE t SET n = (SELECT COUNT(*) ...)`` would be
shorter, but MySQL refuses it when a table counts its own rows, as replies do: error 1093.) Posts
and questions whose counts moved get a fresh hot score from :func:`refresh_hot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared import clock
from shared.ranking import hot_score
from shared.storage.effects import Op, Query, read_only


@dataclass(frozen=True)
class Counter:
    """``table.column`` counts the rows of ``child`` whose ``key`` is the table's id."""

    table: str
    column: str
    child: str
    key: str
    visible_only: bool = False     # hidden children (hidden_at set) are out of the count
    sums: str | None = None        # the sum of this column of the children (votes), not their number

    @property
    def measure(self) -> str:
        return f"COALESCE(SUM(c.{self.sums}), 0)" if self.sums else f"COUNT(c.{self.key})"

    @property
    def join_condition(self) -> str:
        return f"c.{self.key} = t.id" + (" AND c.hidden_at IS NULL" if self.visible_only else "")

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


COUNTERS = (
    Counter("forum_groups", "member_count", "memberships", "group_id"),
    Counter("forum_groups", "post_count", "posts", "group_id", visible_only=True),
    Counter("posts", "comment_count", "comments", "post_id", visible_only=True),
    Counter("posts", "like_count", "post_likes", "post_id"),
    Counter("comments", "reply_count", "comments", "parent_id", visible_only=True),
    Counter("comments", "like_count", "comment_likes", "comment_id"),
    Counter("questions", "answer_count", "answers", "question_id", visible_only=True),
    Counter("answers", "reply_count", "answers", "parent_id", visible_only=True),
    Counter("answers", "like_count", "answer_likes", "answer_id"),
    Counter("answers", "score", "answer_votes", "answer_id", sums="value"),
)

# The hot score of a post or question, from the counts now stored.
HOT_INPUTS = {
    "posts": "SELECT id, like_count AS likes, comment_count AS replies, created_at FROM posts WHERE id IN ({})",
    "questions": "SELECT id, 0 AS likes, answer_count AS replies, created_at FROM questions WHERE id IN ({})",
}


@read_only
def wrong_counts(counter: Counter) -> Op[list[tuple[int, int]]]:
    """``(right count, id)`` of every row whose ``counter`` is wrong (the order :func:`fix_counts` takes)."""
    rows = yield Query(
        f"SELECT t.id, {counter.measure} AS n FROM {counter.table} t "  # noqa: S608 - names from COUNTERS
        f"LEFT JOIN {counter.child} c ON {counter.join_condition} "
        f"GROUP BY t.id, t.{counter.column} HAVING {counter.measure} <> t.{counter.column}")
    return [(int(row["n"]), int(row["id"])) for row in rows]


def fix_counts(counter: Counter, rows: Sequence[tuple[int, int]]) -> Op[int]:
    """Set each ``(count, id)`` pair, in one transaction; returns the rows changed."""
    sql = f"UPDATE {counter.table} SET {counter.column} = %s WHERE id = %s"  # noqa: S608 - names from COUNTERS
    return (yield Query(sql, list(rows), "rowcount", many=True))


def refresh_hot(table: str, ids: Sequence[int]) -> Op[None]:
    """Recompute the hot score of these posts or questions (``table``) from their stored counts."""
    placeholders = ", ".join(["%s"] * len(ids))
    rows: list[dict[str, Any]] = yield Query(HOT_INPUTS[table].format(placeholders), tuple(ids))
    scores = [(hot_score(int(r["likes"]), int(r["replies"]), clock.parse(r["created_at"])), r["id"]) for r in rows]
    yield Query(f"UPDATE {table} SET hot_score = %s WHERE id = %s", scores, "rowcount", many=True)  # noqa: S608
