"""The statements ``forum seed`` drives: one multi-row INSERT per table, and what it asks first.

Bulk seeding plans every row in Python (:mod:`shared.cli.seed`), so each counter and hot score is
known before its row is written; here the planned rows go in, one batch per transaction, with
explicit ids so children can name their parents. The demo forum goes through the ordinary
operations instead, as a user of the API would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.storage.effects import Op, Query, read_only

# table -> the INSERT of one planned row (the driver's executemany sends a batch as one statement)
INSERTS = {
    "users": "INSERT INTO users (id, username, email, password_hash, nickname, created_at) "
             "VALUES (%s, %s, %s, %s, %s, %s)",
    "forum_groups": "INSERT INTO forum_groups (id, name, category, description, join_policy, owner_id,"
                    " member_count, post_count, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "memberships": "INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, %s, %s)",
    "posts": "INSERT INTO posts (id, group_id, user_id, title, content, content_html, comment_count, hot_score,"
             " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "comments": "INSERT INTO comments (id, post_id, user_id, parent_id, reply_to_user_id, content, content_html,"
                " reply_count, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "questions": "INSERT INTO questions (id, user_id, title, content, content_html, category, hot_score,"
                 " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
}
WITH_IDS = ("users", "forum_groups", "posts", "comments", "questions")   # the tables whose ids we choose


@read_only
def next_ids() -> Op[dict[str, int]]:
    """The first free id of each table in :data:`WITH_IDS`."""
    first = {}
    for table in WITH_IDS:
        last = yield Query(f"SELECT COALESCE(MAX(id), 0) FROM {table}", returns="value")  # noqa: S608 - fixed names
        first[table] = int(last) + 1
    return first


def insert_rows(table: str, rows: Sequence[tuple[Any, ...]]) -> Op[int]:
    """One batch of planned rows into ``table``, in one transaction; returns how many went in."""
    return (yield Query(INSERTS[table], list(rows), "rowcount", many=True))


@read_only
def user_exists(username: str) -> Op[bool]:
    """Whether ``username`` is taken (the demo seeds itself only once)."""
    return (yield Query("SELECT id FROM users WHERE username = %s", (username,), "value")) is not None
