"""Everything outside /api/v1: health and readiness, Prometheus metrics, uploaded media.

``/static/`` is Flask's own static route, pointed at ``shared/static`` (one copy for both apps).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request, send_from_directory

from shared import metrics
from shared.config import Settings
from wsgi_app.api.base import route_name
from wsgi_app.db import get_db
from wsgi_app.responses import json_response
from wsgi_app.tornado_compat import refuse_head

bp = Blueprint("site", __name__)
bp.before_request(refuse_head)


@bp.get("/healthz")
def healthz() -> Response:
    """The process runs (no database involved: a load balancer's liveness probe)."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """The database answers; ``ping`` raises Unavailable (503 problem+json) when it does not."""
    get_db().ping()
    return json_response({"status": "ready"})


@bp.get("/metrics")
def metrics_text() -> Response:
    """Prometheus text format. Under gunicorn or uWSGI each worker counts its own requests, so the
    launcher sets ``PROMETHEUS_MULTIPROC_DIR`` and prometheus-client adds the workers' files up."""
    pool = get_db()
    stats = metrics.render(lambda: {"size": pool.size, "in_use": pool.in_use, "waiting": pool.waiting})
    return Response(stats, content_type=metrics.CONTENT_TYPE)


def register(app: Flask, settings: Settings) -> None:
    """Health, metrics, media, and the hooks that time every request and mark files nosniff."""
    app.register_blueprint(bp)
    media_dir = os.path.abspath(settings.media_dir)

    def media(name: str) -> Response:
        """An uploaded image. Names are random (shared/uploads.py); ``send_from_directory`` refuses ``../``."""
        return send_from_directory(media_dir, name, max_age=30 * 24 * 3600)

    app.add_url_rule(f"{settings.media_url.rstrip('/')}/<path:name>", "media", media)
    app.before_request(_start_timer)
    app.after_request(_finish)


def _start_timer() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    """Count the request by route template (bounded label values); files are served ``nosniff``, so an
    upload is never run as another type (the Tornado app marks the same answers)."""
    if request.endpoint in ("static", "media") and response.status_code < 400:
        response.headers["X-Content-Type-Options"] = "nosniff"
    route = route_name(request.url_rule.rule) if request.url_rule else metrics.UNMATCHED
    metrics.observe(route, request.method, response.status_code, time.perf_counter() - g.get("started", time.perf_counter()))
    return response
