"""Link previews, written once: which URLs may be fetched, how redirects are followed, what is read.

A preview is an operation (:func:`preview`) that yields one ``Fetch`` effect per hop and is sent
back a ``Reply``, so the redirect rules and the parsing live here once while each app fetches the
way its concurrency model wants: :func:`fetch_sync` below with ``http.client`` (Flask), Tornado's
curl client in ``async_app``. The runner hands each ``Fetch`` to the app's fetcher.

The SSRF guard: every hop's host is resolved, and *every* address it resolves to must be public
(:func:`vet`); the connection is then made to a vetted address, never to a second lookup of the
name, so DNS rebinding cannot slip a private address in between. ``FORUM_LINK_PREVIEW_ALLOW``
(``host:port`` list) lets named targets through, e.g. a test server on loopback.

Errors: a bad or refused URL is 422 (field ``url``); an upstream that cannot be reached, times out,
answers an error or redirects too often is 502.
"""

from __future__ import annotations

import asyncio
import http.client
import ipaddress
import socket
import ssl
import time
from html.parser import HTMLParser
from typing import Any, TypeAlias
from urllib.parse import urljoin, urlsplit

from shared.config import Settings
from shared.errors import BadGateway, Invalid
from shared.i18n import _l, _ln
from shared.storage.effects import Fetch, Op, Reply, Target

MAX_BYTES = 1024 * 1024        # read at most this much of a page
TIMEOUT = 5.0                  # seconds for the whole preview, redirects included
MAX_REDIRECTS = 3
MAX_URL = 2048
USER_AGENT = "forum-link-preview/1.0"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PAGE_UNREACHABLE = _l("the page could not be fetched")

Address: TypeAlias = tuple[int, Any]   # (address family, socket address) as getaddrinfo gives them


def parse_url(raw: str | None) -> Target:
    """An absolute http(s) URL with a host, or 422 on field ``url``."""
    if not raw:
        raise Invalid.one("url", _l("required"))
    if len(raw) > MAX_URL:
        raise Invalid.one("url", _ln("at most %(num)d character", "at most %(num)d characters", MAX_URL))
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        raise Invalid.one("url", _l("not a valid URL")) from None
    if parts.scheme not in ("http", "https"):
        raise Invalid.one("url", _l("only http and https URLs can be previewed"))
    if not parts.hostname:
        raise Invalid.one("url", _l("the URL has no host"))
    if parts.username is not None or parts.password is not None:
        raise Invalid.one("url", _l("URLs with credentials are not previewed"))
    default = 443 if parts.scheme == "https" else 80
    return Target(raw.strip(), parts.scheme, parts.hostname, port or default)


def allow_list(settings: Settings) -> frozenset[str]:
    """``FORUM_LINK_PREVIEW_ALLOW`` as a set of lower-case ``host:port`` strings."""
    return frozenset(item.strip().lower() for item in settings.link_preview_allow.split(",") if item.strip())


def is_public(address: str) -> bool:
    """A globally routable unicast address: not private, loopback, link-local, reserved or multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def vet(host: str, port: int, addresses: list[Address], allow: frozenset[str]) -> list[Address]:
    """The addresses a name resolved to, if every one of them may be reached; else 422."""
    if not addresses:
        raise BadGateway(_l("%(host)s has no address", host=host))
    if f"{host.lower()}:{port}" in allow:
        return addresses
    for _family, sockaddr in addresses:
        if f"{sockaddr[0]}:{port}" not in allow and not is_public(sockaddr[0]):
            raise Invalid.one("url", _l("this address is not allowed (private, loopback, link-local or reserved)"))
    return addresses


def resolve_sync(host: str, port: int, allow: frozenset[str]) -> list[Address]:
    """Look a name up (blocking) and vet every address."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise BadGateway(_l("cannot resolve %(host)s", host=host)) from exc
    return vet(host, port, [(info[0], info[4]) for info in infos], allow)


async def resolve_async(host: str, port: int, allow: frozenset[str],
                        family: int = socket.AF_UNSPEC) -> list[Address]:
    """Look a name up without blocking the loop (the loop's resolver thread) and vet every address.

    An IP literal needs no lookup, so it skips the thread round trip."""
    literal = _ip_literal(host, port, family)
    if literal is not None:
        return vet(host, port, [literal], allow)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise BadGateway(_l("cannot resolve %(host)s", host=host)) from exc
    return vet(host, port, [(info[0], info[4]) for info in infos], allow)


