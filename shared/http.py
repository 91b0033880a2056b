"""Framework-free HTTP rules both apps follow, so a client cannot tell them apart.

What is the client's address (nginx's word only when nginx is the peer), how large a body each route
takes, which content type a JSON body must declare, and which multipart field an upload arrives in.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from email.message import Message

from shared.config import Settings
from shared.errors import BadRequest, Invalid, PayloadTooLarge, UnsupportedMediaType
from shared.routes import Route

BASE = "/api/v1"
MULTIPART_OVERHEAD = 64 * 1024       # boundaries and part headers around an upload's bytes
UPLOAD_FIELDS = {"/me/avatar": "avatar", "/groups/{group_id}/cover": "cover"}


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
        raise BadRequest("Content-Length must be a whole number.")
    if int(declared) > limit:
        raise PayloadTooLarge(f"The request body may have at most {limit} bytes.")


def require_json(content_type: str | None) -> None:
    """A JSON body must say so: ``application/json`` with an optional charset, else 415."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")


def require_multipart(content_type: str | None, body: bytes) -> None:
    """An upload must be ``multipart/form-data`` (else 415) with a boundary and its closing line (else 400).

    Tornado's parser refuses a body without them, while Werkzeug quietly finds no files in it; checking
    here first gives both flavours the same answer.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data.")
    header = Message()
    header["Content-Type"] = content_type or ""
    boundary = (header.get_boundary() or "").encode()
    if not boundary or b"--" + boundary + b"--" not in body:
        raise unreadable_upload()


def unreadable_upload() -> BadRequest:
    """The 400 for a multipart body the framework's parser cannot read."""
    return BadRequest("The multipart body could not be read.")


def missing_upload(route: Route) -> Invalid:
    """The 422 for an upload that does not arrive in the route's field."""
    return Invalid.one(UPLOAD_FIELDS[route.path], "required: send the image as this multipart field")


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

    A client-sent ``X-Forwarded-For`` from anywhere else is ignored, so it can change neither logs
    nor rate-limit keys (RELIABILITY 24).
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
