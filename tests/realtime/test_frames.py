"""The fan-out's frames, built once per message (``text_frame``), are the bytes Tornado's own protocol writes."""

from __future__ import annotations

from typing import Any

import pytest
from tornado.websocket import WebSocketProtocol13, _WebSocketParams

from async_app.handlers.ws import text_frame


class Written:
    """Stands in for the socket's stream: keeps what the protocol writes."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def tornados_frame(text: str) -> bytes:
    protocol: Any = WebSocketProtocol13(None, mask_outgoing=False, params=_WebSocketParams())  # type: ignore[arg-type]
    protocol.stream = Written()
    protocol._write_frame(True, 0x1, text.encode())
    return protocol.stream.data


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_a_frame_is_what_tornado_writes_at_every_length(length):
    """The three length forms of RFC 6455 (7 bits, 16, 64), at their edges; UTF-8 counts bytes, not characters."""
    text = "协" * (length // 3) + "x" * (length % 3)   # 协 is three bytes
    assert len(text.encode()) == length
    assert text_frame(text) == tornados_frame(text)


def test_a_message_is_framed_once_for_every_watcher():
    text = '{"type":"comment","post_id":1}'
    assert text_frame(text) is text_frame(text)
