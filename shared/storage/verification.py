"""Verified addresses and password resets (API.md §9): the operations behind the e-mailed links.

Every link is a one-time token (:mod:`shared.storage.tokens`) and every message goes through the
outbox (a ``Send`` in the same transaction), so nothing is sent for a change that did not commit.

A password-reset request answers the same ``202`` with the same body whether or not the address
belongs to an account (RELIABILITY 48): both paths count the same rate limits, then read the
address inside a write transaction (so on SQLite both queue for the same lock); only a known
address adds one short write (the token and the queued message). No SMTP happens in the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from shared.auth import Viewer, hash_password
from shared.errors import Conflict
from shared.ratelimit import account_key, throttle
from shared.storage import tokens
from shared.storage.effects import Compute, Op, Publish, Query, Send, Transaction
from shared.storage.sessions import start_session
from shared.storage.users import Email, Password, _normalise, _refuse_common
from shared.validation import TAKEN, Body, parse

ACCEPTED = {"status": "accepted"}
TokenText = Annotated[str, StringConstraints(min_length=1, max_length=tokens.MAX_TOKEN_CHARS)]


class VerifyEmail(Body):
    token: TokenText


class PasswordResetRequest(Body):
    email: Email


class PasswordReset(Body):
    token: TokenText
    new_password: Password


def verify_email(viewer: Viewer, body: Any) -> Op[None]:
    """``POST /auth/verify-email {token}``: the address the token was sent to becomes the account's, verified.

    For a changed address that is the moment the old one is replaced; one taken meanwhile by
    another account is a 409 (and the token stays unused)."""
    data = parse(VerifyEmail, body)
    yield Transaction()
    row = yield from tokens.take(data.token, "verify")
    try:
        yield Query("UPDATE users SET email = %s, email_verified = 1,"
                    " pending_email = CASE WHEN pending_email = %s THEN NULL ELSE pending_email END WHERE id = %s",
                    (row["email"], row["email"], row["user_id"]), "rowcount")
    except Conflict:
        raise Conflict(TAKEN["email"]) from None


def resend_verification(viewer: Viewer) -> Op[dict[str, str]]:
    """``POST /auth/resend-verification``: a new link for the address waiting to be verified (202).

    That is the pending new address if there is one, else the account's own unless it is verified
    already (then nothing is sent). The route's throttle counts these per user."""
    user_id = viewer.require()
    yield Transaction()
    row = yield Query("SELECT username, email, email_verified, pending_email FROM users WHERE id = %s",
                      (user_id,), "row")
    address = row and (row["pending_email"] or (None if row["email_verified"] else row["email"]))
    if address:
        yield from tokens.send_verification(user_id, row["username"], address)
    return ACCEPTED


def request_password_reset(viewer: Viewer, body: Any) -> Op[dict[str, str]]:
    """``POST /auth/password-reset {email}``: 202, the same for every address; a link if it is an account's.

    Counted per address typed (this rule) and per client (the route's throttle), known or not."""
    data = parse(PasswordResetRequest, body)
    yield from throttle("password-reset", account_key(data.email))
    yield Transaction()
    row = yield Query("SELECT id, username, email FROM users WHERE email = %s", (data.email,), "row")
    if row is not None:
        token = yield from tokens.issue(row["id"], "reset", row["email"])
        yield Send("reset", {"username": row["username"], "token": token}, row["id"], to=row["email"])
    return ACCEPTED


def reset_password(data: PasswordReset) -> Op[int]:
    """Check the token (a read), hash with nothing held, then use the token and set the password in one
    write. Bumping ``token_version`` ends every access token and session issued before; every other
    reset link ends too. The link proved the address, so it counts as verified. Returns the user's id."""
    _refuse_common("new_password", data.new_password)
    yield Transaction(read_only=True)
    yield from tokens.peek(data.token, "reset")          # a wrong token costs no hash
    new_hash = yield Compute(hash_password, (_normalise(data.new_password),))
    yield Transaction()
    row = yield from tokens.take(data.token, "reset")
    yield Query("UPDATE users SET password_hash = %s, token_version = token_version + 1,"
                " email_verified = CASE WHEN email = %s THEN 1 ELSE email_verified END WHERE id = %s",
                (new_hash, row["email"], row["user_id"]), "rowcount")
    yield Query("DELETE FROM email_tokens WHERE user_id = %s AND purpose = 'reset'", (row["user_id"],), "rowcount")
    yield Query("DELETE FROM sessions WHERE user_id = %s", (row["user_id"],), "rowcount")
    user_id = int(row["user_id"])
    yield Publish(user_id, close=True)   # every process forgets the old version; the sockets close
    return user_id


def confirm_password_reset(viewer: Viewer, body: Any) -> Op[None]:
    """``POST /auth/password-reset/confirm {token, new_password}`` → 204."""
    yield from reset_password(parse(PasswordReset, body))


def reset_password_with_session(viewer: Viewer, body: Any) -> Op[str]:
    """The reset page: the same reset, then a new browser session for the user (its id, for the cookie)."""
    user_id = yield from reset_password(parse(PasswordReset, body))
    session_id: str = yield from start_session(user_id)
    return session_id
