"""``GET /api/v1/link-preview?url=``: the shared preview plan, fetched with Tornado's AsyncHTTPClient.

The loop never waits on the network: fifty slow pages are fifty coroutines, not fifty threads.
The SSRF guard sits in the client's resolver (:class:`GuardedResolver`), so the address that was
checked is the address connected to, on every redirect hop. The body is counted as it streams in and
reading stops at ``MAX_BYTES``.
"""

from __future__ import annotations

import socket
from typing import Any

import tornado.httputil
import tornado.netutil
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from async_app.handlers.api.base import ApiHandler
from shared.errors import BadGateway, ForumError
from shared.linkpreview import MAX_BYTES, USER_AGENT, Fetch, Reply, preview, resolve_async


class GuardedResolver(tornado.netutil.Resolver):
    """Resolves without blocking the loop and refuses private addresses (``shared.linkpreview.vet``)."""

    def initialize(self, allow: frozenset[str]) -> None:
        self.allow = allow

    async def resolve(self, host: str, port: int,
                      family: socket.AddressFamily = socket.AF_UNSPEC) -> list[tuple[int, Any]]:
        return await resolve_async(host, port, self.allow, family)


def make_client(allow: frozenset[str]) -> AsyncHTTPClient:
    """The process's preview client: its own instance (not the shared one) with the guarded resolver.

    ``max_clients`` is raised from Tornado's 10 so that slow pages do not queue behind each other.
    """
    return AsyncHTTPClient(force_instance=True, resolver=GuardedResolver(allow=allow), max_clients=200,
                           max_header_size=64 * 1024)


class _Enough(tornado.httputil.HTTPInputError):
    """Raised from the body callback to stop reading at MAX_BYTES (Tornado lets this class through quietly)."""


async def fetch(client: AsyncHTTPClient, hop: Fetch) -> Reply:
    """One hop of the plan: status, headers and at most MAX_BYTES of body.

    The head is collected as raw lines (``header_callback``) rather than read from the response,
    because stopping at MAX_BYTES ends the fetch with an exception and no response object; the lines
    are only appended while the fetch runs and parsed once afterwards.
    """
    head: list[str] = []
    chunks: list[bytes] = []
    size = 0

    def on_chunk(chunk: bytes) -> None:
        nonlocal size
        chunks.append(chunk[: MAX_BYTES - size])
        size += len(chunks[-1])
        if size >= MAX_BYTES:
            raise _Enough("read enough for a preview")

    request = HTTPRequest(hop.target.url, connect_timeout=hop.timeout, request_timeout=hop.timeout,
                          follow_redirects=False, user_agent=USER_AGENT, headers={"Accept": "text/html"},
                          header_callback=head.append, streaming_callback=on_chunk)
    try:
        await client.fetch(request, raise_error=False)
    except ForumError:
        raise                       # the guard refused an address, or the name did not resolve
    except Exception as exc:        # noqa: BLE001 - any network failure is the upstream's failure
        if size < MAX_BYTES:        # (stopping at MAX_BYTES on purpose is not)
            raise BadGateway("the page could not be fetched") from exc
    starts = [i for i, line in enumerate(head) if line.startswith("HTTP/")]
    if not starts:
        raise BadGateway("the page did not answer")
    status = tornado.httputil.parse_response_start_line(head[starts[-1]].strip()).code
    headers = tornado.httputil.HTTPHeaders.parse("".join(head[starts[-1] + 1:]))
    return Reply(status, {name.lower(): value for name, value in headers.get_all()}, b"".join(chunks))


async def read_preview(client: AsyncHTTPClient, url: str | None) -> dict[str, Any]:
    """Run the shared plan: fetch each hop it asks for until it returns the preview."""
    plan = preview(url)
    try:
        hop = next(plan)
        while True:
            hop = plan.send(await fetch(client, hop))
    except StopIteration as done:
        return done.value


class LinkPreviewHandler(ApiHandler):
    async def get(self) -> None:
        await self.admit()
        self.answer(await read_preview(self.application.http_client, self.query().get("url")))
