"""Who is asking: the viewer, password hashing (argon2id) and access tokens (JWT, HS256 pinned)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import Unauthorized


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
