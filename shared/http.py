"""Framework-free HTTP rules both apps follow, so a client cannot tell them apart.

What is the client's address (a proxy's word only from a proxy we were told to trust), how large the
header fields and the body of a request may be, which content type a JSON body must declare, and which
multipart field an upload arrives in.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from email.message import Message

from shared.config import Settings
from shared.errors import BadRequest, HeadersTooLarge, Invalid, PayloadTooLarge, UnsupportedMediaType
from shared.i18n import _l
from shared.routes import Route

BASE = "/api/v1"
MULTIPART_OVERHEAD = 64 * 1024       # boundaries and part headers around an upload's bytes
UPLOAD_FIELDS = {"/me/avatar": "avatar", "/groups/{group_id}/cover": "cover", "/uploads": "file"}
# The request's header fields together (names, values, line ends): 6 KiB of cookies fit easily. Over
# it is a 431 from the app; gunicorn refuses a single field over it itself, in the same words.
MAX_HEADER_BYTES = 32 * 1024
# How much of a request head Tornado reads before it gives up and closes the connection without a
# word: well over the limit, so that a head up to this size gets the app's 431 instead.
HEADER_READ_LIMIT = 256 * 1024
# nginx, when it runs on this machine: the proxy `forum serve --nginx` and deploy/ trust.
LOOPBACK = "127.0.0.1,::1"


def label(route: Route) -> str:
    """A route's full path template, e.g. ``/api/v1/posts/{post_id}``: its name and metrics label."""
    return BASE + route.path


def body_limit(route: Route | None, settings: Settings) -> int:
    """The most bytes a request body may have on this route (uploads are bigger than JSON)."""
    if route is not None and route.takes == "upload":
        return settings.max_upload_bytes + MULTIPART_OVERHEAD
    return settings.max_json_bytes


def largest_body(settings: Settings) -> int:
    """The server-wide cap: the largest route's limit (what the HTTP server itself enforces)."""
    return max(settings.max_json_bytes, settings.max_upload_bytes + MULTIPART_OVERHEAD)


def check_length(declared: str | None, limit: int) -> None:
    """Refuse a body by its ``Content-Length`` before reading any of it (413)."""
    if declared is None or not declared.strip():
        return   # no body; an empty value is PEP 3333's CONTENT_LENGTH="" (nginx's uwsgi_params, a GET)
    if not declared.strip().isdigit():
        raise BadRequest(_l("Content-Length must be a whole number."))
    if int(declared) > limit:
        raise body_too_large(limit)


def body_too_large(limit: int) -> PayloadTooLarge:
    """The 413 for a body over ``limit`` bytes (every flavour's words)."""
    return PayloadTooLarge(_l("The request body may have at most %(bytes)d bytes.", bytes=limit))


def headers_too_large() -> HeadersTooLarge:
    """The 431 for a request whose header fields are over :data:`MAX_HEADER_BYTES`."""
    return HeadersTooLarge(_l("The request's header fields may have at most %(bytes)d bytes together.", bytes=MAX_HEADER_BYTES))


def check_headers(fields: Iterable[tuple[str, str]]) -> None:
    """Refuse header fields over :data:`MAX_HEADER_BYTES` together, counted as sent (``Name: value\\r\\n``)."""
    if sum(len(name) + len(value) + 4 for name, value in fields) > MAX_HEADER_BYTES:
        raise headers_too_large()


def require_json(content_type: str | None) -> None:
    """A JSON body must say so: ``application/json`` with an optional charset, else 415."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != "application/json":
        raise UnsupportedMediaType(_l("Send the body as application/json."))


def require_multipart(content_type: str | None, body: bytes) -> None:
    """An upload must be ``multipart/form-data`` (else 415) with a boundary and its closing line (else 400).

    Tornado's parser refuses a body without them, while Werkzeug quietly finds no files in it; checking
    here first gives both flavours the same answer.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != "multipart/form-data":
        raise UnsupportedMediaType(_l("Send the file as multipart/form-data."))
    header = Message()
    header["Content-Type"] = content_type or ""
    boundary = (header.get_boundary() or "").encode()
    if not boundary or b"--" + boundary + b"--" not in body:
        raise unreadable_upload()


def unreadable_upload() -> BadRequest:
    """The 400 for a multipart body the framework's parser cannot read."""
    return BadRequest(_l("The multipart body could not be read."))


def missing_upload(route: Route) -> Invalid:
    """The 422 for an upload that does not arrive in the route's field."""
    return Invalid.one(UPLOAD_FIELDS[route.path], _l("required: send the image as this multipart field"))


@functools.lru_cache(maxsize=8)
def _networks(proxies: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The trusted-proxy setting parsed once, not on every request (keyed by the setting's text)."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in proxies.split(",") if item.strip())


def trusted_proxy(peer: str, proxies: str) -> bool:
    """Whether the connection's peer is one of ``proxies`` (``settings.trusted_proxies``), whose headers we believe."""
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(ip in network for network in _networks(proxies))


def client_address(peer: str, header: Callable[[str], str | None], settings: Settings) -> str:
    """The client's address: the peer's, or what a trusted proxy (nginx) says in X-Real-IP / X-Forwarded-For.

    Only the peers in ``settings.trusted_proxies`` are believed, and by default there are none: a
    client's own ``X-Real-IP`` / ``X-Forwarded-For`` changes neither logs nor rate-limit keys, even from
    loopback (RELIABILITY 24, 43). ``forum serve --nginx`` and deploy/ trust the nginx they put in front.
    """
    if not trusted_proxy(peer, settings.trusted_proxies):
        return peer
    real = (header("X-Real-IP") or "").strip()
    forwarded = [part.strip() for part in (header("X-Forwarded-For") or "").split(",") if part.strip()]
    candidate = real or (forwarded[-1] if forwarded else "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
