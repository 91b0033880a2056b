"""What every process does once before serving: hand the secret and limits to the shared modules.

Both apps (and the CLI) call :func:`configure` at start-up, so the key that signs tokens and
cursors comes from the settings in exactly one place.
"""

from __future__ import annotations

from shared import auth, pagination
from shared.config import Settings


def configure(settings: Settings) -> None:
    """Configure cursor signing and access tokens from the settings."""
    pagination.configure(settings.secret_bytes)
    auth.configure(settings.secret_bytes, settings.token_ttl)
