"""A tiny web site in the test process, for the link preview to read: real HTTP on a loopback port."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
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
