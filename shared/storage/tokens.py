"""One-time e-mail tokens: the links that verify an address or reset a password.

A token is 32 random bytes (``secrets``), given to the user once, inside the e-mail; the table keeps
only its SHA-256, so a copy of the database opens no account (RELIABILITY 48). Issuing a token ends
every older one of the same purpose for that user, using one deletes it, and each has an end.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from shared import clock
from shared.emails import RESET_HOURS, VERIFY_HOURS
from shared.errors import Conflict, Invalid
from shared.i18n import _l
from shared.ratelimit import throttle
from shared.storage.effects import Op, Query, Send, Transaction
from shared.validation import TAKEN

LIFETIMES = {"verify": timedelta(hours=VERIFY_HOURS), "reset": timedelta(hours=RESET_HOURS)}
MAX_TOKEN_CHARS = 128


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user_id: int, purpose: str, email: str) -> Op[str]:
    """A new token for ``user_id`` (sent to ``email``); every older one of this purpose stops working."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    yield Query("DELETE FROM email_tokens WHERE user_id = %s AND purpose = %s", (user_id, purpose), "rowcount")
    yield Query("INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (token_hash(token), user_id, purpose, email, clock.db_time(now),
                 clock.db_time(now + LIFETIMES[purpose])), "rowcount")
    return token


def send_verification(user_id: int, username: str, email: str) -> Op[None]:
    """Queue the link that verifies ``email`` for this user (in the caller's transaction)."""
    token = yield from issue(user_id, "verify", email)
    yield Send("verify", {"username": username, "token": token}, user_id, to=email)


def _refused() -> Invalid:
    return Invalid.one("token", _l("not valid: it was used, has expired or was replaced by a newer one"))


def peek(token: str, purpose: str) -> Op[dict[str, Any]]:
    """The live token's row (user_id, email) without using it; a 422 on ``token`` when there is none."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise _refused()
    row = yield Query("SELECT user_id, email FROM email_tokens WHERE token_hash = %s AND purpose = %s"
                      " AND expires_at > %s", (token_hash(token), purpose, clock.db_time()), "row")
    if row is None:
        raise _refused()
    return dict(row)


def take(token: str, purpose: str) -> Op[dict[str, Any]]:
    """Use a token: its row, deleted in the caller's transaction (of two at once, one gets it)."""
    row = yield from peek(token, purpose)
    deleted = yield Query("DELETE FROM email_tokens WHERE token_hash = %s", (token_hash(token),), "rowcount")
    if not deleted:
        raise _refused()
    return row


def change_email(user_id: int, email: str) -> Op[None]:
    """``PATCH /me {email}``: the new address waits in ``pending_email`` until its link is opened;
    the old one stays the account's address until then. Asking for one's current address cancels
    a pending change. Counted against the user's verification e-mails (429 past the limit)."""
    yield from throttle("verification", str(user_id))
    yield Transaction()
    row = yield Query("SELECT username, email FROM users WHERE id = %s", (user_id,), "row")
    if row is None:
        return
    if row["email"].lower() == email.lower():
        yield Query("UPDATE users SET pending_email = NULL WHERE id = %s", (user_id,), "rowcount")
        yield Query("DELETE FROM email_tokens WHERE user_id = %s AND purpose = 'verify' AND email <> %s",
                    (user_id, row["email"]), "rowcount")
        return
    taken = yield Query("SELECT 1 FROM users WHERE email = %s AND id <> %s", (email, user_id), "value")
    if taken:
        raise Conflict(TAKEN["email"])
    yield Query("UPDATE users SET pending_email = %s WHERE id = %s", (email, user_id), "rowcount")
    yield from send_verification(user_id, row["username"], email)
