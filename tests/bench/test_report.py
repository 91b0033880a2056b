"""The report writer on made-up results: a flavour that failed to start is shown, never dropped."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from loadtests import report
from loadtests.bench import read_locust_csv


def _row(flavour: str, users: int, rps: float, framework: str = "tornado", ceiling: bool = False) -> dict:
    return {"flavour": flavour, "framework": framework, "ceiling": ceiling, "scenario": "io", "users": users,
            "status": "ok", "requests": int(rps * 10), "failures": 0, "fail_ratio": 0.0, "rps": rps,
            "p50_ms": 100.0, "p95_ms": 120.0, "p99_ms": 150.0, "server_cpu_cores": 0.5,
            "server_rss_peak_mb": 60.0, "locust_cpu_share": 0.95, "error": None}


def test_report_shows_failures_ceilings_and_a_busy_load_generator(tmp_path: Path) -> None:
    flavours = {
        "hello-tornado": {"framework": "tornado", "keep_alive": "kept alive", "ceiling": True, "status": "ran"},
        "tornado": {"framework": "tornado", "keep_alive": "kept alive", "ceiling": False, "status": "ran"},
        "uwsgi-nginx": {"framework": "flask", "keep_alive": "by nginx", "ceiling": False,
                        "status": "failed to start", "reason": "exited with code 1: no uwsgi"},
    }
    results = [_row("hello-tornado", 10, 100.0, ceiling=True), _row("hello-tornado", 50, 400.0, ceiling=True),
               _row("tornado", 10, 90.0), _row("tornado", 50, 200.0),
               {"flavour": "uwsgi-nginx", "framework": "flask", "ceiling": False, "scenario": "io", "users": 10,
                "status": "failed to start", "error": "exited with code 1: no uwsgi"}]

    report.write(tmp_path, {"options": {"duration": 5}}, flavours, results)

    text = (tmp_path / "report.md").read_text()
    assert "failed to start: exited with code 1: no uwsgi" in text
    assert "| tornado | 200 | 50 | 1.5× | 50% |" in text   # best req/s, its tail, against the framework's ceiling
    assert "⚠ locust busy" in text
    with open(tmp_path / "results.csv", newline="") as f:
        assert [r["flavour"] for r in csv.DictReader(f)].count("uwsgi-nginx") == 1
    assert json.loads((tmp_path / "results.json").read_text())["flavours"]["uwsgi-nginx"]["status"] == "failed to start"
    assert (tmp_path / "io-throughput.png").stat().st_size > 0 and (tmp_path / "io-p99.png").stat().st_size > 0


def test_locust_csv_is_read_from_the_aggregated_row(tmp_path: Path) -> None:
    prefix = tmp_path / "step"
    header = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
              "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
              "99.9%,99.99%,100%")
    Path(f"{prefix}_stats.csv").write_text(
        f"{header}\nGET,/healthz,10,0,1,1,1,2,15,5.0,0,1,1,1,1,1,2,2,2,2,2,2\n"
        ",Aggregated,20,2,1,1,1,2,15,10.0,1.0,1,1,1,1,1,2,2,3,3,3,3\n")
    Path(f"{prefix}_failures.csv").write_text(
        "Method,Name,Error,Occurrences\nGET,/x,HTTP 503,2\n")
    stats = read_locust_csv(prefix)
    assert stats is not None
    assert (stats["requests"], stats["failures"], stats["p99_ms"]) == (20, 2, 3.0)
    assert (stats["rps"], stats["rps_attempted"]) == (9.0, 10.0)   # throughput counts successes only
    assert stats["error"] == "GET /x: HTTP 503 ×2"
    assert read_locust_csv(tmp_path / "missing") is None
