"""The server's CPU per reader request, per URL kind: robust where req/s on a shared machine is noise.

Starts one server process (``forum serve tornado --processes 1`` by default) on a seeded database,
finds one concrete URL of each kind the reader scenario reads (``locustfile.ReaderUser``), then for
each kind runs ``wrk`` for a while and divides the CPU seconds the server's process tree used by the
requests it answered::

    .venv/bin/python -m loadtests.readercpu --database-url mysql://root@127.0.0.1:3306/forum_reader_bench
    FORUM_MYSQL_DRIVER=asyncmy .venv/bin/python -m loadtests.readercpu ...
    git archive COMMIT | tar -x -C /tmp/before && .venv/bin/python -m loadtests.readercpu --against /tmp/before

A wall-clock rate depends on what else the machine runs; CPU time used per request much less so, but
on a busy machine it still rises with the load (cache misses, context switches). ``--against DIR``
serves the same database from another copy of the code (an older commit) at the same time, and
measures the two URL by URL, alternately, so both see the same load; compare those two columns.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import requests

from loadtests import processes
from shared.cli import processes as launch
from shared.cli.processes import forum_command, free_port

SERVER_CORE, CLIENT_CORE = (0,), (1,)
SERVERS = {"tornado": ["tornado", "--processes", "1"],
           "gunicorn-sync": ["gunicorn", "--workers", "1", "--worker-class", "sync"]}


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of the process and its children so far."""
    total = 0.0
    parent = psutil.Process(pid)
    for one in [parent, *parent.children(recursive=True)]:
        try:
            times = one.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def wrk(url: str, connections: int, duration: float) -> int:
    """Requests answered (wrk's count); any non-2xx answer or socket error stops the measurement."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", url]
    out = subprocess.run(processes.pinned(command, CLIENT_CORE), capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw failures on {url}:\n{out}")
    match = re.search(r"(\d+) requests in", out)
    if match is None:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    return int(match.group(1))


def reader_urls(api: str) -> dict[str, str]:
    """One URL of each kind the reader reads, with real ids from the database."""
    def items(path: str) -> list[dict[str, object]]:
        answer = requests.get(api + path, timeout=30)
        answer.raise_for_status()
        found: list[dict[str, object]] = answer.json()["items"]
        return found

    group = max(items("/groups?limit=20"), key=lambda g: int(str(g["post_count"])))["id"]
    post = max(items(f"/groups/{group}/posts?limit=20"), key=lambda p: int(str(p["comment_count"])))["id"]
    question = max(items("/questions?limit=20"), key=lambda q: int(str(q["answer_count"])))["id"]
    return {
        "/groups": "/groups?limit=20",
        "/groups/{id}/posts": f"/groups/{group}/posts?limit=20",
        "/posts/{id}": f"/posts/{post}",
        "/posts/{id}/comments": f"/posts/{post}/comments?limit=20",
        "/questions": "/questions?limit=20",
        "/questions/{id}": f"/questions/{question}",
        "/questions/{id}/answers": f"/questions/{question}/answers?limit=20",
        "/healthz (no database)": "HEALTHZ",
    }


def serve(args: argparse.Namespace, env: dict[str, str], code: Path, logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    """One server from the code in ``code``, on the server core; its base URL once it answers."""
    port = free_port()
    command = forum_command("serve", *SERVERS[args.server], "--port", str(port), "--pool-size", str(args.pool_size))
    log = logs / f"server-{port}.log"
    with open(log, "ab") as out:
        server = launch.start(processes.pinned(command, SERVER_CORE), cwd=code, env={**env, "PYTHONPATH": str(code)},
                              stdout=out, stderr=subprocess.STDOUT)
    problem = processes.wait_ready(server, f"http://127.0.0.1:{port}/healthz", 60, log)
    if problem:
        processes.stop(server)
        raise SystemExit(f"server from {code} did not start: {problem}")
    return server, f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "FORUM_DATABASE_URL", "mysql://root@127.0.0.1:3306/forum_reader_bench"))
    parser.add_argument("--server", choices=list(SERVERS), default="tornado")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of wrk per round and URL")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every URL; the median is shown")
    parser.add_argument("--against", type=Path, help="another copy of the code, measured alternately")
    args = parser.parse_args()

    env = {**os.environ, "FORUM_DATABASE_URL": args.database_url, "FORUM_LOG_LEVEL": "warning",
           "FORUM_SECRET": os.environ.get("FORUM_SECRET", "perf-readercpu-secret-0123456789abcdef")}
    logs = Path(tempfile.mkdtemp(prefix="forum-readercpu-"))
    codes = {"this": processes.ROOT, **({"against": args.against.resolve()} if args.against else {})}
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for name, code in codes.items():
            servers[name] = serve(args, env, code, logs)
        urls = reader_urls(f"{servers['this'][1]}/api/v1")
        samples: dict[str, dict[str, list[float]]] = {name: {kind: [] for kind in urls} for name in servers}

        def full(base: str, path: str) -> str:
            return f"{base}/healthz" if path == "HEALTHZ" else f"{base}/api/v1{path}"

        for _, base in servers.values():   # warm-up: connections opened, every code path taken once
            for path in urls.values():
                wrk(full(base, path), args.connections, 1)
        for _ in range(args.rounds):
            for kind, path in urls.items():
                for name, (server, base) in servers.items():
                    before = tree_cpu(server.pid)
                    answered = wrk(full(base, path), args.connections, args.duration)
                    samples[name][kind].append(1e6 * (tree_cpu(server.pid) - before) / answered)
        driver = os.environ.get("FORUM_MYSQL_DRIVER", "default")
        print(f"{args.server}, driver {driver}, {args.connections} connections, pool {args.pool_size}, "
              f"{args.rounds} × {args.duration:g} s per URL; µs of server CPU per request, median (range)")
        print(f"  {'':<28} " + "  ".join(f"{name + ' (' + str(codes[name]) + ')':>22}" for name in servers))
        totals = dict.fromkeys(servers, 0.0)
        for kind in urls:
            cells = []
            for name in servers:
                values = samples[name][kind]
                median = statistics.median(values)
                if not kind.startswith("/healthz"):
                    totals[name] += median
                cells.append(f"{median:7.0f} ({min(values):.0f}–{max(values):.0f})")
            print(f"  {kind:<28} " + "  ".join(f"{cell:>22}" for cell in cells) + f"  {urls[kind]}")
        print(f"  {'a reader visit (7 pages)':<28} " + "  ".join(f"{totals[name]:>22.0f}" for name in servers))
        return 0
    finally:
        for server, _ in servers.values():
            processes.stop(server)


if __name__ == "__main__":
    sys.exit(main())
