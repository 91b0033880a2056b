"""``forum bench ws``: how many idle WebSockets one Tornado process holds, what each costs, and how fast
a notification still gets through while they are held (issue #18, RELIABILITY 51).

One ``forum serve tornado`` process (one core); several client processes (:mod:`loadtests.wsclient`)
on the other core, each from its own loopback address. At each level (1k, 5k, 10k, and as many as the
open-file limit allows: ``max``) the clients open sockets up to that many, then:

1. **memory**: the server's RSS with the sockets idle, and per socket above the RSS before any;
2. **notifications**: a comment that ``@mentions`` users, so that about ``--notify-sockets`` sockets
   (the mentioned users' own) each get ``{"type": "notification"}``; every one of these sockets reads
   its notification and unread count from the database (the per-user path);
3. **live thread**: every socket watches one post, then a comment on it reaches all of them (the
   topic path: encoded once, written to each socket);

timing each delivery from just before the comment's POST to its arrival in a client, and ``/healthz``
from a probe that asks every 20 ms throughout. At ``max`` a few more sockets are tried as well: the
server must refuse them (503), not fall over. Everything lands in ``loadtests/reports/ws-<stamp>/``:
results.json, report.md and the plots.

    forum bench ws                                   # 1000,5000,10000,max
    forum bench ws --levels 20,50 --clients 2 --users 5 --rounds 2   # a smoke run (tests/bench)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psutil
import requests

from loadtests import processes
from loadtests.bench import _account, _commit, _machine, _redact
from loadtests.processes import ROOT, Cores
from shared.cli.processes import forum_command, free_port
from shared.notifier import RESERVED_FILES

ACTOR = "wsb_actor"          # writes the comments; holds no socket
MAX_MENTIONS = 10            # shared.markdown: mentions past the tenth notify nobody
BEYOND_MAX = 20              # sockets tried past the server's capacity at the last level


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="forum bench ws", description=__doc__.splitlines()[0])
    p.add_argument("--levels", default="1000,5000,10000,max",
                   help="sockets held at each step; max: the open-file limit less the server's reserve")
    p.add_argument("--clients", type=int, default=4, help="client processes (each from its own 127.0.0.x)")
    p.add_argument("--users", type=int, default=100, help="accounts the sockets belong to, round robin")
    p.add_argument("--notify-sockets", type=int, default=100,
                   help="about how many sockets one notification reaches (users mentioned × their sockets)")
    p.add_argument("--rounds", type=int, default=5, help="notifications and thread comments timed per level")
    p.add_argument("--pool-size", type=int, default=10, help="the server's database connections (FORUM_POOL_SIZE)")
    p.add_argument("--database-url", default="sqlite:///var/bench/ws.sqlite3",
                   help="FORUM_DATABASE_URL (migrated by the bench; accounts are reused when they exist)")
    p.add_argument("--start-timeout", type=float, default=60.0)
    p.add_argument("--out", help="report directory (default: loadtests/reports/ws-<stamp>)")
    options = p.parse_args(argv)
    options.argv = argv
    return options


def raise_file_limit() -> int:
    """The soft open-file limit up to the hard one (children inherit it): one descriptor per socket."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def levels(raw: str, capacity: int) -> list[int]:
    """``1000,5000,max`` → [1000, 5000, capacity]; levels above the capacity are dropped."""
    chosen = [capacity if part.strip() == "max" else int(part) for part in raw.split(",") if part.strip()]
    return sorted({n for n in chosen if 0 < n <= capacity})


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))], 1)


def summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99),
            "max_ms": round(max(values), 1) if values else None}


