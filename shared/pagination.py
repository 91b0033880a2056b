"""Keyset pagination with opaque, signed cursors.

A cursor is the sort key of the last item a client saw, JSON-encoded, HMAC-signed and base64url'd.
A page is ``WHERE (sort key) < (cursor key) ORDER BY sort key LIMIT n + 1``: it costs the same at
the millionth row as at the first, and rows added meanwhile never shift what the next page holds.
A cursor that was not made by this application (edited, truncated, signed with another app's key:
:mod:`shared.keys`) is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import BadRequest
from shared.i18n import _l
from shared.keys import current as current_keys

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
NOT_A_CURSOR = _l("cursor: not a cursor this server made")
NOT_THIS_LIST = _l("cursor: not a cursor for this list")


def encode_cursor(key: Sequence[Any]) -> str:
    payload = json.dumps(list(key), separators=(",", ":")).encode()
    mac = hmac.new(current_keys().cursor, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError) as exc:
        raise BadRequest(NOT_A_CURSOR) from exc
    mac, payload = raw[:12], raw[12:]
    if len(cursor) > 512 or not hmac.compare_digest(mac, hmac.new(current_keys().cursor, payload, hashlib.sha256).digest()[:12]):
        raise BadRequest(NOT_A_CURSOR)
    key = json.loads(payload)
    if not isinstance(key, list):
        raise BadRequest(NOT_A_CURSOR)
    return key


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: list[Any] | None = None   # the decoded cursor: the sort key of the last item seen

    @property
    def fetch(self) -> int:
        """Rows to ask for: one more than the page, to know whether another page follows."""
        return self.limit + 1


def parse_page(query: Mapping[str, str]) -> PageRequest:
    """``?limit=`` (1–100, default 20) and ``?cursor=``; anything else malformed is a 400."""
    raw_limit = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise BadRequest(_l("limit: must be a whole number from 1 to %(max)d", max=MAX_LIMIT))
        limit = int(raw_limit)
    cursor = query.get("cursor")
    return PageRequest(limit, decode_cursor(cursor) if cursor else None)


def page(rows: list[dict[str, Any]], request: PageRequest, sort_key: Callable[[dict[str, Any]], Sequence[Any]],
         shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The list answer: at most ``limit`` items and a cursor exactly when more follow."""
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    return {
        "items": [shape(r) for r in rows] if shape else rows,
        "next_cursor": encode_cursor(sort_key(rows[-1])) if more and rows else None,
    }
