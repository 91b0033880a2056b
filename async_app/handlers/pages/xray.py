"""The X-ray pages (``FORUM_DEBUG`` only): this process's recent requests, and one request's effects in order.

What they show is recorded by the runners and the pools (``shared.xray``); the handlers only list it.
"""

from __future__ import annotations

from tornado.web import URLSpec, url

from async_app.handlers.pages.base import PageHandler
from shared import xray
from shared.errors import NotFound


class RequestsPage(PageHandler):
    def get(self) -> None:
        self.render("xray_requests.html", title="X-ray", requests=xray.recent())


class RequestPage(PageHandler):
    def get(self, request_id: str) -> None:
        found = xray.details(request_id)
        if found is None:
            raise NotFound("request among the recent ones")
        self.render("xray_request.html", title=f"X-ray {found['method']} {found['path']}", trace=found)


def urls() -> list[URLSpec]:
    return [url(r"/debug/requests$", RequestsPage, name="xray_requests"),
            url(r"/debug/requests/([A-Za-z0-9._-]+)$", RequestPage, name="xray_request")]
