"""Who is asking: bearer tokens for the API, and browser sessions for the HTML pages: a random id in an HttpOnly cookie, its hash in the database.

Why not put the JWT in the cookie? A JWT cannot be taken back: the contract wants the cookie to stop
working the moment a user logs out (RELIABILITY 34), so the session lives in a table and logging out
deletes it. A password change bumps ``users.token_version``, which ends every session as well.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from shared import clock
from shared.auth import ANONYMOUS, Viewer, decode_token
from shared.errors import Unauthorized
from shared.i18n import _l
from shared.revocation import Standing, Standings
from shared.storage.effects import Op, Query, read_only
from shared.storage.roles import SITE

SESSION_DAYS = 14
# A site ban in force ends every credential (shared.storage.roles: group 0 is the site).
_NOT_BANNED = ("NOT EXISTS (SELECT 1 FROM bans b WHERE b.user_id = u.id AND b.group_id = %s"
               " AND (b.ends_at IS NULL OR b.ends_at > %s))")
COOKIE_NAME = "forum_session"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(user_id: int) -> Op[str]:
    """A new session for a user who just logged in (a new id every login: no session fixation)."""
    session_id = secrets.token_urlsafe(32)
    version = yield Query("SELECT token_version FROM users WHERE id = %s", (user_id,), "value")
    now = clock.now()
    yield Query("DELETE FROM sessions WHERE user_id = %s AND expires_at < %s",
                (user_id, clock.db_time(now)), "rowcount")
    yield Query("INSERT INTO sessions (id_hash, user_id, token_version, created_at, expires_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (_hash(session_id), user_id, int(version or 0), clock.db_time(now),
                 clock.db_time(now + timedelta(days=SESSION_DAYS))), "rowcount")
    return session_id


@read_only
def session_viewer(session_id: str | None) -> Op[Viewer]:
    """The viewer a session cookie names: anonymous when it is missing, unknown, expired or outdated."""
    if not session_id or len(session_id) > 128:
        return ANONYMOUS
    now = clock.db_time()
    row = yield Query(
        "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id "  # noqa: S608
        f"WHERE s.id_hash = %s AND s.expires_at > %s AND s.token_version = u.token_version AND {_NOT_BANNED}",
        (_hash(session_id), now, SITE, now), "row")
    return Viewer(int(row["user_id"])) if row else ANONYMOUS


def end_session(session_id: str | None) -> Op[None]:
    """Log out: the cookie stops working at once, even if someone kept a copy."""
    if session_id:
        yield Query("DELETE FROM sessions WHERE id_hash = %s", (_hash(session_id),), "rowcount")


_STANDING = ("SELECT u.token_version, b.user_id AS banned, b.ends_at AS banned_until FROM users u"
             " LEFT JOIN bans b ON b.user_id = u.id AND b.group_id = %s AND (b.ends_at IS NULL OR b.ends_at > %s)"
             " WHERE u.id = %s")


@read_only
def authenticate(token: str, standings: Standings | None = None) -> Op[Viewer]:
    """The viewer a bearer token names, if that user still exists, is not banned and the token is not outdated.

    The ban is part of this one lookup, so a ban stops every token at once (RELIABILITY 49). With the
    application's ``standings`` (:mod:`shared.revocation`) the lookup is made once per user, not once
    per request, for as long as revocations are known to reach this process."""
    user_id, version = decode_token(token)
    standing = standings.get(user_id) if standings is not None else None
    if standing is None:
        ticket = standings.ticket() if standings is not None else 0
        row = yield Query(_STANDING, (SITE, clock.db_time(), user_id), "row")
        if row is None:
            raise Unauthorized(_l("The token is invalid or expired."))
        until = row["banned_until"]
        standing = Standing(int(row["token_version"]), row["banned"] is not None,
                            clock.parse(until) if until is not None else None)
        if standings is not None:
            standings.remember(user_id, standing, ticket)
    if not standing.admits(version):
        raise Unauthorized(_l("The token is invalid or expired."))
    return Viewer(user_id)


def stream_caller(authorization: str, token: str | None, cookie: str | None) -> Op[Viewer]:
    """The caller of a long-lived stream (``/ws/notifications``, ``/api/v1/events``).

    A browser can set no header on a WebSocket or an ``EventSource``, so besides ``Authorization:
    Bearer`` the token may come as ``?token=``, or the login cookie names the caller: the one place
    the API reads the cookie. A token that is presented must be valid (401); no credential at all is
    anonymous.
    """
    scheme, _, bearer = authorization.partition(" ")
    if token is None and scheme.lower() == "bearer":
        token = bearer.strip()
    if token is not None:
        return (yield from authenticate(token))
    return (yield from session_viewer(cookie))
