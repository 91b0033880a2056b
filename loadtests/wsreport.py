"""What ``forum bench ws`` leaves behind: results.json, report.md, ws-memory.png and ws-latency.png."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

TARGET_SOCKETS, TARGET_MB = 19_000, 300   # RELIABILITY 51


def write(directory: Path, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    (directory / "results.json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    if rows:
        plot_memory(directory, meta, rows)
        plot_latency(directory, rows)
    (directory / "report.md").write_text(markdown(meta, rows))


def plot_memory(directory: Path, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    fig, ax = plt.subplots(figsize=(8, 5))
    xs = [0, *(r["sockets"] for r in rows)]
    base = meta.get("idle_server_rss_mb", 0)
    ax.plot(xs, [base, *(r["rss_mb"] for r in rows)], marker="o", label="idle sockets")
    ax.plot(xs[1:], [r["rss_watching_mb"] for r in rows], marker="s", linestyle=":",
            label="every socket watching a thread")
    ax.axhline(TARGET_MB, color="red", linestyle="--", linewidth=1, label=f"target: {TARGET_MB} MB")
    ax.axvline(TARGET_SOCKETS, color="red", linestyle=":", linewidth=1, label=f"{TARGET_SOCKETS:,} sockets")
    for r in rows:
        ax.annotate(f"{r['kb_per_socket']:g} KB/socket", (r["sockets"], r["rss_mb"]), textcoords="offset points",
                    xytext=(-10, 8), fontsize="small", ha="right")
    ax.set_xlabel("open WebSockets on one Tornado process")
    ax.set_ylabel("server RSS (MB)")
    ax.set_title("Memory of one Tornado process holding idle WebSockets")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    fig.savefig(directory / "ws-memory.png", dpi=100)
    plt.close(fig)


def plot_latency(directory: Path, rows: list[dict[str, Any]]) -> None:
    fig, ax = plt.subplots(figsize=(8, 5))
    xs = [r["sockets"] for r in rows]
    series = (("notification", "p99_ms", "notification to ~100 sockets, p99", "-"),
              ("notification", "p50_ms", "notification, p50", ":"),
              ("thread", "p99_ms", "thread comment to every socket, p99", "-"),
              ("thread", "p50_ms", "thread comment, p50", ":"))
    for kind, key, label, style in series:
        ax.plot(xs, [r[kind][key] for r in rows], marker="o", linestyle=style, label=label)
    ax.plot(xs, [max(r[k]["healthz"]["p99_ms"] or 0 for k in ("notification", "thread")) for r in rows],
            marker="^", label="/healthz during the fan-outs, p99")
    ax.axhline(500, color="red", linestyle="--", linewidth=1, label="targets: delivery p99 500 ms")
    ax.axhline(50, color="orange", linestyle="--", linewidth=1, label="/healthz 50 ms")
    ax.set_yscale("log")
    ax.set_xlabel("open WebSockets on one Tornado process")
    ax.set_ylabel("latency (ms), from the comment's POST to arrival")
    ax.set_title("Delivery while the sockets are held")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(directory / "ws-latency.png", dpi=100)
    plt.close(fig)


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:g}"


def markdown(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    m = meta.get("machine", {})
    lines = [
        f"# forum bench ws — {meta.get('started', '')}",
        "",
        f"- Commit `{meta.get('commit')}`; `forum bench ws {' '.join(meta.get('argv', []))}`",
        f"- Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB; Python {m.get('python')}; "
        f"load average at start {m.get('load_average_at_start')}",
        f"- Pinning: {meta.get('pinning')}",
        f"- Open-file limit {meta.get('open_file_limit')}: the server holds at most {meta.get('capacity')} sockets; "
        f"database {meta.get('database')}; the idle server's RSS {meta.get('idle_server_rss_mb')} MB",
        "",
        "![memory](ws-memory.png) ![latency](ws-latency.png)",
        "",
        "| sockets | open s | refused | RSS MB | KB/socket | RSS watching MB | notification: sockets, p50, p99, max ms "
        "| /healthz p99 | thread: sockets, p50, p99, max ms | /healthz p99 |",
        "| ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | --- | ---: |",
    ]
    for r in rows:
        n, t = r["notification"], r["thread"]
        lines.append(
            f"| {r['sockets']:,} | {r['open_seconds']} | {r['refused'] or '–'} | {r['rss_mb']} | {r['kb_per_socket']} "
            f"| {r['rss_watching_mb']} | {n['sockets_per_event']}: {_ms(n['p50_ms'])}, {_ms(n['p99_ms'])}, "
            f"{_ms(n['max_ms'])} | {_ms(n['healthz']['p99_ms'])} | {t['sockets_per_event']}: {_ms(t['p50_ms'])}, "
            f"{_ms(t['p99_ms'])}, {_ms(t['max_ms'])} | {_ms(t['healthz']['p99_ms'])} |")
    beyond = [r["beyond_capacity"] for r in rows if "beyond_capacity" in r]
    if beyond:
        lines += ["", f"At capacity, {beyond[0]['tried']} more sockets tried: refused {beyond[0]['refused']}; "
                  f"held afterwards {beyond[0]['held_after']:,}; /healthz answered: {beyond[0]['healthz_ok']}."]
    lines += ["", "KB/socket: (RSS with the sockets − the idle server's RSS) / sockets. Latencies from just before "
              "the comment's POST to each socket's message, over every round; /healthz as sent by a probe every "
              "20 ms while the deliveries were under way.", ""]
    return "\n".join(lines)
