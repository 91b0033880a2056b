"""``forum bench sse`` at a tiny size: gevent holds every stream and each gets the notification; sync holds
one fewer than its workers and refuses the rest with 503 (none hangs); the report is written.

Counts are checked, latencies only for being there: the machine's load decides those.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_sse_contrast_holds_on_gevent_and_refuses_past_the_sync_workers(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "bench", "sse", "--flavours", "gunicorn-sync,gunicorn-gevent",
         "--levels", "5", "--gevent-levels", "", "--workers", "2", "--users", "2", "--rounds", "1", "--settle", "1",
         "--database-url", f"sqlite:///{tmp_path / 'sse.sqlite3'}", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert (out / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]

    rows = {r["flavour"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    sync, gevent = rows["gunicorn-sync"], rows["gunicorn-gevent"]
    assert (sync["held"], sync["refused_503"], sync["hung"]) == (1, 4, 0), sync   # 2 workers: 1 stream slot
    assert (gevent["held"], gevent["refused_503"], gevent["hung"]) == (5, 0, 0), gevent
    for row in (sync, gevent):
        assert row["healthz_ok"] and row["rss_mb"] > 0, row
        assert row["notification"]["reached_per_event"] == row["held"], row
        assert row["notification"]["p99_ms"] is not None, row
    assert "gunicorn-gevent" in (out / "report.md").read_text()
    assert (out / "results.csv").stat().st_size > 0
    assert done.returncode == 0, done.stdout[-3000:]