class Clients:
    """The client processes, each driven by one JSON line in and one out."""

    def __init__(self, count: int, url: str, tokens: Path, cores: tuple[int, ...], logs: Path, env: dict[str, str]):
        self.procs: list[subprocess.Popen[bytes]] = []
        for i in range(count):
            command = [sys.executable, "-m", "loadtests.wsclient", "--url", url, "--tokens", str(tokens),
                       "--offset", str(i), "--stride", str(count), "--source", f"127.0.0.{i + 2}"]
            with open(logs / f"client-{i}.log", "ab") as log:
                self.procs.append(subprocess.Popen(processes.pinned(command, cores), cwd=ROOT, env=env,
                                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                                   start_new_session=True))

    def ask(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One command to each client (the same index), all at once; their answers in order."""
        for proc, command in zip(self.procs, commands, strict=True):
            stdin: IO[bytes] = proc.stdin   # type: ignore[assignment]
            stdin.write((json.dumps(command) + "\n").encode())
            stdin.flush()
        answers = []
        for proc in self.procs:
            line = proc.stdout.readline()   # type: ignore[union-attr]
            if not line:
                raise RuntimeError(f"client {proc.pid} exited with code {proc.wait()}")
            answers.append(json.loads(line))
        return answers

    def all(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return self.ask([command] * len(self.procs))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None and proc.stdin:
                proc.stdin.close()   # end of input: the client closes its sockets and exits
        for proc in self.procs:
            processes.stop(proc, grace=30)


class HealthProbe:
    """``GET /healthz`` every 20 ms in a thread: (when it was sent, how long it took in ms)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="healthz-probe")
        self._thread.start()

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                sent, started = time.time(), time.perf_counter()
                try:
                    session.get(self.url, timeout=10)
                    self.samples.append((sent, 1000 * (time.perf_counter() - started)))
                except requests.RequestException:
                    self.samples.append((sent, 10_000.0))
                self._stop.wait(0.02)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.samples if start <= sent <= end]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