def _ip_literal(host: str, port: int, family: int) -> Address | None:
    """The address getaddrinfo would give for an IP literal of the wanted family, else None.

    Only a literal written the way getaddrinfo writes it back takes this path; anything odd (a scoped
    or IPv4-mapped IPv6 address, ``127.1``, the other family) is left to getaddrinfo, as before."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if str(ip) != host or getattr(ip, "scope_id", None):
        return None
    if ip.version == 4 and family in (socket.AF_UNSPEC, socket.AF_INET):
        return socket.AF_INET, (host, port)
    if ip.version == 6 and family in (socket.AF_UNSPEC, socket.AF_INET6):
        return socket.AF_INET6, (host, port, 0, 0)
    return None


def preview(raw_url: str | None) -> Op[dict[str, Any]]:
    """Fetch the page (following up to MAX_REDIRECTS redirects, each re-checked) and read its tags.

    An operation like any other, with no query: one ``Fetch`` effect per hop, which the runner hands
    to the app's fetcher (:func:`fetch_sync` here for Flask, curl in ``async_app``)."""
    first = target = parse_url(raw_url)
    deadline = time.monotonic() + TIMEOUT
    for _hop in range(MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise BadGateway(_l("the page took too long to answer"))
        reply = yield Fetch(target, left)
        location = reply.headers.get("location")
        if reply.status in REDIRECTS and location:
            target = parse_url(urljoin(target.url, location))
            continue
        if not 200 <= reply.status < 300:
            raise BadGateway(_l("the page answered %(status)s", status=reply.status))
        return {"url": first.url, **read_tags(reply.body, reply.headers.get("content-type", ""), target.url)}
    raise BadGateway(_l("too many redirects"))


class _TagReader(HTMLParser):
    """Collects ``<title>`` and the ``<meta>`` tags a preview shows; stops caring after ``</head>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, str] = {}
        self._in_title = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = {k: (v or "") for k, v in attrs}
            name = (a.get("property") or a.get("name") or "").lower()
            if name in ("og:title", "og:description", "og:image", "description") and name not in self.meta:
                self.meta[name] = a.get("content", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self._done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self._done:
            self.title += data


def _clean(text: str | None, limit: int) -> str | None:
    text = " ".join((text or "").split())
    return text[:limit] or None


def read_tags(body: bytes, content_type: str, base_url: str) -> dict[str, str | None]:
    """Title, description and image of an HTML page (Open Graph first); all None for anything else."""
    empty: dict[str, str | None] = {"title": None, "description": None, "image": None}
    mime, _, params = content_type.partition(";")
    if mime.strip().lower() not in ("text/html", "application/xhtml+xml", ""):
        return empty
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip("\"'")
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    reader = _TagReader()
    reader.feed(text)
    reader.close()
    image = _clean(reader.meta.get("og:image"), MAX_URL)
    if image:
        image = urljoin(base_url, image)
        if urlsplit(image).scheme not in ("http", "https"):
            image = None
    return {
        "title": _clean(reader.meta.get("og:title") or reader.title, 300),
        "description": _clean(reader.meta.get("og:description") or reader.meta.get("description"), 1000),
        "image": image,
    }


# -- the blocking runner (Flask) -------------------------------------------------------------------

class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address while Host (and TLS SNI) still name the URL's host."""

    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection(self._address[1][:2], self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: Address, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection(self._address[1][:2], self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch_sync(fetch: Fetch, allow: frozenset[str]) -> Reply:
    """One hop with ``http.client``: resolve, vet, connect to the vetted address, read ≤ MAX_BYTES.

    The blocking app's fetcher (``Services.fetch``, with ``allow`` bound)."""
    target = fetch.target
    address = resolve_sync(target.host, target.port, allow)[0]
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = kind(target, address, fetch.timeout)
    try:
        conn.request("GET", target.path, headers={"User-Agent": USER_AGENT, "Accept": "text/html"})
        response = conn.getresponse()
        body = response.read(MAX_BYTES)
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    except (OSError, http.client.HTTPException) as exc:
        raise BadGateway(PAGE_UNREACHABLE) from exc
    finally:
        conn.close()
