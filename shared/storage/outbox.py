"""The transactional outbox: messages are rows written with the change that caused them, sent later.

An operation yields :class:`~shared.storage.effects.Send`; the runner turns it into the one INSERT
of :func:`enqueue`, inside the operation's transaction. So a registration that rolls back leaves no
verification e-mail, and one that commits always has one (RELIABILITY 47).

Delivery (:func:`deliver_due`) is an operation too, driven by either runner like any other: the
SMTP conversation is a ``Compute`` step (blocking work: inline on a worker thread, in the
executor on the event loop), never inside a transaction. Its rules:

- **One sender at a time.** A lease row (``outbox_lease``) names the sender that may deliver and
  until when; a sender renews it before every message and stops the moment it is not its own.
  Any number of processes may try (every Tornado process, the WSGI launchers, ``forum deliver``):
  one delivers, the others find the lease taken.
- **Sent at most once per Message-ID, but for a crash.** A row is marked sent right after the
  server accepted it. A sender that dies between the two leaves the row unsent and its lease
  running out; the next sender sends it again with the same ``Message-ID`` — at most one
  duplicate, which the receiving side can recognise.
- **Never lost.** A server that is down or refuses (4xx) leaves the row due again after a backoff
  (2, 4, 8 ... seconds, at most ``max_delay``) and ends the pass; only a permanent refusal of the
  recipient (5xx) marks it failed.
- Once sent, the row keeps its recipient and times but loses ``params``, which may hold a
  one-time link: the database never keeps a usable token in clear for longer than it takes to send.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from shared import clock
from shared.errors import Conflict
from shared.storage.effects import Compute, Op, Query, Send, Transaction

LEASE = "outbox"
LEASE_SECONDS = 60          # longer than one message can take (the SMTP timeout is far shorter)
BATCH = 50                  # messages per pass at most
MAX_DELAY = 30.0            # seconds between two tries of one message, at most

_COLUMNS = "message_key, recipient, template, params, created_at, next_attempt_at"
RECIPIENT_LOCALE = ("(SELECT MAX(u.locale) FROM users u WHERE u.email = outbox.recipient"
                    " OR u.pending_email = outbox.recipient) AS locale")


def enqueue(send: Send) -> Query:
    """The INSERT a :class:`Send` becomes (sent back: 1, or 0 when the user gets no such e-mail).

    Sent to ``send.to``, or to the user's verified address (and only if they want notification
    e-mail one by one, for a notification): a condition in the INSERT itself, so it costs no read.
    """
    now = clock.db_time()
    values = (secrets.token_hex(16), send.template, json.dumps(dict(send.params)), now, now)
    if send.to is not None:
        return Query(f"INSERT INTO outbox ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
                     (values[0], send.to, *values[1:]), "rowcount")
    wanted = " AND email_notifications = 'instant'" if send.notification else ""
    return Query(f"INSERT INTO outbox ({_COLUMNS}) SELECT %s, email, %s, %s, %s, %s FROM users"  # noqa: S608
                 f" WHERE id = %s AND email_verified = 1{wanted}", (*values, send.user_id), "rowcount")


# -- delivery ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Refused:
    """Why a message was not delivered: ``permanent`` when the server refused the recipient for good."""

    reason: str
    permanent: bool = False


class Mailer(Protocol):
    """What delivers one outbox row (``shared.mail``): None when the server took it, else why not."""

    def send(self, row: Mapping[str, Any]) -> Refused | None: ...


def take_lease(holder: str, seconds: int = LEASE_SECONDS) -> Op[bool]:
    """Take or renew the one sender's lease; False while another sender holds it."""
    now = clock.now()
    until = clock.db_time(now + timedelta(seconds=seconds))
    taken = yield Query("UPDATE outbox_lease SET holder = %s, expires_at = %s"
                        " WHERE name = %s AND (holder = %s OR expires_at < %s)",
                        (holder, until, LEASE, holder, clock.db_time(now)), "rowcount")
    if taken:
        return True
    try:   # the first sender ever (the row is made on demand)
        yield Query("INSERT INTO outbox_lease (name, holder, expires_at) VALUES (%s, %s, %s)",
                    (LEASE, holder, until), "rowcount")
    except Conflict:
        return False
    return True


def release_lease(holder: str) -> Op[None]:
    """A sender that stops hands the lease back at once, so the next one need not wait for it to run out."""
    yield Query("UPDATE outbox_lease SET expires_at = %s WHERE name = %s AND holder = %s",
                (clock.db_time(clock.now() - timedelta(seconds=1)), LEASE, holder), "rowcount")


def deliver_due(mailer: Mailer, holder: str, max_delay: float = MAX_DELAY, limit: int = BATCH) -> Op[int]:
    """One pass: send what is due, oldest first, while this sender holds the lease; how many were sent.

    A pass with nothing due is one read and writes nothing (senders poll every few seconds)."""
    due = "FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= %s"
    yield Transaction(read_only=True)
    if not (yield Query(f"SELECT 1 {due} LIMIT 1", (clock.db_time(),), "value")):  # noqa: S608
        return 0
    yield Transaction()
    if not (yield from take_lease(holder)):
        return 0
    yield Transaction(read_only=True)   # read again under the lease: the last holder may have sent some
    # each message in its recipient's language (users.locale; none chosen: English)
    rows = yield Query(f"SELECT id, message_key, recipient, template, params, attempts, {RECIPIENT_LOCALE} {due}"  # noqa: S608
                       " ORDER BY id LIMIT %s", (clock.db_time(), limit))
    sent = 0
    for row in rows:
        yield Transaction()
        if not (yield from take_lease(holder)):   # renewed before each message; lost means stop
            break
        yield Transaction()
        refused: Refused | None = yield Compute(mailer.send, (row,))
        now = clock.now()
        if refused is None:
            yield Query("UPDATE outbox SET sent_at = %s, params = NULL, last_error = NULL"
                        " WHERE id = %s AND sent_at IS NULL", (clock.db_time(now), row["id"]), "rowcount")
            sent += 1
        elif refused.permanent:
            yield Query("UPDATE outbox SET failed_at = %s, attempts = attempts + 1, last_error = %s WHERE id = %s",
                        (clock.db_time(now), refused.reason[:255], row["id"]), "rowcount")
        else:   # down or refusing for now: this one later, and the rest on the next pass
            delay = min(max_delay, 2.0 ** (row["attempts"] + 1))
            yield Query("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = %s, last_error = %s"
                        " WHERE id = %s", (clock.db_time(now + timedelta(seconds=delay)), refused.reason[:255],
                                           row["id"]), "rowcount")
            break
    return sent


def sent_count() -> Op[dict[str, int]]:
    """How many rows wait, were sent, or failed (for ``forum deliver``'s last line)."""
    yield Transaction(read_only=True)
    row = yield Query("SELECT SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END) AS waiting,"
                      " SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END) AS failed FROM outbox", (), "row")
    return {"waiting": int(row["waiting"] or 0), "failed": int(row["failed"] or 0)}
