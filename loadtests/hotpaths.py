"""A short, repeatable micro-benchmark of the hot paths: one Tornado process under ``wrk``.

Unlike ``forum bench`` it measures one request shape at a time, quickly, to compare a change before
and after on the same machine. Needs ``wrk`` (Debian: ``apt-get install wrk``) and a seeded database
(``forum seed --users 1000 ...``; user ``user1`` with the bulk seed password logs in).

    .venv/bin/python -m loadtests.hotpaths reader --connections 64 --pool-size 10
    .venv/bin/python -m loadtests.hotpaths io --connections 200
    .venv/bin/python -m loadtests.hotpaths hello
    .venv/bin/python -m loadtests.hotpaths io --connections 200 --server gunicorn-sync

The server runs on core 0, wrk (and the slow upstream) on core 1, as in ``forum bench``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from loadtests import processes
from shared.cli.processes import forum_command, free_port
from shared.cli.seed import SEED_PASSWORD

SERVER_CORE, CLIENT_CORE = (0,), (1,)
SERVERS = {"tornado": ["tornado"], "gunicorn-sync": ["gunicorn", "--workers", "5", "--worker-class", "sync"]}


def wrk(url: str, connections: int, duration: int, token: str | None) -> dict[str, str]:
    """Run wrk on the client core and read its summary: req/s, p50, p99, non-2xx answers."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(processes.pinned([*command, url], CLIENT_CORE), capture_output=True, text=True,
                         check=True).stdout

    def find(pattern: str, default: str = "-") -> str:
        match = re.search(pattern, out, re.MULTILINE)
        return match.group(1) if match else default

    return {"req/s": find(r"^Requests/sec:\s+(\S+)"), "p50": find(r"^\s+50%\s+(\S+)"),
            "p99": find(r"^\s+99%\s+(\S+)"), "non-2xx": find(r"Non-2xx or 3xx responses: (\d+)", "0"),
            "errors": find(r"Socket errors: (.*)$", "none")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["reader", "io", "hello"])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--server", choices=list(SERVERS), default="tornado")
    parser.add_argument("--database-url", default=os.environ.get(
        "FORUM_DATABASE_URL", "mysql://root@127.0.0.1:3306/forum_pf_bench"))
    args = parser.parse_args()

    port, upstream_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FORUM_DATABASE_URL": args.database_url, "FORUM_LOG_LEVEL": "warning",
           "FORUM_SECRET": os.environ.get("FORUM_SECRET", "perf-hotpaths-secret-0123456789abcdef"),
           "FORUM_LINK_PREVIEW_ALLOW": f"127.0.0.1:{upstream_port}"}
    logs = Path(tempfile.mkdtemp(prefix="forum-perf-"))
    started = []
    try:
        if args.scenario == "io":
            started.append(processes.start([sys.executable, "-m", "loadtests.upstream", "--port",
                                            str(upstream_port)], CLIENT_CORE, logs / "upstream.log", env))
        server = processes.start(forum_command("serve", *SERVERS[args.server], "--port", str(port), "--pool-size",
                                               str(args.pool_size)), SERVER_CORE, logs / "server.log", env)
        started.append(server)
        problem = processes.wait_ready(server, f"{base}/healthz", 30, logs / "server.log")
        if problem:
            print(f"server did not start: {problem}", file=sys.stderr)
            return 1
        token, url = None, f"{base}/healthz"
        if args.scenario != "hello":
            login = requests.post(f"{base}/api/v1/auth/login", json={"login": "user1", "password": SEED_PASSWORD},
                                  timeout=30)
            login.raise_for_status()
            token = login.json()["access_token"]
            if args.scenario == "reader":
                group = requests.get(f"{base}/api/v1/groups", timeout=10).json()["items"][0]["id"]
                url = f"{base}/api/v1/groups/{group}/posts"
            else:
                url = f"{base}/api/v1/link-preview?url=http://127.0.0.1:{upstream_port}/"
        wrk(url, args.connections, 2, token)   # warm-up: connections opened, code paths taken
        result = wrk(url, args.connections, args.duration, token)
        print(f"{args.server} {args.scenario} c={args.connections} pool={args.pool_size}: "
              + ", ".join(f"{key} {value}" for key, value in result.items()), flush=True)
        return 0
    finally:
        for process in reversed(started):
            processes.stop(process)


if __name__ == "__main__":
    sys.exit(main())
