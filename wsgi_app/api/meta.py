"""Link previews and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response

from shared import linkpreview, openapi
from wsgi_app.api.base import answer, query
from wsgi_app.db import run

bp = Blueprint("meta", __name__)


@bp.get("/link-preview")
def link_preview() -> Response:
    """Fetch a page with a blocking client (``http.client``): this worker thread waits up to 5 s.

    The Tornado app waits on its event loop instead; this difference is what the load tests show.
    """
    return answer(run(linkpreview.preview(query().get("url"))))


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return answer(openapi.document())
