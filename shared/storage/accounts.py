"""Accounts a user can leave, take with them, and the admins' numbers (API.md §6).

``DELETE /me`` erases the personal data (email, nickname, bio, avatar, password, sessions, received
notifications) and keeps the row, so what the user wrote stays, its author shown as "deleted user"
(``shared.shapes.user_columns`` reads an erased account as no user). Tokens stop at once: the token
version moves, and open sockets hear of it. ``GET /me/export`` gathers everything the caller made and
was sent, through the same list operations the API serves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from shared import clock
from shared.auth import Viewer, verify_password
from shared.errors import Invalid, NotFound
from shared.storage import answers, comments, groups, notifications, posts, questions, roles, threads, users
from shared.storage.effects import Compute, Op, Publish, Query, Transaction, read_only
from shared.validation import NOT_YOUR_PASSWORD, Body, parse

PAGE = "100"


class DeleteMe(Body):
    password: users.AnyPassword


def delete_me(viewer: Viewer, body: Any) -> Op[None]:
    """Erase the caller's account after checking their password (wrong: 422 on ``password``).

    Read, verify with nothing held, then one short write."""
    user_id = viewer.require()
    data = parse(DeleteMe, body)
    yield Transaction(read_only=True)
    current = yield Query("SELECT password_hash FROM users WHERE id = %s AND deleted_at IS NULL", (user_id,), "value")
    if current is None:
        raise NotFound("user")
    ok, _ = yield Compute(verify_password, (current, users._normalise(data.password)))
    if not ok:
        raise Invalid.one("password", NOT_YOUR_PASSWORD)
    yield Transaction()
    yield Query("UPDATE users SET email = %s, nickname = '', bio = '', avatar_url = NULL, password_hash = '!',"
                " token_version = token_version + 1, deleted_at = %s WHERE id = %s",
                (f"deleted-{user_id}@deleted.invalid", clock.db_time(), user_id), "rowcount")
    yield Query("DELETE FROM sessions WHERE user_id = %s", (user_id,), "rowcount")
    yield Query("DELETE FROM notifications WHERE user_id = %s", (user_id,), "rowcount")
    yield Publish(user_id, close=True)         # every process forgets the old version; the sockets close


def _every(list_op: Callable[..., Op[dict[str, Any]]], *args: Any) -> Op[list[dict[str, Any]]]:
    """Every item of a paged list, page after page."""
    found: list[dict[str, Any]] = []
    query = {"limit": PAGE}
    while True:
        listed = yield from list_op(*args, query)
        found += listed["items"]
        if listed["next_cursor"] is None:
            return found
        query = {"limit": PAGE, "cursor": listed["next_cursor"]}


@read_only
def export_me(viewer: Viewer) -> Op[dict[str, Any]]:
    """``GET /me/export``: the caller's profile, groups, posts, comments, questions, answers and notifications."""
    user_id = viewer.require()
    return {
        "profile": (yield from users.get_me(viewer)),
        "groups": (yield from _every(groups.list_user_groups, viewer, user_id)),
        "posts": (yield from _every(posts.list_user_posts, viewer, user_id)),
        "comments": (yield from _every(threads.list_by_user, comments.COMMENTS, viewer, user_id)),
        "questions": (yield from _every(questions.list_user_questions, viewer, user_id)),
        "answers": (yield from _every(answers.list_user_answers, viewer, user_id)),
        "notifications": (yield from _every(notifications.list_notifications, viewer)),
    }


# What /admin/stats counts: (key, SQL); %s is the start of the last seven days where it appears.
_STATS = (
    ("users", "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL"),
    ("posts", "SELECT COUNT(*) FROM posts WHERE hidden_at IS NULL"),
    ("comments", "SELECT COUNT(*) FROM comments WHERE hidden_at IS NULL"),
    ("questions", "SELECT COUNT(*) FROM questions WHERE hidden_at IS NULL"),
    ("answers", "SELECT COUNT(*) FROM answers WHERE hidden_at IS NULL"),
    ("open_reports", "SELECT COUNT(*) FROM reports WHERE status = 'open'"),
    ("signups_7d", "SELECT COUNT(*) FROM users WHERE created_at >= %s"),
    ("posts_7d", "SELECT COUNT(*) FROM posts WHERE created_at >= %s"),
)


@read_only
def admin_stats(viewer: Viewer) -> Op[dict[str, int]]:
    """``GET /admin/stats`` (admins): users, visible content, open reports, the last 7 days."""
    yield from roles.require_site_role(viewer, frozenset({"admin"}))
    week_ago = clock.db_time(clock.now() - timedelta(days=7))
    stats: dict[str, int] = {}
    for key, sql in _STATS:
        count = yield Query(sql, (week_ago,) if "%s" in sql else (), "value")
        stats[key] = int(count or 0)
    return stats
