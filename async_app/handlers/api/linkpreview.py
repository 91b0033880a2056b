"""``GET /api/v1/link-preview?url=``: the shared preview plan, fetched with Tornado's curl client.

The loop never waits on the network: fifty slow pages are fifty coroutines, not fifty threads.
``CurlAsyncHTTPClient`` is used rather than the default ``simple_httpclient`` because it keeps
connections to a site alive between previews; a new TCP connection per fetch was the largest cost
left on the I/O-bound benchmark (``loadtests/RESULTS.md``).

The SSRF guard: each hop's host is resolved and vetted here (``shared.linkpreview.resolve_async``)
and curl is told to connect to that vetted address (``CONNECT_TO``), never to a lookup of its own,
so the address that was checked is the address connected to, on every redirect hop. libcurl's own
proxy settings are switched off for the same reason. The body is counted as it arrives and curl is
stopped at ``MAX_BYTES``.
"""

from __future__ import annotations

import socket
from typing import Any

import pycurl
import tornado.httputil
from tornado.curl_httpclient import CurlAsyncHTTPClient
from tornado.httpclient import HTTPRequest

from async_app.handlers.api.base import ApiHandler
from shared import linkpreview
from shared.errors import BadGateway
from shared.i18n import _l
from shared.linkpreview import MAX_BYTES, USER_AGENT, resolve_async
from shared.storage.effects import Fetch, Reply

MAX_FETCHES = 200   # previews fetched at once per process; more wait in the client's queue


class PreviewClient:
    """The process's preview client: curl with a pool of live connections, and the allow-list."""

    def __init__(self, allow: frozenset[str]) -> None:
        self.allow = allow
        self.curl = CurlAsyncHTTPClient(force_instance=True, max_clients=MAX_FETCHES)

    def close(self) -> None:
        self.curl.close()

    async def fetch(self, hop: Fetch) -> Reply:
        """One hop of a preview (the runner's fetcher): resolve and vet the host, then GET from the
        vetted address."""
        target = hop.target
        address = (await resolve_async(target.host, target.port, self.allow))[0]
        transfer = _Transfer(address, target.port)
        request = HTTPRequest(target.url, connect_timeout=hop.timeout, request_timeout=hop.timeout,
                              follow_redirects=False, user_agent=USER_AGENT, headers={"Accept": "text/html"},
                              prepare_curl_callback=transfer.prepare)
        try:
            await self.curl.fetch(request, raise_error=False)
        except Exception as exc:        # noqa: BLE001 - any network failure is the upstream's failure
            if transfer.size < MAX_BYTES:   # (stopping at MAX_BYTES on purpose is not)
                raise BadGateway(linkpreview.PAGE_UNREACHABLE) from exc
        return transfer.reply()


class _Transfer:
    """What curl hands over for one hop: the raw head lines and at most MAX_BYTES of body.

    Both callbacks run inside libcurl and only append, so no Python work is queued per header line
    or per chunk. Writing short of a chunk makes curl stop the transfer, which is how reading ends
    at MAX_BYTES; the head is parsed once afterwards, because that stop ends the fetch with an error
    and no response object.
    """

    def __init__(self, address: tuple[int, Any], port: int) -> None:
        host = address[1][0]
        self.connect_to = f"::[{host}]:{port}" if address[0] == socket.AF_INET6 else f"::{host}:{port}"
        self.head: list[bytes] = []
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self, curl: pycurl.Curl) -> None:
        curl.setopt(pycurl.CONNECT_TO, [self.connect_to])    # any host, any port: the vetted address
        curl.setopt(pycurl.PROXY, "")                        # no proxy from the environment
        curl.setopt(pycurl.HEADERFUNCTION, self.head.append)
        curl.setopt(pycurl.WRITEFUNCTION, self.write)

    def write(self, chunk: bytes) -> int:
        kept = chunk[: MAX_BYTES - self.size]
        self.chunks.append(kept)
        self.size += len(kept)
        return len(chunk) if self.size < MAX_BYTES else 0

    def reply(self) -> Reply:
        lines = [line.decode("latin-1") for line in self.head]
        starts = [i for i, line in enumerate(lines) if line.startswith("HTTP/")]
        if not starts:
            raise BadGateway(_l("the page did not answer"))
        status = tornado.httputil.parse_response_start_line(lines[starts[-1]].strip()).code
        headers = tornado.httputil.HTTPHeaders.parse("".join(lines[starts[-1] + 1:]))
        return Reply(status, {name.lower(): value for name, value in headers.get_all()}, b"".join(self.chunks))


class LinkPreviewHandler(ApiHandler):
    async def get(self) -> None:
        await self.admit()
        self.answer(await self.run(linkpreview.preview(self.query().get("url"))))
