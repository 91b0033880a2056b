"""The X-ray pages (``FORUM_DEBUG`` only): this process's recent requests, and one request's effects in order.

A blueprint of their own, registered by ``create_app`` only in debug, with the pages' hooks (who is
looking, security headers, HTML error pages). What they show is recorded by the runners and the
pools (``shared.xray``); the views only list it.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from shared import xray
from shared.errors import NotFound
from shared.i18n import _l
from wsgi_app import tornado_compat
from wsgi_app.pages.base import error_page, load_visitor, page_headers

xray_bp = Blueprint("xray", __name__)
xray_bp.before_request(tornado_compat.refuse_head)
xray_bp.before_request(load_visitor)
xray_bp.after_request(page_headers)
xray_bp.register_error_handler(Exception, error_page)


@xray_bp.get("/debug/requests")
def requests_page() -> str:
    return render_template("xray_requests.html", title=_l("X-ray"), requests=xray.recent())


@xray_bp.get("/debug/requests/<request_id>")
def request_page(request_id: str) -> str:
    found = xray.details(request_id)
    if found is None:
        raise NotFound("request among the recent ones")
    return render_template("xray_request.html", title=_l("X-ray %(method)s %(path)s", method=found["method"], path=found["path"]), trace=found)
