"""``forum bench`` end to end on a small matrix: every flavour it was given produces numbers.

Only that numbers exist is checked, never what they are: the machine's load decides those.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAVOURS = ("hello-tornado", "hello-flask", "tornado", "gunicorn-sync")
SCENARIOS = ("reader", "io")


@pytest.mark.slow
def test_every_flavour_produces_numbers(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "bench", "--quick", "--flavours", ",".join(FLAVOURS),
         "--scenarios", ",".join(SCENARIOS), "--users", "10", "--duration", "4", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert (out / "results.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]

    run = json.loads((out / "results.json").read_text())
    for name in FLAVOURS:
        assert run["flavours"][name].get("status") == "ran", (name, run["flavours"][name])
        rows = [r for r in run["results"] if r["flavour"] == name]
        expected = {"io"} if name.startswith("hello-") else set(SCENARIOS)
        assert {r["scenario"] for r in rows} == expected, name
        for row in rows:
            assert row["status"] == "ok", row
            assert row["requests"] > 0, row
            for key in ("rps", "p50_ms", "p99_ms", "server_cpu_cores", "locust_cpu_share"):
                assert row[key] is not None, (key, row)
    for name in ("report.md", "results.csv", "reader-throughput.png", "io-p99.png"):
        assert (out / name).stat().st_size > 0, name
    assert done.returncode == 0, done.stdout[-3000:]
