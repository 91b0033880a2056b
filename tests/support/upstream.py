"""Tiny web sites in the test process, for the link preview to read: real HTTP on a loopback port.

- :func:`upstream_site`: fixed pages, a slow one, a huge one and a redirect.
- :func:`held_page`: one page whose requests wait until the test releases them, and that says how
  many are waiting: for "these requests are in flight now" without guessing with a sleep.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE_TITLE = "Keyset pagination, explained"
PAGE_DESCRIPTION = "Why OFFSET gets slow and what to do instead."
PAGE_IMAGE = "https://example.org/cover.png"

PAGES: dict[str, bytes] = {
    "/article": f"""<!doctype html><html><head>
<title>{PAGE_TITLE}</title>
<meta property="og:title" content="{PAGE_TITLE}">
<meta property="og:description" content="{PAGE_DESCRIPTION}">
<meta property="og:image" content="{PAGE_IMAGE}">
</head><body><p>Hello.</p></body></html>""".encode(),
}


SLOW_SECONDS = 8          # longer than the link preview's 5 s timeout
HUGE_PADDING = 3 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    """PAGES, plus three special paths: /slow (answers late), /huge (3 MiB), /redirect?to=URL (302)."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        url = urlsplit(self.path)
        if url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(url.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if url.path == "/slow":
            time.sleep(SLOW_SECONDS)
        body = PAGES.get(url.path)
        if url.path == "/huge":
            body = PAGES["/article"].replace(b"<body>", b"<body>" + b"x" * HUGE_PADDING)
        elif url.path == "/slow":
            body = PAGES["/article"]
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the test output is for failures
        pass

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError):  # a client that stops reading /huge is fine
            super().handle()


@contextlib.contextmanager
def upstream_site() -> Iterator[str]:
    """Serve the pages on 127.0.0.1:<free port> in a thread; yields ``host:port``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class HeldPage:
    """A page every request waits on until :attr:`released` is set (or ``hold`` seconds passed)."""

    address: str = ""
    arrived: int = 0                                                    # requests that reached it so far
    released: threading.Event = field(default_factory=threading.Event)  # set: waiting requests are answered
    answered: threading.Event = field(default_factory=threading.Event)  # a page has been sent
    _arrival: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, requests: int, timeout: float = 20.0) -> bool:
        """True once ``requests`` requests have reached the page (False after ``timeout`` s)."""
        with self._arrival:
            return self._arrival.wait_for(lambda: self.arrived >= requests, timeout)


class _WideServer(ThreadingHTTPServer):
    request_queue_size = 128   # fifty previews may knock at once; the default backlog is 5


@contextlib.contextmanager
def held_page(hold: float | None = None) -> Iterator[HeldPage]:
    """Serve a :class:`HeldPage` on 127.0.0.1:<free port>; ``hold`` makes it answer by itself after so
    many seconds (a slow upstream), None keeps every request waiting until the test releases them."""
    page = HeldPage()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            with page._arrival:
                page.arrived += 1
                page._arrival.notify_all()
            page.released.wait(hold)
            body = PAGES["/article"]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            page.answered.set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = _WideServer(("127.0.0.1", 0), Handler)
    page.address = f"127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield page
    finally:
        page.released.set()   # nothing is left waiting on a test that ended
        httpd.shutdown()
        httpd.server_close()
