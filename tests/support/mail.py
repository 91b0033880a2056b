"""A real SMTP server for the e-mail tests (aiosmtpd, in a thread of the test process).

    with smtp_sink() as sink:                       # listening on sink.url (smtp://127.0.0.1:PORT)
        ... the forum sends, with FORUM_SMTP_URL=sink.url ...
        message = sink.wait_for("alice@example.org", "Reset your password")
        url = link(message, "/reset-password")

``sink.down()`` stops it listening (connections are refused) and ``sink.up()`` listens again on the
same port; ``sink.refusing = True`` answers every recipient with ``451`` (try later).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from shared.cli.processes import free_port

WAIT = 30.0


class Sink:
    """What the server received, in order, and its switches."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}"
        self.messages: list[EmailMessage] = []
        self.refusing = False
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # aiosmtpd's handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refusing:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def up(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, to: str | None = None) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if to is None or m["To"] == to]

    def wait_for(self, to: str, subject: str = "", count: int = 1, timeout: float = WAIT) -> EmailMessage:
        """The ``count``-th message to ``to`` whose subject contains ``subject`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.received(to) if subject in str(m["Subject"])]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no message {count} to {to} about {subject!r} within {timeout:.0f} s; "
                             f"received: {[(m['To'], m['Subject']) for m in self.received()]}")


@contextlib.contextmanager
def smtp_sink() -> Iterator[Sink]:
    sink = Sink(free_port())
    sink.up()
    try:
        yield sink
    finally:
        sink.down()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())  # type: ignore[attr-defined]


def link(message: EmailMessage, path: str) -> str:
    """The URL in the message's text part whose path starts with ``path``."""
    for url in re.findall(r"https?://\S+", text_of(message)):
        if path in url:
            return str(url)
    raise AssertionError(f"no link to {path} in:\n{text_of(message)}")


def token_in(message: EmailMessage, path: str) -> str:
    """The ``token`` query parameter of that link."""
    match = re.search(r"[?&]token=([^&\s]+)", link(message, path))
    assert match, "the link carries no token"
    return match.group(1)
