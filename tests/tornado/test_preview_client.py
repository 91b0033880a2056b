"""The Tornado flavour's link-preview client: curl, pinned to the vetted address, connections kept alive.

A real page on a loopback port, served in the test's own event loop; the only thing replaced is the
lookup, so that a name curl could never resolve by itself proves curl connected where it was told.
"""

from __future__ import annotations

import socket

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from async_app.handlers.api import linkpreview
from shared.errors import Invalid
from shared.linkpreview import preview
from shared.storage.runners import Services, run_async

pytestmark = pytest.mark.asyncio(loop_scope="session")   # the same loop as the async fixtures

PAGE = b"<html><head><title>Pinned</title></head><body></body></html>"


class Page(tornado.web.RequestHandler):
    def get(self) -> None:
        self.application.settings["peers"].append(self.request.connection.stream.socket.getpeername())
        self.set_header("Content-Type", "text/html")
        self.write(PAGE)


@pytest.fixture
async def site():
    """``(port, peers)``: a page on 127.0.0.1:<port>, and the client address of every request to it."""
    peers: list[tuple[str, int]] = []
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/.*", Page)], peers=peers))
    server.add_sockets(sockets)
    yield sockets[0].getsockname()[1], peers
    server.stop()


@pytest.fixture
async def client():
    preview_client = linkpreview.PreviewClient(frozenset())
    yield preview_client
    preview_client.close()


async def read_preview(client: linkpreview.PreviewClient, url: str) -> dict:
    """The shared preview operation, its fetches made by this client (it needs no database)."""
    return await run_async(None, preview(url), Services(fetch=client.fetch))  # type: ignore[arg-type]


def pin(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Every name 'resolves' (and is vetted) to the loopback page, as the guard would hand it over."""
    async def resolve(host: str, port_: int, allow: frozenset[str]) -> list[tuple[int, tuple[str, int]]]:
        return [(socket.AF_INET, ("127.0.0.1", port))]
    monkeypatch.setattr(linkpreview, "resolve_async", resolve)


async def test_curl_connects_to_the_vetted_address_not_its_own_lookup(site, client, monkeypatch):
    port, peers = site
    pin(monkeypatch, port)
    preview = await read_preview(client, f"http://pinned.invalid:{port}/page")
    assert preview["title"] == "Pinned"
    assert len(peers) == 1


async def test_a_proxy_from_the_environment_is_not_used(site, client, monkeypatch):
    port, _peers = site
    pin(monkeypatch, port)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")      # nothing listens on the discard port
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    preview = await read_preview(client, f"http://pinned.invalid:{port}/page")
    assert preview["title"] == "Pinned"


async def test_previews_of_one_site_reuse_its_connection(site, client, monkeypatch):
    port, peers = site
    pin(monkeypatch, port)
    for n in range(3):
        await read_preview(client, f"http://pinned.invalid:{port}/page/{n}")
    assert len(peers) == 3 and len(set(peers)) == 1


async def test_the_real_guard_still_refuses_loopback(client):
    with pytest.raises(Invalid):
        await read_preview(client, "http://127.0.0.1:1/")
