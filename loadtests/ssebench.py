"""``forum bench sse``: idle Server-Sent Event streams on gunicorn sync, gthread and gevent — how many
each holds, what they cost, and how fast a notification reaches them (issue #18, the contrast to
``forum bench ws``).

For each flavour: ``forum serve gunicorn --worker-class K`` (``--workers``, ``--threads``; Redis wakes
the streams, as in production) on one core; the bench on the other opens idle ``GET /api/v1/events``
streams at each level (asyncio streams, HTTP/1.0 so that no chunking splits a line, ``--concurrency``
at a time) and sorts them: **held** (200 and the first ``retry:`` line), **refused** (503: every
stream slot taken), **hung** (no answer within ``--answer-timeout`` s: the request waits for a
worker), other. Then the server's RSS (its whole process tree: launcher, master, workers, notifier,
mail sender) and, over ``--rounds`` comments that ``@mention`` every stream's user, the latency of
each ``event: notification`` from just before the POST to its arrival (and the slowest POST's own
answer: on gthread a worker whose threads all stream still accepts connections, which would wait
without the cap of threads − 1 streams a worker). The streams are closed
before the next level. Output: results.json, results.csv, report.md in ``--out``.

    forum bench sse                                  # sync, gthread, gevent at 10,100,1000 (+3000 gevent)
    forum bench sse --flavours gunicorn-gevent --levels 5 --rounds 1   # a smoke run (tests/bench)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import requests

from loadtests import processes
from loadtests.bench import _account, _commit, _machine, _redact
from loadtests.processes import ROOT, Cores
from loadtests.wsbench import raise_file_limit, summary
from shared.cli.processes import forum_command, free_port

ACTOR = "sseb_actor"
MAX_MENTIONS = 10   # shared.markdown: mentions past the tenth notify nobody
FLAVOURS = {"gunicorn-sync": "sync", "gunicorn-gthread": "gthread", "gunicorn-gevent": "gevent"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="forum bench sse", description=__doc__.splitlines()[0])
    p.add_argument("--flavours", default=",".join(FLAVOURS), help=f"comma-separated, of {', '.join(FLAVOURS)}")
    p.add_argument("--levels", default="10,100,1000", help="streams tried at each step, every flavour")
    p.add_argument("--gevent-levels", default="3000", help="further levels for gunicorn-gevent only")
    p.add_argument("--workers", type=int, default=5, help="gunicorn workers (forum bench's default)")
    p.add_argument("--threads", type=int, default=4, help="gthread: threads per worker")
    p.add_argument("--users", type=int, default=MAX_MENTIONS, help="accounts the streams belong to, round robin "
                   "(at most 10: one comment mentions them all, so every held stream gets each notification)")
    p.add_argument("--rounds", type=int, default=3, help="notifications timed per level")
    p.add_argument("--concurrency", type=int, default=50, help="streams being opened at once")
    p.add_argument("--answer-timeout", type=float, default=10.0, help="seconds before an unanswered stream is hung")
    p.add_argument("--database-url", default="sqlite:///var/bench/sse.sqlite3", help="FORUM_DATABASE_URL")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="FORUM_REDIS_URL ('' polls the database)")
    p.add_argument("--settle", type=int, default=3, help="RSS samples a second apart (the lowest is kept)")
    p.add_argument("--start-timeout", type=float, default=90.0)
    p.add_argument("--out", help="report directory (default: loadtests/reports/sse-<stamp>)")
    options = p.parse_args(argv)
    options.argv = argv
    options.users = max(1, min(MAX_MENTIONS, options.users))
    return options


class Streams:
    """Idle event streams held by an asyncio loop in a thread of its own; arrival times of notifications."""

    def __init__(self, port: int, answer_timeout: float) -> None:
        self.port, self.answer_timeout = port, answer_timeout
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True, name="sse-streams").start()
        self.writers: list[asyncio.StreamWriter] = []
        self.readers: list[asyncio.Task[None]] = []
        self.arrivals: list[float] = []
        self.ended = 0

    def run(self, coroutine: Any, timeout: float = 600) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _one(self, token: str, limit: asyncio.Semaphore) -> str:
        async with limit:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)
            except (OSError, TimeoutError) as exc:
                return type(exc).__name__
            writer.write(f"GET /api/v1/events?token={token} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            try:
                status = await asyncio.wait_for(reader.readline(), self.answer_timeout)
                code = status.split()[1].decode() if len(status.split()) > 1 else "closed"
                if code == "200":
                    while not (line := await asyncio.wait_for(reader.readline(), self.answer_timeout)).startswith(
                            b"retry:"):
                        if not line:
                            raise ConnectionError
            except TimeoutError:
                writer.close()
                return "hung"
            except (OSError, ConnectionError):
                writer.close()
                return "closed"
            if code != "200":
                writer.close()
                return code
            self.writers.append(writer)
            self.readers.append(asyncio.ensure_future(self._read(reader)))
            return "held"

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                if line.startswith(b"event: notification"):
                    self.arrivals.append(time.time())
        except OSError:
            pass
        self.ended += 1

    async def _open(self, tokens: list[str], concurrency: int) -> Counter[str]:
        limit = asyncio.Semaphore(concurrency)
        return Counter(await asyncio.gather(*(self._one(t, limit) for t in tokens)))

    def open(self, tokens: list[str], concurrency: int) -> Counter[str]:
        return self.run(self._open(tokens, concurrency))

    async def _close(self) -> None:
        for writer in self.writers:
            writer.close()
        for task in self.readers:
            task.cancel()
        await asyncio.sleep(0.2)
        self.writers, self.readers, self.arrivals, self.ended = [], [], [], 0

    def close(self) -> None:
        self.run(self._close())

    def collect(self) -> list[float]:
        arrivals, self.arrivals = self.arrivals, []
        return arrivals

    def stop(self) -> None:
        self.close()
        self.loop.call_soon_threadsafe(self.loop.stop)


class SseBench:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.dir = Path(options.out) if options.out else ROOT / "loadtests" / "reports" / f"sse-{stamp}"
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        self.cores = Cores.split(1)
        self.rows: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}

    def say(self, text: str) -> None:
        print(f"forum bench sse: {text}", flush=True)

    def env(self, flavour: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "FORUM_DATABASE_URL": self.options.database_url,
               "FORUM_SECRET": self.secret, "FORUM_LOG_LEVEL": "warning", "FORUM_LIMIT_POSTING": "100000/60",
               "FORUM_REDIS_URL": self.options.redis_url}
        env.pop("FORUM_SSE_MAX_STREAMS", None)   # the launcher's own cap
        if flavour == "gunicorn-gevent":   # no gunicorn timeout kills a gevent worker: streams last the level
            env["FORUM_SSE_STREAM_SECONDS"] = "900"
        return env

    def rss(self, server: subprocess.Popen[bytes]) -> tuple[int, int]:
        """The server's whole tree: RSS in bytes and the count of processes."""
        root = psutil.Process(server.pid)
        tree = [root, *root.children(recursive=True)]
        total = 0
        for p in tree:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total, len(tree)

    def settled_rss(self, server: subprocess.Popen[bytes]) -> tuple[int, int]:
        samples = []
        for _ in range(max(1, self.options.settle)):
            time.sleep(1)
            samples.append(self.rss(server))
        return min(samples)

    def start(self, flavour: str, port: int) -> subprocess.Popen[bytes]:
        o = self.options
        command = forum_command("serve", "gunicorn", "--worker-class", FLAVOURS[flavour], "--workers",
                                str(o.workers), "--threads", str(o.threads if flavour == "gunicorn-gthread" else 1),
                                "--port", str(port))
        log = self.dir / "logs" / f"{flavour}.log"
        server = processes.start(command, self.cores.server, log, self.env(flavour))
        problem = processes.wait_ready(server, f"http://127.0.0.1:{port}/healthz", o.start_timeout, log)
        if problem:
            processes.stop(server)
            raise RuntimeError(f"{flavour} did not start: {problem}")
        return server

    def prepare(self, url: str) -> None:
        """Accounts, and a post by the actor to comment on (once, on the first flavour's server)."""
        made = [_account(url, name) for name in [ACTOR, *(f"sseb_{i:02d}" for i in range(self.options.users))]]
        failed = [a for a in made if "token" not in a]
        if failed:
            raise RuntimeError(f"{len(failed)} accounts could not log in: {failed[0]['error']}")
        self.actor, self.tokens = made[0]["token"], [a["token"] for a in made[1:]]
        self.names = [a["username"] for a in made[1:]]
        auth = {"Authorization": f"Bearer {self.actor}"}
        group = requests.post(f"{url}/api/v1/groups", headers=auth, timeout=30,
                              json={"name": f"sse bench {secrets.token_hex(4)}", "category": "bench"})
        group.raise_for_status()
        post = requests.post(f"{url}/api/v1/groups/{group.json()['id']}/posts", headers=auth, timeout=30,
                             json={"title": "Where the mentions are made", "content": "The SSE benchmark's thread."})
        post.raise_for_status()
        self.post_id = post.json()["id"]

    def rounds(self, url: str, streams: Streams, held: int) -> dict[str, Any]:
        latencies: list[float] = []
        reached: list[int] = []
        posts: list[float] = []   # the comment's own answer: on gthread it may wait behind a worker's streams
        text = "Benchmark: " + " ".join(f"@{n}" for n in self.names)
        for _ in range(self.options.rounds):
            streams.collect()
            sent = time.time()
            answer = requests.post(f"{url}/api/v1/posts/{self.post_id}/comments", timeout=60,
                                   headers={"Authorization": f"Bearer {self.actor}"}, json={"content": text})
            answer.raise_for_status()
            posts.append(1000 * (time.time() - sent))
            deadline, seen, changed = time.monotonic() + 60, 0, time.monotonic()
            while seen < held and time.monotonic() < deadline and time.monotonic() - changed < 5:
                time.sleep(0.05)
                if len(streams.arrivals) != seen:
                    seen, changed = len(streams.arrivals), time.monotonic()
            arrivals = streams.collect()
            latencies += [1000 * (t - sent) for t in arrivals]
            reached.append(len(arrivals))
            time.sleep(0.3)
        return {"reached_per_event": round(sum(reached) / max(1, len(reached))), **summary(latencies),
                "post_ms": summary(posts)["max_ms"]}

    def flavour(self, flavour: str, steps: list[int]) -> None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.say(f"{flavour}: starting")
        server = self.start(flavour, port)
        streams = Streams(port, self.options.answer_timeout)
        try:
            if not hasattr(self, "tokens"):
                self.prepare(url)
            base, count = self.settled_rss(server)
            for target in steps:
                started = time.monotonic()
                outcome = streams.open([self.tokens[i % len(self.tokens)] for i in range(target)],
                                       self.options.concurrency)
                held = outcome.get("held", 0)
                row: dict[str, Any] = {
                    "flavour": flavour, "tried": target, "held": held, "refused_503": outcome.get("503", 0),
                    "hung": outcome.get("hung", 0),
                    "other": {k: v for k, v in outcome.items() if k not in ("held", "503", "hung")},
                    "open_seconds": round(time.monotonic() - started, 1), "processes": count,
                    "idle_rss_mb": round(base / 2**20, 1)}
                rss, row["processes"] = self.settled_rss(server)
                row["rss_mb"] = round(rss / 2**20, 1)
                row["mb_per_held"] = round(rss / max(held, 1) / 2**20, 2)
                row["kb_per_held_above_idle"] = round((rss - base) / max(held, 1) / 1024, 1)
                row["healthz_ok"] = self.healthz(url)
                row["notification"] = self.rounds(url, streams, held)
                row["still_held"] = held - streams.ended
                self.rows.append(row)
                self.say(f"{flavour} {target}: held {held}, 503 {row['refused_503']}, hung {row['hung']}, "
                         f"other {row['other'] or '-'}; RSS {row['rss_mb']} MB ({row['kb_per_held_above_idle']} KB "
                         f"a stream above idle); notification to {row['notification']['reached_per_event']}: "
                         f"p50 {row['notification']['p50_ms']} p99 {row['notification']['p99_ms']} ms; "
                         f"/healthz {'ok' if row['healthz_ok'] else 'FAILED'}")
                streams.close()
                self.write()
                if target != steps[-1]:
                    time.sleep(2)   # the closed streams' workers notice at their next write
        finally:
            streams.stop()
            processes.stop(server)

    def healthz(self, url: str) -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=10).ok
        except requests.RequestException:
            return False

    def run(self) -> int:
        o = self.options
        self.secret = secrets.token_urlsafe(32)
        hard = raise_file_limit()
        levels = sorted({int(x) for x in o.levels.split(",") if x.strip()})
        extra = sorted({int(x) for x in o.gevent_levels.split(",") if x.strip()})
        chosen = [f.strip() for f in o.flavours.split(",") if f.strip()]
        unknown = [f for f in chosen if f not in FLAVOURS]
        if unknown:
            raise SystemExit(f"forum bench sse: unknown flavours {unknown}; known: {', '.join(FLAVOURS)}")
        self.meta.update(started=datetime.now(UTC).isoformat(timespec="seconds"), machine=_machine(),
                         commit=_commit(), argv=o.argv, open_file_limit=hard, database=_redact(o.database_url),
                         redis=bool(o.redis_url), options={k: v for k, v in vars(o).items() if k != "argv"})
        if o.database_url.startswith("sqlite:///"):
            (ROOT / o.database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "logs" / "forum.log", "ab") as log:
            subprocess.run(forum_command("migrate"), cwd=ROOT, env=self.env(chosen[0]), stdout=log,
                           stderr=subprocess.STDOUT, check=True)
        try:
            for flavour in chosen:
                steps = levels + (extra if flavour == "gunicorn-gevent" else [])
                self.flavour(flavour, [n for n in steps if 0 < n < hard // 3])
        finally:
            self.meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            self.write()
        self.say(f"report: {self.dir / 'report.md'}")
        return 0 if self.rows else 1

    def write(self) -> None:
        (self.dir / "results.json").write_text(json.dumps({"meta": self.meta, "results": self.rows}, indent=2))
        fields = ["flavour", "tried", "held", "refused_503", "hung", "other", "open_seconds", "processes",
                  "idle_rss_mb", "rss_mb", "mb_per_held", "kb_per_held_above_idle", "healthz_ok",
                  "reached_per_event", "p50_ms", "p99_ms", "max_ms", "post_ms", "still_held"]
        with open(self.dir / "results.csv", "w", newline="") as out:
            w = csv.DictWriter(out, fields)
            w.writeheader()
            for r in self.rows:
                w.writerow({**{k: r.get(k) for k in fields}, **{k: r["notification"].get(k) for k in
                            ("reached_per_event", "p50_ms", "p99_ms", "max_ms", "post_ms")}, "other": json.dumps(r["other"])})
        lines = [f"# forum bench sse — {self.meta.get('started')}", "",
                 f"`{' '.join(['forum bench sse', *self.options.argv])}`; commit {self.meta.get('commit')}; "
                 f"open-file limit {self.meta.get('open_file_limit')}; Redis wake-ups: {self.meta.get('redis')}.", "",
                 "| flavour | tried | held | 503 | hung | other | RSS MB (idle) | MB / held | KB / held above idle "
                 "| notification reached | p50 ms | p99 ms | /healthz |",
                 "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in self.rows:
            n = r["notification"]
            lines.append(f"| {r['flavour']} | {r['tried']} | {r['held']} | {r['refused_503']} | {r['hung']} | "
                         f"{r['other'] or ''} | {r['rss_mb']} ({r['idle_rss_mb']}) | {r['mb_per_held']} | "
                         f"{r['kb_per_held_above_idle']} | {n['reached_per_event']} | {n['p50_ms']} | {n['p99_ms']} | "
                         f"{'ok' if r['healthz_ok'] else 'failed'} |")
        (self.dir / "report.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    """``forum bench sse ARGS``: hold the streams on each flavour, time the notifications, write the report."""
    return SseBench(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
