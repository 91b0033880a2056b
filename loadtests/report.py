"""What ``forum bench`` leaves behind: results.json, results.csv, report.md and PNG plots.

The report states how the numbers were made (machine, pinning, load generator CPU) next to the
numbers, and marks the ones that cannot be trusted, so nobody reads more into them than they hold.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, NullFormatter, ScalarFormatter  # noqa: E402

COLUMNS = ("flavour", "framework", "ceiling", "scenario", "users", "status", "requests", "failures", "fail_ratio",
           "rps", "rps_attempted", "p50_ms", "p95_ms", "p99_ms", "server_cpu_cores", "server_rss_peak_mb", "locust_cpu_share",
           "db_cpu_cores", "upstream_cpu_cores", "error")
LOCUST_BUSY = 0.9       # above this share of its core, locust itself may be what limits the numbers
FAILURES_NOTED = 0.01


def write(directory: Path, meta: dict[str, Any], flavours: dict[str, dict[str, Any]],
          results: list[dict[str, Any]]) -> None:
    (directory / "results.json").write_text(json.dumps(
        {"meta": meta, "flavours": flavours, "results": results}, indent=2))
    with open(directory / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(results)
    scenarios = list(dict.fromkeys(r["scenario"] for r in results))
    # One colour per flavour for every plot of the run: tab20's ten strong colours, then its ten light ones.
    tab20 = plt.get_cmap("tab20")
    palette = [tab20(i) for i in [*range(0, 20, 2), *range(1, 20, 2)]]
    colours = {name: palette[i % len(palette)] for i, name in enumerate(dict.fromkeys(r["flavour"] for r in results))}
    for scenario in scenarios:
        plot(directory, scenario, [r for r in results if r["scenario"] == scenario], colours)
    (directory / "report.md").write_text(markdown(meta, flavours, results, scenarios))


def plot(directory: Path, scenario: str, rows: list[dict[str, Any]], colours: dict[str, Any]) -> None:
    """Two plots per scenario, one line per flavour in its own colour; ceilings dashed; steps without numbers are gaps."""
    for metric, label, log_y in (("rps", "requests/s", False), ("p99_ms", "p99 latency (ms)", True)):
        fig, ax = plt.subplots(figsize=(8, 5))
        by_flavour: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_flavour[row["flavour"]].append(row)
        for name, series in by_flavour.items():
            points = [(r["users"], r[metric]) for r in series if r["status"] == "ok" and r.get(metric)]
            if points:
                xs, ys = zip(*sorted(points), strict=True)
                ax.plot(xs, ys, marker="o", label=name, color=colours[name],
                        linestyle="--" if series[0]["ceiling"] else "-")
        ax.set_xscale("log")
        ax.set_xticks(sorted({r["users"] for r in rows}))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        if log_y:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())
            low, high = ax.get_ylim()    # label minor ticks only when no decade line is there to read
            ax.yaxis.set_minor_formatter(FormatStrFormatter("%g") if high / low < 10 else NullFormatter())
        ax.set_xlabel("concurrent users")
        ax.set_ylabel(label)
        ax.set_title(f"{scenario}: {label} vs users")
        ax.grid(True, which="both", alpha=0.3)
        if ax.lines:
            ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(directory / f"{scenario}-{'throughput' if metric == 'rps' else 'p99'}.png", dpi=100)
        plt.close(fig)


def _peaks(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each flavour's best throughput in one scenario, with the user count it came at."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["status"] == "ok" and row.get("rps") and row["rps"] > best.get(row["flavour"], {}).get("rps", 0):
            best[row["flavour"]] = row
    return best


def _cell(value: Any, suffix: str = "") -> str:
    return "–" if value is None else f"{value:g}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def markdown(meta: dict[str, Any], flavours: dict[str, dict[str, Any]], results: list[dict[str, Any]],
             scenarios: list[str]) -> str:
    m = meta.get("machine", {})
    options = meta.get("options", {})
    database = meta.get("database", {})
    lines = [
        f"# forum bench — {meta.get('started', '')}",
        "",
        f"- Commit `{meta.get('commit')}`; `forum bench {' '.join(meta.get('argv', []))}`",
        f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB; Python {m.get('python')}, "
        f"locust {m.get('locust')}; load average at start {m.get('load_average_at_start')}",
        f"- Pinning: {meta.get('pinning')}",
        f"- Each step: {options.get('duration')} s measured after every user is running (locust `--reset-stats`); "
        f"workers {options.get('workers')}, threads {options.get('threads')}, "
        f"tornado-nginx processes {options.get('processes')}; database pool per process "
        f"{options.get('pool_size') or 'as configured (FORUM_POOL_SIZE, default 10)'}",
        f"- Database: {database.get('url')} — size `{database.get('size')}` "
        f"({', '.join(f'{k} {database[k]:,}' for k in ('users', 'groups', 'posts', 'comments', 'questions') if k in database)}); "
        f"seeded {database.get('seeded', '–')}" + (f"; **{database['error']}**" if database.get("error") else ""),
        f"- I/O scenario upstream delay: {meta.get('upstream', {}).get('delay_ms', '–')} ms",
        *(f"- **Note:** {note}" for note in meta.get("notes", [])),
        "",
        "How to read it: req/s counts successful answers per second over the measured window (failed ones are in *failed*); latencies as locust saw them over loopback; server "
        "CPU in cores used by the server's whole process tree (1 = one full core), RSS summed over the tree; "
        f"locust CPU as a share of its one core — above {LOCUST_BUSY:g} (⚠) the load generator, not the "
        "server, may be the limit. *vs ceiling* divides a flavour's best req/s by its framework's bare "
        "hello-world server's best on the same route (hello, io) or on `/healthz` (reader, writer).",
        "",
        "## Flavours",
        "",
        "| flavour | framework | command | client connections | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, f in flavours.items():
        outcome = f.get("status", "–") + (f": {f['reason']}" if f.get("reason") else "")
        lines.append(f"| {name} | {f['framework']}{' (ceiling)' if f['ceiling'] else ''} | `{f.get('command', '')}` "
                     f"| {f['keep_alive']} | {outcome.replace('|', '/')} |")
    hello_peaks = _peaks([r for r in results if r["scenario"] == "hello"])
    for scenario in scenarios:
        rows = [r for r in results if r["scenario"] == scenario]
        peaks = _peaks(rows)
        lines += ["", f"## Scenario: {scenario}", "",
                  f"![{scenario} throughput]({scenario}-throughput.png) ![{scenario} p99]({scenario}-p99.png)", "",
                  "| flavour | users | req/s | p50 ms | p95 ms | p99 ms | failed | server cores | RSS MB "
                  "| locust core | db cores | notes |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for r in rows:
            if r["status"] != "ok":
                lines.append(f"| {r['flavour']} | {r['users']} | | | | | | | | | | **{r['status']}** |")
                continue
            notes = []
            if (r.get("locust_cpu_share") or 0) > LOCUST_BUSY:
                notes.append("⚠ locust busy")
            if (r.get("fail_ratio") or 0) > FAILURES_NOTED:
                notes.append(f"failures: {r.get('error')}")
            lines.append(
                f"| {r['flavour']} | {r['users']} | {_cell(r['rps'])} | {_cell(r['p50_ms'])} | {_cell(r['p95_ms'])} "
                f"| {_cell(r['p99_ms'])} | {_cell(r['failures'])} | {_cell(r.get('server_cpu_cores'))} "
                f"| {_cell(r.get('server_rss_peak_mb'))} | {_cell(r.get('locust_cpu_share'))} "
                f"| {_cell(r.get('db_cpu_cores'))} | {'; '.join(notes).replace('|', '/')} |")
        lines += ["", "| flavour | best req/s | at users | p99 / p50 there | vs ceiling |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for name, best in sorted(peaks.items(), key=lambda item: -item[1]["rps"]):
            ceiling_name = f"hello-{best['framework']}"
            ceiling = peaks.get(ceiling_name) or hello_peaks.get(ceiling_name)
            share = f"{best['rps'] / ceiling['rps']:.0%}" if ceiling and not best["ceiling"] else "–"
            tail = f"{best['p99_ms'] / best['p50_ms']:.1f}×" if best.get("p99_ms") and best.get("p50_ms") else "–"
            lines.append(f"| {name} | {best['rps']:g} | {best['users']} | {tail} | {share} |")
    lines += ["", "Raw numbers: `results.csv`, `results.json`; locust's own CSVs and every process's log "
              "are under `locust/` and `logs/`.", ""]
    return "\n".join(lines)
