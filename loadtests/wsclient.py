"""One client process of ``forum bench ws``: holds thousands of WebSockets and notes when messages arrive.

The bench starts several of these (one connection per socket costs a process CPU and descriptors too,
so the load is spread) and drives them with one JSON line per command on stdin; each answers one
JSON line on stdout:

- ``{"open": N}``: open sockets until this process holds N (answer ``{"open": held, "refused": {...}}``,
  refusals counted by HTTP status, e.g. 503 when the server is full);
- ``{"watch": POST_ID}``: every socket asks to watch the post; answer once each was told ``watching``;
- ``{"count": true}``: how many notifications and comments arrived since the last ``collect``;
- ``{"collect": true}``: their arrival times (``time.time()``: the same clock as the bench's), cleared;
- ``{"quit": true}``: close everything and exit.

Socket ``k`` of this process is socket ``offset + k * stride`` of the whole bench and belongs to the
user ``tokens[(offset + k * stride) % len(tokens)]``: every process holds an even share of every user.
The client speaks the protocol itself, on ``asyncio.Protocol`` callbacks (uvloop when installed): a frame
costs a few microseconds of this process's CPU, where a library client's coroutines per frame cost tens. The
arrival times are what is measured, and a client slower than the server would measure itself.
Each process connects from its own loopback address (``--source``), so no one address runs out of local ports.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import struct
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

CONCURRENT_HANDSHAKES = 32   # per process: enough to keep the server busy, not enough to overflow its backlog
RETRIES = 8                  # after a 503, as a page's script would (the server may be busy, or full)
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A frame from a client: final, masked (RFC 6455 requires it), length in the shortest form."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else struct.pack("!BH", 0x80 | 126, n)
                                     if n < 65536 else struct.pack("!BQ", 0x80 | 127, n))
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return head + mask + (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")


class Socket(asyncio.Protocol):
    """One WebSocket: the handshake, then each frame as it arrives (pings answered, texts noted)."""

    def __init__(self, sockets: Sockets, request: bytes) -> None:
        self.sockets, self.request = sockets, request
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()   # the HTTP status

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport   # type: ignore[assignment]
        transport.write(self.request)   # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_result(0)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = int(self.buffer[:end].split(b" ", 2)[1])
            del self.buffer[:end + 4]
            self.upgraded = status == 101
            self.answered.set_result(status)
            if not self.upgraded:
                self.close()
                return
        self.frames()

    def frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, n, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2   # a server's frames are never masked
            if n == 126:
                if len(buffer) < 4:
                    return
                n, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif n == 127:
                if len(buffer) < 10:
                    return
                n, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + n:
                return
            payload = bytes(buffer[start:start + n])
            del buffer[:start + n]
            if opcode == TEXT:
                self.sockets.on_message(payload, time.time())
            elif opcode == PING:
                self.send(PONG, payload)
            elif opcode == CLOSE:
                self.close()
                return

    def send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    def write_message(self, text: str) -> None:
        self.send(TEXT, text.encode())

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Sockets:
    """This process's sockets and what they received."""

    def __init__(self, url: str, tokens: list[str], offset: int, stride: int, source: str) -> None:
        self.url, self.tokens, self.offset, self.stride, self.source = url, tokens, offset, stride, source
        self.held: list[Socket] = []
        self.arrivals: list[float] = []   # notifications and comments since the last collect
        self.watching = 0
        self.refused: Counter[str] = Counter()

    def on_message(self, raw: bytes, arrived: float) -> None:
        kind = json.loads(raw).get("type")
        if kind in ("notification", "comment"):
            self.arrivals.append(arrived)
        elif kind == "watching":
            self.watching += 1

    async def open(self, wanted: int) -> dict[str, Any]:
        limit = asyncio.Semaphore(CONCURRENT_HANDSHAKES)

        url = urlsplit(self.url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        loop = asyncio.get_running_loop()

        async def one(index: int) -> Socket | None:
            token = self.tokens[index % len(self.tokens)]
            request = (f"GET {url.path}?token={token} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n").encode()
            async with limit:
                for attempt in range(RETRIES + 1):
                    try:
                        _, socket = await asyncio.wait_for(loop.create_connection(
                            lambda: Socket(self, request), host, port, local_addr=(self.source, 0)), 60)
                        status = await asyncio.wait_for(socket.answered, 60)
                    except OSError as exc:   # TimeoutError is one
                        self.refused[type(exc).__name__] += 1
                        return None
                    if status == 101:
                        return socket
                    if status != 503 or attempt == RETRIES:   # 503: the pool was busy, or the server is full
                        self.refused[str(status)] += 1
                        return None
                    await asyncio.sleep(0.5 * (attempt + 1))
            return None

        first = len(self.held)
        indexes = [self.offset + k * self.stride for k in range(first, wanted)]
        opened = await asyncio.gather(*(one(i) for i in indexes))
        self.held += [ws for ws in opened if ws is not None]
        return {"open": len(self.held), "refused": dict(self.refused)}

    async def watch(self, post_id: int) -> dict[str, Any]:
        self.watching = 0
        text = json.dumps({"type": "watch", "post_id": post_id})
        for ws in self.held:
            ws.write_message(text)
        deadline = time.monotonic() + 120
        while self.watching < len(self.held) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return {"watching": self.watching}

    def collect(self) -> dict[str, Any]:
        arrivals, self.arrivals = self.arrivals, []
        return {"arrivals": arrivals}


async def serve(options: argparse.Namespace) -> None:
    tokens = json.loads(open(options.tokens).read())
    sockets = Sockets(options.url, tokens, options.offset, options.stride, options.source)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def read_stdin() -> None:   # a thread: the loop is never blocked on the pipe
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, json.loads(line))
        loop.call_soon_threadsafe(commands.put_nowait, {"quit": True})

    threading.Thread(target=read_stdin, daemon=True).start()
    while True:
        command = await commands.get()
        if "quit" in command:
            for ws in sockets.held:
                ws.close()
            return
        if "open" in command:
            answer = await sockets.open(command["open"])
        elif "watch" in command:
            answer = await sockets.watch(command["watch"])
        elif "count" in command:
            answer = {"count": len(sockets.arrivals)}
        else:
            answer = sockets.collect()
        print(json.dumps(answer), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="ws://host:port/ws/notifications")
    p.add_argument("--tokens", required=True, help="a JSON file: the list of access tokens")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--source", default="127.0.0.1", help="the loopback address to connect from")
    options = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # one descriptor per socket
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(options))
    else:
        uvloop.run(serve(options))


if __name__ == "__main__":
    main()
