"""Watching posts and questions, and how much notification e-mail each user wants (API.md §9).

A watcher is told (``comment`` or ``answer``) of every new comment or answer in what they watch.
Authors watch what they write, and whoever comments or answers starts watching; anyone may stop
(``DELETE …/watch``) or start (``PUT``). The e-mail copy of a notification follows the user's
preference: ``instant`` (one message each, queued by :func:`shared.storage.notifications.notify`),
``daily`` (one digest a day, :func:`queue_digests`, run by the mail sender) or ``off``. Every such
message carries a one-click unsubscribe link (RFC 8058): a signed token naming the user, so it
needs no table and works without logging in.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any, Literal

from shared import clock, keys
from shared.auth import Viewer
from shared.errors import BadRequest, Conflict, NotFound
from shared.i18n import _l
from shared.keys import Keys
from shared.storage.effects import Op, Query, Send, Transaction
from shared.storage.notifications import VISIBLE, VISIBLE_JOINS
from shared.validation import Body, check_id, parse

TABLES = {"post": "posts", "question": "questions"}
DIGEST_ITEMS = 50
DIGEST_USERS = 100           # per pass of the sender


# -- watching ---------------------------------------------------------------------------------------

def add_watch(user_id: int, target_type: str, target_id: int) -> Op[None]:
    """Start watching (already watching is fine); a step of the operations that write posts and replies."""
    try:
        yield Query("INSERT INTO watches (user_id, target_type, target_id, created_at) VALUES (%s, %s, %s, %s)",
                    (user_id, target_type, target_id, clock.db_time()), "rowcount")
    except Conflict:
        pass


def watchers(target_type: str, target_id: int) -> Op[list[int]]:
    """Who watches a post or question (ids)."""
    rows = yield Query("SELECT user_id FROM watches WHERE target_type = %s AND target_id = %s",
                       (target_type, target_id))
    return [int(row["user_id"]) for row in rows]


def _watch(viewer: Viewer, target_type: str, target_id: int, on: bool) -> Op[None]:
    user_id = viewer.require()
    check_id(target_id, target_type)
    found = yield Query(f"SELECT 1 FROM {TABLES[target_type]} WHERE id = %s", (target_id,), "value")  # noqa: S608
    if found is None:
        raise NotFound(target_type)
    if on:
        yield from add_watch(user_id, target_type, target_id)
    else:
        yield Query("DELETE FROM watches WHERE user_id = %s AND target_type = %s AND target_id = %s",
                    (user_id, target_type, target_id), "rowcount")


def watch_post(viewer: Viewer, post_id: int) -> Op[None]:
    yield from _watch(viewer, "post", post_id, True)


def unwatch_post(viewer: Viewer, post_id: int) -> Op[None]:
    yield from _watch(viewer, "post", post_id, False)


def watch_question(viewer: Viewer, question_id: int) -> Op[None]:
    yield from _watch(viewer, "question", question_id, True)


def unwatch_question(viewer: Viewer, question_id: int) -> Op[None]:
    yield from _watch(viewer, "question", question_id, False)


def is_watching(user_id: int | None, target_type: str, target_id: int) -> Op[bool]:
    """Whether this user watches it (for the pages' button)."""
    if user_id is None:
        return False
    found = yield Query("SELECT 1 FROM watches WHERE user_id = %s AND target_type = %s AND target_id = %s",
                        (user_id, target_type, target_id), "value")
    return found is not None


# -- the e-mail preference --------------------------------------------------------------------------

EmailChoice = Literal["off", "instant", "daily"]


class Preferences(Body):
    email: EmailChoice


def get_preferences(viewer: Viewer) -> Op[dict[str, Any]]:
    yield Transaction(read_only=True)
    choice = yield Query("SELECT email_notifications FROM users WHERE id = %s", (viewer.require(),), "value")
    if choice is None:
        raise NotFound("user")
    return {"email": choice}


def set_preferences(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """``PATCH /me/preferences {email}``; a daily digest covers what comes from now on."""
    user_id = viewer.require()
    data = parse(Preferences, body)
    yield Query("UPDATE users SET email_notifications = %s,"
                " digest_through = CASE WHEN %s = 'daily' THEN COALESCE(digest_through, %s) ELSE NULL END"
                " WHERE id = %s", (data.email, data.email, clock.db_time(), user_id), "rowcount")
    return {"email": data.email}


def _unsubscribe_key(app_keys: Keys) -> bytes:
    return hmac.new(app_keys.token, b"forum unsubscribe link", hashlib.sha256).digest()


def unsubscribe_token(user_id: int, app_keys: Keys) -> str:
    """``<user id>.<signature>``: what the one-click link carries (made by the mail sender)."""
    signature = hmac.new(_unsubscribe_key(app_keys), str(user_id).encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{signature}"


def unsubscribe(viewer: Viewer, query: Any) -> Op[None]:
    """``POST /email/unsubscribe?token=`` (RFC 8058 one-click, no login): notification e-mail off."""
    token = str(query.get("token", ""))
    user_id, _, _ = token.partition(".")
    if not (user_id.isdigit() and len(token) < 64
            and hmac.compare_digest(token, unsubscribe_token(int(user_id), keys.current()))):
        raise BadRequest(_l("token: not an unsubscribe link of this forum"))
    yield Query("UPDATE users SET email_notifications = 'off', digest_through = NULL WHERE id = %s",
                (int(user_id),), "rowcount")


# -- the daily digest -------------------------------------------------------------------------------

def queue_digests() -> Op[int]:
    """Queue one digest for every user whose day has passed and who has new notifications since.

    ``digest_through`` moves forward in the same statement that checks its old value, so two passes
    at once queue one digest per user, not two."""
    now = clock.now()
    yield Transaction(read_only=True)
    due = yield Query("SELECT id, digest_through FROM users WHERE email_notifications = 'daily'"
                      " AND email_verified = 1 AND digest_through <= %s ORDER BY id LIMIT %s",
                      (clock.db_time(now - timedelta(days=1)), DIGEST_USERS))
    queued = 0
    if due:
        yield Transaction()
    for user in due:
        # what is hidden by now is left out, as from the list (shared.storage.notifications.VISIBLE)
        items = yield Query("SELECT n.kind, n.target_type, n.target_id, n.excerpt FROM notifications n"  # noqa: S608
                            + VISIBLE_JOINS + " WHERE n.user_id = %s AND n.created_at > %s AND n.created_at <= %s"
                            + VISIBLE + " ORDER BY n.id LIMIT %s",
                            (user["id"], user["digest_through"], clock.db_time(now), DIGEST_ITEMS))
        moved = yield Query("UPDATE users SET digest_through = %s WHERE id = %s AND digest_through = %s",
                            (clock.db_time(now), user["id"], user["digest_through"]), "rowcount")
        if moved and items:
            yield Send("digest", {"user_id": user["id"], "items": [dict(item) for item in items]}, user["id"])
            queued += 1
    return queued
