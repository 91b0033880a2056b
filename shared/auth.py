"""Who is asking: the viewer, password hashing (argon2id) and access tokens (JWT, HS256 pinned).

Passwords: argon2id at OWASP's minimum cost (19 MiB, 2 passes, 1 lane) so a login costs tens of
milliseconds and stays off the event loop (operations yield ``Compute(hash_password, ...)``). A
login for an unknown user verifies against a dummy hash, so both failures take the same time.

Tokens: HS256 only, signed with the application's key (:mod:`shared.keys`), ``exp``/``iat``/``sub``
required, and a ``ver`` claim that must equal the user's ``token_version`` (checked by
``shared.storage.sessions.authenticate``): changing the password bumps it, so every older token
stops working at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import Unauthorized
from shared.i18n import _l
from shared.keys import current as current_keys
from shared.validation import MAX_ID


@dataclass(frozen=True, slots=True)
class Viewer:
    """The caller of an operation: a user id, or None for an anonymous client."""

    user_id: int | None = None

    def require(self) -> int:
        """The user id, or 401 for an anonymous caller."""
        if self.user_id is None:
            raise Unauthorized()
        return self.user_id


ANONYMOUS = Viewer()

# --- passwords -----------------------------------------------------------------------------------

# OWASP Password Storage Cheat Sheet, argon2id minimum: m = 19 MiB, t = 2, p = 1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash (salt and parameters included). CPU-heavy: yield it as ``Compute``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> tuple[bool, bool]:
    """``(ok, needs_rehash)``: rehash on login when the stored parameters are below today's."""
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, _hasher.check_needs_rehash(password_hash)


DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
"""Verified against when the login names nobody, so "no such user" costs what "wrong password" costs."""

_COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"


@cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("# "))


def is_common_password(password: str) -> bool:
    """One of the 1000 most common passwords (ignoring case): refused at registration."""
    return password.lower() in _common_passwords()


# --- tokens --------------------------------------------------------------------------------------

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30


def issue_token(user_id: int, token_version: int) -> tuple[str, int]:
    """A token signed with the current application's key (:mod:`shared.keys`), and its lifetime in seconds."""
    keys = current_keys()
    issued = int(time.time())
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + keys.token_ttl, "ver": token_version}
    return jwt.encode(claims, keys.token, algorithm=ALGORITHM), keys.token_ttl


def decode_token(token: str) -> tuple[int, int]:
    """``(user_id, token_version)`` from a token this application signed; anything else is a 401."""
    try:
        claims = jwt.decode(token, current_keys().token, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            options={"require": ["exp", "iat", "sub", "ver"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized(_l("The token is invalid or expired.")) from exc
    sub, ver = claims["sub"], claims["ver"]
    if not (isinstance(sub, str) and sub.isdigit() and 0 < int(sub) <= MAX_ID) or type(ver) is not int:
        raise Unauthorized(_l("The token is invalid or expired."))
    return int(sub), ver
