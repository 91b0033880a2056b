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
Tornado's own client is used (the server's library; nothing to add). Each process connects from its
own loopback address (``--source``), so no one address runs out of local ports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import threading
import time
from collections import Counter
from typing import Any

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

CONCURRENT_HANDSHAKES = 32   # per process: enough to keep the server busy, not enough to overflow its backlog
RETRIES = 8                  # after a 503, as a page's script would (the server may be busy, or full)


class Sockets:
    """This process's sockets and what they received."""

    def __init__(self, url: str, tokens: list[str], offset: int, stride: int, source: str) -> None:
        self.url, self.tokens, self.offset, self.stride, self.source = url, tokens, offset, stride, source
        self.held: list[WebSocketClientConnection] = []
        self.arrivals: list[float] = []   # notifications and comments since the last collect
        self.watching = 0
        self.refused: Counter[str] = Counter()

    def on_message(self, raw: None | str | bytes) -> None:
        if raw is None:
            return
        kind = json.loads(raw).get("type")
        if kind in ("notification", "comment"):
            self.arrivals.append(time.time())
        elif kind == "watching":
            self.watching += 1

    async def open(self, wanted: int) -> dict[str, Any]:
        limit = asyncio.Semaphore(CONCURRENT_HANDSHAKES)

        async def one(index: int) -> WebSocketClientConnection | None:
            token = self.tokens[index % len(self.tokens)]
            request = HTTPRequest(f"{self.url}?token={token}", network_interface=self.source,
                                  connect_timeout=60, request_timeout=60)
            async with limit:
                for attempt in range(RETRIES + 1):
                    try:
                        return await websocket_connect(request, on_message_callback=self.on_message)
                    except HTTPClientError as exc:   # 503: the pool was busy, or the server is full
                        if exc.code != 503 or attempt == RETRIES:
                            self.refused[str(exc.code)] += 1
                            return None
                    except OSError as exc:
                        self.refused[type(exc).__name__] += 1
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
    asyncio.run(serve(options))


if __name__ == "__main__":
    main()
