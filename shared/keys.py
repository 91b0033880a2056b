"""The application's keys: what signs its tokens and its cursors, derived from its own secret.

Keys belong to an application, not to a module: two apps in one process (a test, or a learner
serving both flavours side by side) each sign with their own secret and refuse the other's tokens
and cursors. Each app makes its :class:`Keys` once from its settings and hands them to its runner;
the runner lends them to the operation it drives through a context variable (the way Flask's
``current_app`` reaches code that was not passed the app), and :func:`current` reads them there.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from shared.config import Settings

MIN_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class Keys:
    token: bytes          # HS256 key for access tokens
    cursor: bytes         # HMAC key for list cursors (derived, so a cursor is never a token)
    token_ttl: int        # seconds an access token lives

    @classmethod
    def from_secret(cls, secret: bytes, token_ttl: int = 86400) -> Keys:
        if len(secret) < MIN_KEY_BYTES:
            raise ValueError(f"the secret must be at least {MIN_KEY_BYTES} bytes")
        cursor = hmac.new(secret, b"forum pagination cursor", hashlib.sha256).digest()
        return cls(secret, cursor, token_ttl)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        return cls.from_secret(settings.secret_bytes, settings.token_ttl)


_current: ContextVar[Keys | None] = ContextVar("forum_keys", default=None)


def current() -> Keys:
    """The keys of the application whose runner is driving this code."""
    keys = _current.get()
    if keys is None:
        raise RuntimeError("no keys: run this inside a runner given the application's keys (or keys.using())")
    return keys


@contextmanager
def using(keys: Keys | None) -> Iterator[None]:
    """Lend ``keys`` to the code run inside the block (the runners do this around each operation)."""
    token = _current.set(keys)
    try:
        yield
    finally:
        _current.reset(token)
