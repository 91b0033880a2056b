"""One HTTP request over a bare socket, sending and reading at the same time.

A server may answer 413 before it has read a large body and stop reading; a client that insists on
sending everything first (requests does) then sees a broken pipe instead of the answer. Sending from
a thread while the main thread reads gets the answer the way a browser would.
"""

from __future__ import annotations

import contextlib
import http.client
import secrets
import socket
import threading
from urllib.parse import urlsplit


def multipart(field: str, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body with one file field, and its Content-Type header."""
    boundary = f"----forum{secrets.token_hex(8)}"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def raw_request(base_url: str, method: str, path: str, body: bytes,
                headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Send ``body`` while reading the answer; returns (status, lower-cased headers, text)."""
    url = urlsplit(base_url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {url.netloc}", f"Content-Length: {len(body)}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return exchange(base_url, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    """``body`` in the chunked transfer coding, ``size`` bytes a chunk."""
    pieces = [body[at:at + size] for at in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def exchange(base_url: str, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send the bytes of a whole request, as they are, while reading the answer."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)

    def send() -> None:
        with contextlib.suppress(OSError):  # the server may stop reading once it has answered
            sock.sendall(request)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        text = response.read().decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes a sender still blocked in sendall
        sock.close()
        sender.join(timeout=5)
