"""Operations endpoints outside the API: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from async_app.handlers.base import BaseHandler
from shared import metrics


class HealthHandler(BaseHandler):
    """``/healthz``: the process runs and its loop answers (no database involved)."""

    def get(self) -> None:
        self.write_json({"status": "ok"})


class ReadyHandler(HealthHandler):
    """``/readyz``: 200 when the database answers, else 503 problem+json (raised by the pool)."""

    async def get(self) -> None:  # type: ignore[override]
        await self.application.db.ping()
        self.write_json({"status": "ready"})


class MetricsHandler(HealthHandler):
    def get(self) -> None:
        db = self.application.db
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.finish(metrics.render(lambda: {"size": db.size, "in_use": db.in_use, "waiting": db.waiting}))
