"""How users appear inside other resources, once: the SQL that fetches a summary and its JSON form.

A list of posts, comments or notifications fetches its authors in the same query with a JOIN and
aliased columns, so a page never costs one query per row:

    sql = f"SELECT p.*, {user_columns('u', 'author_')} FROM posts p JOIN users u ON u.id = p.user_id ..."
    ... user_summary(row, "author_")

``user_columns`` only ever formats identifiers the code itself passes (never user input), and
checks that they are identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.clock import iso

SUMMARY_FIELDS = ("id", "username", "nickname", "avatar_url")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def user_columns(alias: str, prefix: str) -> str:
    """``u.id AS author_id, u.username AS author_username, ...`` for a JOINed users table."""
    if not _IDENTIFIER.match(alias) or not (prefix == "" or _IDENTIFIER.match(prefix)):
        raise ValueError(f"not an SQL identifier: {alias!r} / {prefix!r}")
    return ", ".join(f"{alias}.{name} AS {prefix}{name}" for name in SUMMARY_FIELDS)


AUTHOR_COLUMNS = user_columns("u", "author_")
"""The usual case: the author of a row, from ``JOIN users u``, read back with ``user_summary(row, "author_")``."""


def user_summary(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """``{id, username, nickname, avatar_url}`` from (aliased) columns; None when a LEFT JOIN found nobody."""
    if row[prefix + "id"] is None:
        return None
    return {name: row[prefix + name] for name in SUMMARY_FIELDS}


def user_public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The User resource anyone may see (no email)."""
    return {
        "id": row["id"],
        "username": row["username"],
        "nickname": row["nickname"],
        "bio": row["bio"],
        "avatar_url": row["avatar_url"],
        "created_at": iso(row["created_at"]),
    }


def user_private(row: Mapping[str, Any]) -> dict[str, Any]:
    """The User resource its owner sees on ``/me``: with email."""
    return {**user_public(row), "email": row["email"]}
