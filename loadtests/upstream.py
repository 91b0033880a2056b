"""A slow web page for the I/O-bound scenario: every GET answers a small HTML page after a fixed delay.

The link preview endpoint fetches this page, so each preview request spends the delay waiting on the
network. That is the case an event loop is built for: a worker that blocks holds its slot for the whole
delay, a coroutine does not. Keep-alive stays on (Tornado's default) so the forum may reuse connections.

    python -m loadtests.upstream --port 8900 --delay-ms 100
"""

from __future__ import annotations

import argparse
import asyncio
import html

import tornado.web
from tornado.httpserver import HTTPServer

PAGE = """<!doctype html>
<html><head>
<title>Bench page {path}</title>
<meta property="og:title" content="Bench page {path}">
<meta property="og:description" content="A page that answers after {delay} ms.">
<meta property="og:image" content="http://example.invalid/{path}.png">
</head><body><p>{filler}</p></body></html>
"""


class SlowPage(tornado.web.RequestHandler):
    def initialize(self, delay: float) -> None:
        self.delay = delay

    async def get(self, path: str) -> None:
        await asyncio.sleep(self.delay)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(PAGE.format(path=html.escape(path), delay=int(self.delay * 1000), filler="lorem ipsum " * 40))


def make_app(delay: float) -> tornado.web.Application:
    return tornado.web.Application([(r"/(.*)", SlowPage, {"delay": delay})], log_function=lambda handler: None)


async def serve(port: int, delay: float) -> None:
    server = HTTPServer(make_app(delay))
    server.listen(port, "127.0.0.1")
    print(f"upstream ready on http://127.0.0.1:{port}/ (delay {delay * 1000:.0f} ms)", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=100.0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.delay_ms / 1000))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