class WsBench:
    """One run: the server, its accounts and thread, the clients, and the rows measured so far."""

    server: subprocess.Popen[bytes]
    clients: Clients
    probe: HealthProbe

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.dir = Path(options.out) if options.out else ROOT / "loadtests" / "reports" / f"ws-{stamp}"
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        self.cores = Cores.split(1)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "FORUM_DATABASE_URL": options.database_url,
                    "FORUM_SECRET": secrets.token_urlsafe(32), "FORUM_LOG_LEVEL": "warning",
                    "FORUM_POOL_SIZE": str(options.pool_size), "FORUM_LIMIT_POSTING": "100000/60",
                    "FORUM_REDIS_URL": ""}   # one process: the hub hands events over directly
        self.rows: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}

    def say(self, text: str) -> None:
        print(f"forum bench ws: {text}", flush=True)

    def pinning(self) -> str:
        if not self.cores.pinned:
            return "not pinned (fewer than 2 cores available)"
        return (f"the server on core(s) {','.join(map(str, self.cores.server))}; the client processes on core(s) "
                f"{','.join(map(str, self.cores.client))}")

    def rss(self) -> int:
        """The server's resident memory in bytes (its whole tree: it is one process)."""
        root = psutil.Process(self.server.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])

    def settled_rss(self) -> int:
        """RSS once the last handshakes' garbage is gone: the lowest of a few samples over 3 s."""
        samples = []
        for _ in range(4):
            time.sleep(1)
            samples.append(self.rss())
        return min(samples)

    # -- setting up -------------------------------------------------------------------------------

    def forum(self, *args: str) -> None:
        with open(self.dir / "logs" / "forum.log", "ab") as log:
            subprocess.run(forum_command(*args), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                           check=True)

    def start_server(self) -> None:
        if self.options.database_url.startswith("sqlite:///"):
            (ROOT / self.options.database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        self.forum("migrate")
        log = self.dir / "logs" / "server.log"
        command = forum_command("serve", "tornado", "--processes", "1", "--port", str(self.port))
        self.server = processes.start(command, self.cores.server, log, self.env)
        problem = processes.wait_ready(self.server, f"{self.url}/healthz", self.options.start_timeout, log)
        if problem:
            raise RuntimeError(f"the server did not start: {problem}")

    def accounts(self) -> tuple[dict[str, str], list[str]]:
        """The actor and the socket holders, registered (or logged in again) through the API."""
        made = [_account(self.url, name) for name in
                [ACTOR, *(f"wsb_{i:04d}" for i in range(self.options.users))]]
        failed = [a for a in made if "token" not in a]
        if failed:
            raise RuntimeError(f"{len(failed)} accounts could not log in: {failed[0]['error']}")
        return made[0], [a["token"] for a in made[1:]]

    def threads(self, actor: dict[str, str]) -> tuple[int, int]:
        """A group with two posts by the actor: one every socket watches, one for the mentions."""
        api, auth = f"{self.url}/api/v1", {"Authorization": f"Bearer {actor['token']}"}
        group = requests.post(f"{api}/groups", headers=auth, timeout=30, json={
            "name": f"ws bench {secrets.token_hex(4)}", "category": "bench"})
        group.raise_for_status()
        ids = []
        for title in ("Watched by every socket", "Where the mentions are made"):
            post = requests.post(f"{api}/groups/{group.json()['id']}/posts", headers=auth, timeout=30,
                                 json={"title": title, "content": "The WebSocket benchmark's thread."})
            post.raise_for_status()
            ids.append(post.json()["id"])
        return ids[0], ids[1]

    # -- one level --------------------------------------------------------------------------------

    def share(self, total: int, client: int) -> int:
        """How many of the first ``total`` sockets client ``client`` holds (socket j is client j % C's)."""
        return max(0, -(-(total - client) // self.options.clients))

    def comment(self, post_id: int, text: str) -> tuple[float, float]:
        """Post a comment as the actor; the instants just before it was sent and when its answer came."""
        for attempt in range(10):   # 503: every pool connection busy with the last fan-out's reads
            sent = time.time()
            answer = requests.post(f"{self.url}/api/v1/posts/{post_id}/comments", timeout=60,
                                   headers={"Authorization": f"Bearer {self.actor['token']}"}, json={"content": text})
            if answer.status_code != 503:
                break
            time.sleep(1 + attempt)
        answer.raise_for_status()
        return sent, time.time()

    def deliveries(self, sent: float, expected: int) -> tuple[list[float], float]:
        """Wait until ``expected`` messages arrived (or none for 3 s); their latencies in ms, and the last arrival."""
        deadline, seen, last_change = time.monotonic() + 60, 0, time.monotonic()
        while seen < expected and time.monotonic() < deadline and time.monotonic() - last_change < 3:
            time.sleep(0.05)
            now = sum(a["count"] for a in self.clients.all({"count": True}))
            if now != seen:
                seen, last_change = now, time.monotonic()
        arrivals = [t for answer in self.clients.all({"collect": True}) for t in answer["arrivals"]]
        return [1000 * (t - sent) for t in arrivals], max(arrivals, default=sent)

    def timed_rounds(self, held: int, kind: str, post_id: int) -> dict[str, Any]:
        """``rounds`` comments, one at a time; latencies of every delivery, and /healthz meanwhile."""
        latencies: list[float] = []
        health: list[float] = []
        answered: list[float] = []   # the comment's own request, sent to answered
        spread: list[float] = []     # first arrival to last: how long the fan-out took
        reached: list[int] = []
        users, per_user = self.options.users, held / self.options.users
        mentioned = min(MAX_MENTIONS, users, max(1, round(self.options.notify_sockets / per_user)))
        for r in range(self.options.rounds):
            if kind == "notification":
                owners = [(r * mentioned + k) % users for k in range(mentioned)]
                expected = sum(-(-(held - u) // users) for u in owners)   # socket j belongs to user j % users
                text = "Benchmark: " + " ".join(f"@wsb_{u:04d}" for u in owners)
            else:
                expected, text = held, f"Benchmark comment {r} on the watched thread."
            sent, done = self.comment(post_id, text)
            times, last = self.deliveries(sent, expected)
            latencies += times
            answered.append(1000 * (done - sent))
            if times:
                spread.append(max(times) - min(times))
            reached.append(len(times))
            health += self.probe.between(sent, max(last, sent + 0.2))
            time.sleep(0.5)
        return {"sockets_per_event": round(sum(reached) / len(reached)), "expected_per_event": expected,
                **summary(latencies), "healthz": summary(health), "comment_answered": summary(answered),
                "fanout_spread": summary(spread)}

    def level(self, target: int, capacity: int) -> dict[str, Any]:
        started = time.monotonic()
        answers = self.clients.ask([{"open": self.share(target, i)} for i in range(self.options.clients)])
        held = sum(a["open"] for a in answers)
        row: dict[str, Any] = {"target": target, "sockets": held, "open_seconds": round(time.monotonic() - started, 1)}
        refused: dict[str, int] = {}
        for a in answers:
            for why, n in a["refused"].items():
                refused[why] = refused.get(why, 0) + n
        row["refused"] = refused
        rss = self.settled_rss()
        row["rss_mb"] = round(rss / 2**20, 1)
        row["kb_per_socket"] = round((rss - self.base_rss) / max(held, 1) / 1024, 2)
        self.say(f"{held} sockets held ({row['open_seconds']} s to open; refused {refused or 'none'}): "
                 f"RSS {row['rss_mb']} MB, {row['kb_per_socket']} KB a socket above the idle server")
        row["notification"] = self.timed_rounds(held, "notification", self.quiet_post)
        self.say(f"  notification to ~{row['notification']['sockets_per_event']} sockets: "
                 f"p50 {row['notification']['p50_ms']} ms, p99 {row['notification']['p99_ms']} ms; "
                 f"/healthz p99 {row['notification']['healthz']['p99_ms']} ms")
        watching = sum(a["watching"] for a in self.clients.all({"watch": self.watched_post}))
        row["watching"] = watching
        row["rss_watching_mb"] = round(self.settled_rss() / 2**20, 1)
        row["thread"] = self.timed_rounds(held, "thread", self.watched_post)
        self.say(f"  thread comment to {row['thread']['sockets_per_event']} watchers: p50 {row['thread']['p50_ms']} ms, "
                 f"p99 {row['thread']['p99_ms']} ms; /healthz p99 {row['thread']['healthz']['p99_ms']} ms; the comment "
                 f"answered in {row['thread']['comment_answered']['p50_ms']} ms (p50), first to last arrival "
                 f"{row['thread']['fanout_spread']['p50_ms']} ms (p50)")
        if target == capacity:
            extra = self.clients.ask([{"open": self.share(target + BEYOND_MAX, i)}
                                      for i in range(self.options.clients)])
            beyond: dict[str, int] = {}   # the clients count refusals since they started
            for a in extra:
                for why, n in a["refused"].items():
                    beyond[why] = beyond.get(why, 0) + n
            row["beyond_capacity"] = {"tried": BEYOND_MAX, "held_after": sum(a["open"] for a in extra),
                                      "refused": {k: v - refused.get(k, 0) for k, v in beyond.items()},
                                      "healthz_ok": requests.get(f"{self.url}/healthz", timeout=10).ok}
            self.say(f"  {BEYOND_MAX} more tried at capacity: {row['beyond_capacity']}")
        return row

    # -- the whole run ----------------------------------------------------------------------------

    def run(self) -> int:
        o = self.options
        hard = raise_file_limit()
        capacity = hard - RESERVED_FILES - o.pool_size   # shared.notifier.socket_capacity, as the server sees it
        steps = levels(o.levels, capacity)
        self.meta.update(started=datetime.now(UTC).isoformat(timespec="seconds"), machine=_machine(),
                         commit=_commit(), argv=o.argv, pinning=self.pinning(), open_file_limit=hard,
                         capacity=capacity, database=_redact(o.database_url),
                         options={k: v for k, v in vars(o).items() if k != "argv"})
        self.say(f"levels {steps} on one Tornado process; {o.clients} client processes → {self.dir}")
        clients, probe = None, None
        try:
            self.start_server()
            self.actor, tokens = self.accounts()
            self.watched_post, self.quiet_post = self.threads(self.actor)
            (self.dir / "tokens.json").write_text(json.dumps(tokens))
            self.base_rss = self.settled_rss()
            self.meta["idle_server_rss_mb"] = round(self.base_rss / 2**20, 1)
            ws_url = f"ws://127.0.0.1:{self.port}/ws/notifications"
            self.clients = clients = Clients(o.clients, ws_url, self.dir / "tokens.json", self.cores.client,
                                   self.dir / "logs", self.env)
            self.probe = probe = HealthProbe(f"{self.url}/healthz")
            for target in steps:
                self.rows.append(self.level(target, capacity))
                self.write()
        finally:
            if probe:
                probe.stop()
            if clients:
                clients.stop()
            if getattr(self, "server", None):
                processes.stop(self.server)
            (self.dir / "tokens.json").unlink(missing_ok=True)
            self.meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            self.write()
        self.say(f"report: {self.dir / 'report.md'}")
        return 0 if self.rows and all(r["sockets"] == r["target"] for r in self.rows) else 1

    def write(self) -> None:
        from loadtests import wsreport

        wsreport.write(self.dir, self.meta, self.rows)


def main(argv: list[str]) -> int:
    """``forum bench ws ARGS``: hold the sockets, time the deliveries, write the report."""
    return WsBench(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
