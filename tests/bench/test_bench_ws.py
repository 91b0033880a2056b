"""``forum bench ws`` end to end at a tiny size: sockets are held, every delivery is timed, the report is written.

Only that the numbers exist is checked, never what they are: the machine's load decides those.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_ws_scenario_holds_sockets_and_times_deliveries(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "bench", "ws", "--levels", "12,30", "--clients", "2", "--users", "3",
         "--rounds", "2", "--database-url", f"sqlite:///{tmp_path / 'ws.sqlite3'}", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert (out / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]

    rows = json.loads((out / "results.json").read_text())["results"]
    assert [r["sockets"] for r in rows] == [12, 30]
    for row in rows:
        assert row["watching"] == row["sockets"], row
        assert row["rss_mb"] > 0 and row["kb_per_socket"] is not None, row
        assert row["thread"]["sockets_per_event"] == row["sockets"], row   # every watcher got each comment
        assert row["notification"]["sockets_per_event"] == row["notification"]["expected_per_event"], row
        for kind in ("notification", "thread"):
            assert row[kind]["p50_ms"] is not None and row[kind]["p99_ms"] is not None, (kind, row)
            assert row[kind]["healthz"]["n"] > 0, (kind, row)
    for name in ("report.md", "ws-memory.png", "ws-latency.png"):
        assert (out / name).stat().st_size > 0, name
    assert done.returncode == 0, done.stdout[-3000:]
