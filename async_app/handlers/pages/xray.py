"""The X-ray pages (``FORUM_DEBUG`` only): this process's recent requests, and one request's effects in order.

What they show is recorded by the runners and the pools (``shared.xray``); the handlers only list it.
"""

from __future__ import annotations

from tornado.web import URLSpec, url

from async_app.handlers.pages.base import PageHandler
from shared import xray
from shared.errors import NotFound
from shared.i18n import _l


class RequestsPage(PageHandler):
    def get(self) -> None:
        self.render("xray_requests.html", title=_l("X-ray"), requests=xray.recent())


class RequestPage(PageHandler):
    def get(self, request_id: str) -> None:
        found = xray.details(request_id)
        if found is None:
            raise NotFound("request among the recent ones")
        self.render("xray_request.html", title=_l("X-ray %(method)s %(path)s", method=found["method"], path=found["path"]), trace=found)


def urls() -> list[URLSpec]:
    return [url(r"/debug/requests$", RequestsPage, name="xray_requests"),
            url(r"/debug/requests/([A-Za-z0-9._-]+)$", RequestPage, name="xray_request")]
