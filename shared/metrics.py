"""The Prometheus metrics both apps export at ``/metrics``, defined once.

Requests are labelled by *route name* (the path template, ``/api/v1/posts/{post_id}``), never by the
raw path, so the number of series stays bounded whatever clients send. Pool gauges are read at
scrape time from the pool's ``stats()`` (``{"size", "in_use", "waiting"}``) when it has one.

With several processes (``--processes N``, gunicorn workers) each process counts its own requests;
set ``PROMETHEUS_MULTIPROC_DIR`` before start-up to have prometheus-client add them up.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("forum_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "forum_http_request_duration_seconds", "Time to answer an HTTP request", ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL = Gauge("forum_db_pool_connections", "Database pool connections by state", ["state"],
             multiprocess_mode="livesum")
# Objects the cyclic collector no longer looks at (shared.longlived: frozen while many sockets are open).
FROZEN = Gauge("forum_gc_frozen_objects", "Objects frozen out of the garbage collector's passes",
               multiprocess_mode="livesum")

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"   # the route label for requests no route matched (404s)


@functools.lru_cache(maxsize=1024)
def _series(route: str, method: str, status: int) -> tuple[Any, Any]:
    """The counter and the histogram of one (route, method, status): found once, not on every request
    (``labels`` validates and locks each time). Routes are templates, so the combinations are few."""
    return REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method)


def observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    requests, latency = _series(route, method, status)
    requests.inc()
    latency.observe(seconds)


def render(pool_stats: Callable[[], Mapping[str, int]] | None = None) -> bytes:
    """The text exposition of every metric, with the pool and frozen-object gauges read now."""
    FROZEN.set(gc.get_freeze_count())
    if pool_stats is not None:
        for state, value in pool_stats().items():
            POOL.labels(state).set(value)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
