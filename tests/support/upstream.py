"""A tiny web site in the test process, for the link preview to read: real HTTP on a loopback port."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = PAGES.get(self.path.split("?", 1)[0])
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


@contextlib.contextmanager
def upstream_site() -> Iterator[str]:
    """Serve PAGES on 127.0.0.1:<free port> in a thread; yields ``host:port``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
