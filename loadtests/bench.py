"""``forum bench``: every flavour under the same locust load, side by side, with the hello-world ceilings.

For each flavour: start it (pinned to its own cores), wait until it answers, warm it up, then run
locust headless at each user count for a fixed time, one scenario at a time, while psutil watches
the server's whole process tree. A flavour that fails to start is reported as such, never dropped.
Everything lands in ``loadtests/reports/<stamp>/``: results.json, results.csv, report.md, plots.

    forum bench --quick                                  # a small matrix, under 3 minutes (CI smoke)
    forum bench --users 10,50,200,1000 --duration 20     # the full comparison on MySQL
    forum bench --mysql-drivers aiomysql,asyncmy,pymysql,mysqlclient   # each flavour on each of its drivers
    forum bench ws                                       # idle WebSockets on one process (loadtests/wsbench.py)
    forum bench sse                                      # idle SSE streams on gunicorn sync/gthread/gevent
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from loadtests import processes, report
from loadtests.processes import ROOT, Cores, TreeSampler
from shared.cli.processes import forum_command, free_port
from shared.config import MYSQL_DRIVERS

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
SCENARIOS = {"reader": "ReaderUser", "reader-max": "ReaderUser", "writer": "WriterUser", "io": "IOUser",
             "hello": "HelloUser", "search": "SearchUser"}
# reader-max: the reader's pages with no think time, at 64 users only. It saturates the server, so it
# gives the reader's ceiling (read against the hello-world one) and the tail-latency check (p99 / p50
# with 64 connections) in the same run as everything else.
STEP_USERS = {"reader-max": [64]}
ACCOUNT_PASSWORD = "bench load test password"   # bench accounts only: reproducible logins, no secret


@dataclass(frozen=True)
class Flavour:
    name: str
    framework: str                  # "tornado" or "flask": whose ceiling its figures are read against
    args: tuple[str, ...]           # after ``forum serve`` (or ``python -m loadtests.hello``)
    keep_alive: str                 # what happens to the client's connection, for the report
    ceiling: bool = False
    mysql_driver: str = ""          # FORUM_MYSQL_DRIVER for this run (--mysql-drivers); empty: the default

    def command(self, port: int, options: argparse.Namespace) -> list[str]:
        front = ["-m", "loadtests.hello"] if self.ceiling else ["-m", "shared.cli", "serve"]
        args = [a.format(workers=options.workers, threads=options.threads, processes=options.processes)
                for a in self.args]
        return [sys.executable, *front, *args, "--port", str(port)]

    def on_drivers(self, drivers: list[str]) -> list[Flavour]:
        """This flavour once per listed driver of its kind (the event loop's for Tornado, the workers'
        for Flask), each named ``flavour+driver``; itself when none is listed, or for a ceiling."""
        kind = "async" if self.framework == "tornado" else "sync"
        mine = [driver for driver in drivers if MYSQL_DRIVERS[driver] == kind]
        if self.ceiling or not mine:
            return [self]
        return [replace(self, name=f"{self.name}+{driver}", mysql_driver=driver) for driver in mine]

    def runs(self, scenario: str) -> bool:
        """The ceilings only have the two routes that cost nothing but the framework and the network."""
        return not self.ceiling or scenario in ("hello", "io")


FLAVOURS = {f.name: f for f in (
    Flavour("hello-tornado", "tornado", ("tornado", "--http-client", "curl"), "kept alive", ceiling=True),
    Flavour("hello-tornado-simple", "tornado", ("tornado", "--http-client", "simple"),
            "kept alive (the ceiling with Tornado's default simple_httpclient: a new upstream connection "
            "per fetch)", ceiling=True),
    Flavour("hello-flask", "flask", ("flask", "--workers", "{workers}"), "closed after each response "
            "(gunicorn sync)", ceiling=True),
    Flavour("tornado", "tornado", ("tornado",), "kept alive (Tornado HTTP/1.1)"),
    Flavour("tornado-nginx", "tornado", ("tornado", "--processes", "{processes}", "--nginx"),
            "kept alive by nginx; nginx keeps up to 32 idle connections to the app (keepalive 32)"),
    Flavour("wsgi-container", "flask", ("wsgi-container",), "kept alive (Tornado HTTPServer)"),
    Flavour("wsgi-container-noexec", "flask", ("wsgi-container", "--no-executor"),
            "kept alive (Tornado HTTPServer); Flask runs on the event loop"),
    Flavour("gunicorn-sync", "flask", ("gunicorn", "--worker-class", "sync", "--workers", "{workers}"),
            "closed after each response (sync workers never keep alive)"),
    Flavour("gunicorn-gthread", "flask", ("gunicorn", "--worker-class", "gthread", "--workers", "{workers}",
                                          "--threads", "{threads}"), "kept alive (gthread, keepalive 5 s)"),
    Flavour("gunicorn-gevent", "flask", ("gunicorn", "--worker-class", "gevent", "--workers", "{workers}"),
            "kept alive (gevent, keepalive 5 s)"),
    Flavour("uwsgi-nginx", "flask", ("uwsgi", "--processes", "{workers}", "--threads", "{threads}", "--nginx"),
            "kept alive by nginx; one uwsgi-protocol connection per request on a unix socket"),
)}

SIZES = {   # users, groups, posts, comments, questions handed to ``forum seed``
    "tiny": {"users": 50, "groups": 5, "posts": 200, "comments": 1000, "questions": 50},
    "small": {"users": 1000, "groups": 20, "posts": 5000, "comments": 50_000, "questions": 1000},
    "medium": {"users": 10_000, "groups": 100, "posts": 100_000, "comments": 1_000_000, "questions": 10_000},
}

QUICK = {"flavours": "hello-tornado,hello-flask,tornado,gunicorn-sync", "scenarios": "reader,io",
         "users": "10,50", "duration": 5.0, "warmup": 2.0, "size": "tiny"}
FULL = {"flavours": ",".join(FLAVOURS), "scenarios": "reader,reader-max,io,writer,hello",
        "users": "10,50,200,1000", "duration": 20.0, "warmup": 5.0, "size": "medium"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="forum bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"a small matrix for CI smoke: {QUICK}")
    p.add_argument("--flavours", help=f"comma list from: {', '.join(FLAVOURS)}")
    p.add_argument("--scenarios", help=f"comma list from: {', '.join(SCENARIOS)}")
    p.add_argument("--users", help="user counts to step through, e.g. 10,50,200,1000")
    p.add_argument("--duration", type=float, help="seconds measured at each step (after the ramp)")
    p.add_argument("--warmup", type=float, help="seconds of unrecorded load after a flavour starts")
    p.add_argument("--workers", type=int, default=5, help="gunicorn/uWSGI workers, and hello-flask's")
    p.add_argument("--threads", type=int, default=4, help="gthread and uWSGI threads per worker")
    p.add_argument("--processes", type=int, default=0, help="tornado-nginx processes (default: server cores, at least 2)")
    p.add_argument("--pool-size", type=int, help="database connections per server process (FORUM_POOL_SIZE)")
    p.add_argument("--server-cores", type=int, default=0, help="cores for the server (default: all but one)")
    p.add_argument("--mysql-drivers", default="", help="run each flavour on each of these drivers of its kind, "
                   f"side by side (FORUM_MYSQL_DRIVER), from: {', '.join(MYSQL_DRIVERS)}")
    p.add_argument("--database", default="forum_bench", help="MySQL database name (made if missing)")
    p.add_argument("--database-url", help="any FORUM_DATABASE_URL instead, e.g. sqlite:///var/bench.sqlite3")
    p.add_argument("--size", choices=SIZES, help="how much data to seed (reused while the size matches)")
    p.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    p.add_argument("--accounts", type=int, help="accounts for writers and I/O users (default: the most users)")
    p.add_argument("--upstream-delay-ms", type=float, default=100.0, help="the slow page's delay")
    p.add_argument("--start-timeout", type=float, default=60.0)
    p.add_argument("--out", help="report directory (default: loadtests/reports/<stamp>)")
    options = p.parse_args(argv)
    options.argv = argv
    defaults = QUICK if options.quick else FULL
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    if options.quick and not options.database_url:
        options.database_url = "sqlite:///var/bench/quick.sqlite3"
    options.flavours = _choose(options.flavours, FLAVOURS, p)
    options.scenarios = _choose(options.scenarios, SCENARIOS, p)
    options.users = [int(u) for u in options.users.split(",")]
    options.mysql_drivers = _choose(options.mysql_drivers, MYSQL_DRIVERS, p)
    if not re.fullmatch(r"[A-Za-z0-9_]+", options.database):
        p.error("--database: letters, digits and _ only")
    if options.database_url and not options.database_url.startswith(("mysql://", "sqlite:///")):
        p.error("--database-url: mysql://… or sqlite:///…")
    return options


def _choose(raw: str, known: dict[str, Any], parser: argparse.ArgumentParser) -> list[str]:
    chosen = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)} (choose from {', '.join(known)})")
    return chosen


class Bench:
    """One bench run: its options, its directory, its environment, and the results so far."""

    def __init__(self, options: argparse.Namespace, console: Console) -> None:
        self.options = options
        self.console = console
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.dir = Path(options.out) if options.out else ROOT / "loadtests" / "reports" / stamp
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = ROOT / "var" / "bench"        # kept between runs: the key, seed markers, accounts
        self.state.mkdir(parents=True, exist_ok=True)
        self.cores = Cores.split(options.server_cores or None)
        # At least 2, so the flavour is what its name says even when the server has one core to itself.
        options.processes = options.processes or max(2, len(self.cores.server))
        self.database_url = options.database_url or f"mysql://root@127.0.0.1:3306/{options.database}"
        self.upstream_port = free_port()
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "FORUM_DATABASE_URL": self.database_url, "FORUM_SECRET": self._secret(),
                    "FORUM_LINK_PREVIEW_ALLOW": f"127.0.0.1:{self.upstream_port}",
                    "FORUM_LOG_LEVEL": "warning",   # no access log on the hot path, for every flavour alike
                    # locust plays nginx: each simulated user's X-Forwarded-For is its own address
                    "FORUM_TRUSTED_PROXIES": "127.0.0.1,::1"}
        if options.pool_size:
            self.env["FORUM_POOL_SIZE"] = str(options.pool_size)
        self.accounts_file = self.state / f"accounts-{_slug(self.database_url)}.json"
        self.db_sampler: TreeSampler | None = None
        self.upstream_sampler: TreeSampler | None = None
        self.results: list[dict[str, Any]] = []
        self.flavour_status: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, Any] = {}

    def _secret(self) -> str:
        """One key for every flavour, so a token made against one works against all of them."""
        key = self.state / "secret.key"
        if not key.exists():
            key.write_text(secrets.token_urlsafe(48))
            key.chmod(0o600)
        return key.read_text().strip()

    # -- the database ------------------------------------------------------------------------------

    def prepare_database(self) -> None:
        """Create, migrate and seed the database, or reuse it when it was seeded at this size."""
        size = SIZES[self.options.size]
        info: dict[str, Any] = {"url": _redact(self.database_url), "size": self.options.size, **size}
        self.meta["database"] = info
        marker = self.state / f"seeded-{_slug(self.database_url)}.json"
        try:
            if self.options.reseed:
                marker.unlink(missing_ok=True)
                self._drop_database()
            if self._create_database():
                marker.unlink(missing_ok=True)            # a new, empty database: the marker is stale
        except Exception as exc:  # noqa: BLE001 - any reason is reported; each flavour then says what it sees
            info["error"] = f"cannot create the database: {exc}"
            return
        failed = self._forum(["migrate"], "migrate")
        if failed:
            info["error"] = f"forum migrate failed: {failed}"
            return
        if marker.exists() and json.loads(marker.read_text()) == size:
            info["seeded"] = "reused"
            return
        if self._holds_users():
            info["error"] = (f"the database already holds data, and {marker.relative_to(ROOT)} does not say this "
                             f"checkout seeded it at size {self.options.size}: seeding adds rows, so it would double "
                             "them; --reseed drops the database and seeds it again")
            return
        self.accounts_file.unlink(missing_ok=True)    # accounts made against old data may be gone
        started = time.monotonic()
        failed = self._forum(["seed", "--no-progress", *(f"--{k}={v}" for k, v in size.items())], "seed")
        if failed:
            info["error"] = f"forum seed failed: {failed}"
            return
        info["seeded"] = f"in {time.monotonic() - started:.0f} s"
        marker.write_text(json.dumps(size))

    def _forum(self, args: list[str], name: str) -> str | None:
        log = self.dir / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            done = subprocess.run(forum_command(*args), cwd=ROOT, env=self.env,
                                  stdout=out, stderr=subprocess.STDOUT, check=False)
        return None if done.returncode == 0 else f"exit {done.returncode}: {processes.tail(log)}"

    def _mysql_admin(self, statement: str) -> int:
        """The one thing the forum cannot do for itself: make or drop the database it migrates."""
        import pymysql

        url = urlsplit(self.database_url)
        connection = pymysql.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306,
                                     user=unquote(url.username or "root"), password=unquote(url.password or ""),
                                     connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                return int(cursor.execute(statement))
        finally:
            connection.close()

    def _create_database(self) -> bool:
        """Make the database if it is missing; True when it had to."""
        if self.database_url.startswith("mysql"):
            return self._mysql_admin(f"CREATE DATABASE IF NOT EXISTS `{_mysql_name(self.database_url)}` "
                                     "CHARACTER SET utf8mb4") == 1
        path = _sqlite_path(self.database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return not path.exists()

    def _holds_users(self) -> bool:
        """Whether the (migrated) database has users already: another checkout's seed, whose marker is in its
        own ``var/bench/``, or a seed of another size. Seeding on top of it would double the data set."""
        if self.database_url.startswith("mysql"):
            name = _mysql_name(self.database_url)
            return self._mysql_admin(f"SELECT 1 FROM `{name}`.users LIMIT 1") == 1  # noqa: S608 - the bench's own database
        with closing(sqlite3.connect(_sqlite_path(self.database_url))) as db:
            return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def _drop_database(self) -> None:
        self.accounts_file.unlink(missing_ok=True)
        if self.database_url.startswith("mysql"):
            self._mysql_admin(f"DROP DATABASE IF EXISTS `{_mysql_name(self.database_url)}`")
        else:
            path = _sqlite_path(self.database_url)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    # -- accounts ----------------------------------------------------------------------------------

    def ensure_accounts(self, url: str) -> str | None:
        """Register and log in the accounts writers and I/O users need, once; reuse their tokens."""
        wanted = self.options.accounts or max(self.options.users)
        if not {"writer", "io"} & set(self.options.scenarios):
            return None
        accounts = json.loads(self.accounts_file.read_text()) if self.accounts_file.exists() else []
        if len(accounts) >= wanted and all(_token_works(url, a["token"]) for a in (accounts[0], accounts[-1])):
            return None
        names = [f"bench_{i:05d}" for i in range(wanted)]
        with ThreadPoolExecutor(8) as pool:   # argon2 makes each call slow; a few at once
            made = list(pool.map(lambda name: _account(url, name), names))
        accounts = [a for a in made if a.get("token")]
        if len(accounts) < wanted:      # users then share accounts; too few for any is a failed start
            reason = next((a["error"] for a in made if "error" in a), "")
            shortfall = f"only {len(accounts)} of {wanted} accounts could log in ({reason})"
            self.console.print(f"[yellow]{shortfall}[/]")
            self.meta.setdefault("notes", []).append(shortfall)
            if not accounts:
                return shortfall
        self.accounts_file.write_text(json.dumps(accounts))
        return None

    # -- the upstream for the I/O scenario -------------------------------------------------------

    def start_upstream(self) -> subprocess.Popen[bytes] | None:
        if "io" not in self.options.scenarios:
            return None
        command = [sys.executable, "-m", "loadtests.upstream", "--port", str(self.upstream_port),
                   "--delay-ms", str(self.options.upstream_delay_ms)]
        log = self.dir / "logs" / "upstream.log"
        upstream = processes.start(command, self.cores.client, log, self.env)
        problem = processes.wait_ready(upstream, f"http://127.0.0.1:{self.upstream_port}/ready", 20, log)
        self.meta["upstream"] = {"delay_ms": self.options.upstream_delay_ms}
        if problem:
            self.meta.setdefault("notes", []).append(f"the slow upstream did not start: {problem}")
        self.upstream_sampler = TreeSampler(upstream.pid)
        return upstream

    # -- one flavour -------------------------------------------------------------------------------

    def users(self, scenario: str) -> list[int]:
        """The user counts a scenario steps through: its own fixed ones (reader-max), else --users."""
        return STEP_USERS.get(scenario, self.options.users)

    def measure(self, flavour: Flavour, progress: Progress, task: Any) -> None:
        steps = [(s, u) for s in self.options.scenarios if flavour.runs(s) for u in self.users(s)]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = self.dir / "logs" / f"{flavour.name}.log"
        status: dict[str, Any] = {"framework": flavour.framework, "keep_alive": flavour.keep_alive,
                                  "ceiling": flavour.ceiling}
        self.flavour_status[flavour.name] = status
        progress.update(task, description=f"[bold]{flavour.name}[/]: starting")
        command = flavour.command(port, self.options)
        status["command"] = " ".join(command[1:]).replace("-m shared.cli", "forum").replace("-m ", "python -m ")
        if flavour.mysql_driver:
            status["command"] = f"FORUM_MYSQL_DRIVER={flavour.mysql_driver} {status['command']}"
        env = {**self.env, "FORUM_MYSQL_DRIVER": flavour.mysql_driver} if flavour.mysql_driver else self.env
        server = processes.start(command, self.cores.server, log, env)
        try:
            problem = processes.wait_ready(server, f"{url}/healthz", self.options.start_timeout, log)
            if problem is None and not flavour.ceiling:
                problem = self.ensure_accounts(url)
            if problem is not None:
                status.update(status="failed to start", reason=problem)
                self.console.print(f"[red]✗ {flavour.name} failed to start[/]: {problem}")
                for scenario, users in steps:
                    self.results.append(_row(flavour, scenario, users, "failed to start", error=problem))
                    progress.advance(task)
                return
            self.run_steps(flavour, server, url, log, steps, progress, task)
        finally:
            status["exit_code"] = processes.stop(server)

    def run_steps(self, flavour: Flavour, server: subprocess.Popen[bytes], url: str, log: Path,
                  steps: list[tuple[str, int]], progress: Progress, task: Any) -> None:
        """Warm up, then every step; a server that dies marks the steps left, it does not end the run."""
        sampler = TreeSampler(server.pid)
        try:
            progress.update(task, description=f"[bold]{flavour.name}[/]: warming up")
            self.run_locust(flavour, url, list(dict.fromkeys(s for s, _ in steps)), 10,
                            self.options.warmup, self.dir / "locust" / f"{flavour.name}-warmup")
            died = None
            for scenario, users in steps:
                progress.update(task, description=f"[bold]{flavour.name}[/] · {scenario} · {users} users")
                if died is None and server.poll() is not None:
                    died = f"server exited with code {server.returncode}: {processes.tail(log)}"
                row = (_row(flavour, scenario, users, "server died", error=died) if died
                       else self.step(flavour, url, sampler, scenario, users))
                self.results.append(row)
                self.console.print(_line(row))
                progress.advance(task)
            self.flavour_status[flavour.name]["status"] = "server died" if died else "ran"
        finally:
            sampler.stop()

    def step(self, flavour: Flavour, url: str, sampler: TreeSampler, scenario: str, users: int) -> dict[str, Any]:
        prefix = self.dir / "locust" / f"{flavour.name}-{scenario}-{users}"
        settle(url)
        locust, window, locust_cpu = self.run_locust(flavour, url, [scenario], users, self.options.duration, prefix)
        stats = read_locust_csv(prefix)
        if stats is None:
            return _row(flavour, scenario, users, "locust failed",
                        error=f"no stats (locust exit {locust.returncode}): {processes.tail(prefix.with_suffix('.log'))}")
        server_cpu, server_rss = sampler.window(*window)
        row = _row(flavour, scenario, users, "ok", **stats)
        row.update(server_cpu_cores=_round(server_cpu), server_rss_peak_mb=_round(server_rss and server_rss / 2**20),
                   locust_cpu_share=_round(locust_cpu), db_cpu_cores=_round(_cpu(self.db_sampler, window)),
                   upstream_cpu_cores=_round(_cpu(self.upstream_sampler, window) if scenario == "io" else None))
        return row

    def run_locust(self, flavour: Flavour, url: str, scenarios: list[str], users: int, seconds: float,
                   prefix: Path) -> tuple[subprocess.Popen[bytes], tuple[float, float], float | None]:
        """Headless locust on the client cores; stats reset once every user is running (no ramp).

        Returns the process, the measured window (wall-clock seconds: the last ``seconds`` of locust's
        own stats history) and the share of a core locust used in it."""
        spawn_rate = max(1, users // 2)                    # all users running after about 2 s
        run_time = int(seconds + users / spawn_rate + 1.5)
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
                   "-u", str(users), "-r", str(spawn_rate), "-t", f"{run_time}s", "--csv", str(prefix),
                   "--only-summary", "--reset-stats", "--exit-code-on-error", "0", "--loglevel", "WARNING",
                   *dict.fromkeys(SCENARIOS[s] for s in scenarios)]
        env = {**self.env, "FORUM_BENCH_WEIGHTS": ",".join(f"{s.removesuffix('-max')}=1" for s in scenarios),
               "FORUM_BENCH_UPSTREAM": f"http://127.0.0.1:{self.upstream_port}"}
        if scenarios == ["reader-max"]:
            env["FORUM_BENCH_THINK"] = "0"
        if flavour.ceiling:
            env["FORUM_BENCH_NO_LOGIN"] = "1"
        elif self.accounts_file.exists():
            env["FORUM_BENCH_ACCOUNTS"] = str(self.accounts_file)
        prefix.parent.mkdir(parents=True, exist_ok=True)
        locust = processes.start(command, self.cores.client, prefix.with_suffix(".log"), env)
        sampler = TreeSampler(locust.pid)
        try:
            locust.wait(run_time + 60)
        except subprocess.TimeoutExpired:
            processes.stop(locust)          # hung: whatever CSV it wrote says what it saw
        finally:
            if locust.poll() is None:       # the bench was interrupted: locust must not outlive it
                processes.stop(locust)
            sampler.stop()
        ended = _last_history_time(prefix) or time.time() - 1
        window = (ended - seconds, ended)
        return locust, window, _cpu(sampler, window)

    # -- the whole run -----------------------------------------------------------------------------

    def run(self) -> int:
        o = self.options
        flavours = [run for name in o.flavours for run in FLAVOURS[name].on_drivers(o.mysql_drivers)]
        total = sum(1 for f in flavours for s in o.scenarios if f.runs(s) for _ in self.users(s))
        self.meta.update(started=datetime.now(UTC).isoformat(timespec="seconds"), machine=_machine(),
                         pinning=self.cores.describe(), commit=_commit(), argv=o.argv,
                         options={k: v for k, v in vars(o).items() if k not in ("database",)},
                         estimate_minutes=round(total * (o.duration + 6) / 60 + len(flavours) * (o.warmup + 15) / 60))
        self.console.print(f"[bold]forum bench[/] → {self.dir}\n{self.cores.describe()}\n"
                           f"{len(flavours)} flavours, {total} steps of {o.duration:.0f} s: "
                           f"about {self.meta['estimate_minutes']} minutes")
        db_pid = processes.database_server_pid() if self.database_url.startswith("mysql") else None
        self.db_sampler = TreeSampler(db_pid) if db_pid else None
        upstream = None
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        try:
            with Progress(*columns, console=self.console) as progress:
                task = progress.add_task("preparing the database", total=total)
                self.prepare_database()
                if "error" in self.meta["database"]:
                    self.console.print(f"[red]database[/]: {self.meta['database']['error']}")
                upstream = self.start_upstream()
                for flavour in flavours:
                    self.measure(flavour, progress, task)
        finally:
            for sampler in (self.upstream_sampler, self.db_sampler):
                if sampler:
                    sampler.stop()
            if upstream:
                processes.stop(upstream)
            self.meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            report.write(self.dir, self.meta, self.flavour_status, self.results)
        self.console.print(f"report: {self.dir / 'report.md'}")
        return 0 if all(r["status"] == "ok" for r in self.results) else 1


# -- helpers -------------------------------------------------------------------------------------------

def settle(url: str, limit: float = 120.0) -> None:
    """Wait until the server has drained the previous step's queue: ``/healthz`` answers within 0.5 s.

    Without this a worker pool still working through a thousand queued link previews makes the next
    step (say, 10 readers) look absurdly slow: the steps would not be independent measurements.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            requests.get(url.rstrip("/") + "/healthz", timeout=5)
            if time.monotonic() - started < 0.5:
                return
        except requests.RequestException:
            pass
        time.sleep(1)

def read_locust_csv(prefix: Path) -> dict[str, Any] | None:
    """The Aggregated row of locust's ``_stats.csv``, and the commonest failures."""
    try:
        with open(f"{prefix}_stats.csv", newline="") as f:
            total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    except (OSError, StopIteration):
        return None
    failures: list[str] = []
    try:
        with open(f"{prefix}_failures.csv", newline="") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: -int(r["Occurrences"]))
            failures = [f"{r['Method']} {r['Name']}: {r['Error'][:80]} ×{r['Occurrences']}" for r in rows[:3]]
    except OSError:
        pass

    def number(key: str) -> float | None:
        return None if total[key] in ("N/A", "") else float(total[key])

    requests_ = int(total["Request Count"])
    failed = int(total["Failure Count"])
    # Throughput counts answers that succeeded: a fast 502 is not work done (uWSGI's full backlog once
    # "beat" every other flavour this way).
    attempted = number("Requests/s")
    ok_rps = attempted * (requests_ - failed) / requests_ if attempted is not None and requests_ else attempted
    return {"requests": requests_, "failures": failed, "fail_ratio": round(failed / requests_, 4) if requests_ else None,
            "rps": _round(ok_rps), "rps_attempted": _round(attempted), "p50_ms": number("50%"), "p95_ms": number("95%"),
            "p99_ms": number("99%"), "error": "; ".join(failures) or None}


def _last_history_time(prefix: Path) -> float | None:
    """When locust's last stats line was written: the end of the measured window."""
    try:
        with open(f"{prefix}_stats_history.csv", newline="") as f:
            stamps = [float(r["Timestamp"]) for r in csv.DictReader(f)]
    except (OSError, ValueError, KeyError):
        return None
    return stamps[-1] if stamps else None


def _row(flavour: Flavour, scenario: str, users: int, status: str, **values: Any) -> dict[str, Any]:
    return {"flavour": flavour.name, "framework": flavour.framework, "ceiling": flavour.ceiling,
            "scenario": scenario, "users": users, "status": status, **values}


def _line(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"[red]{row['flavour']} · {row['scenario']} · {row['users']}: {row['status']}[/]"
    fail = f"  [red]{row['failures']} failed[/]" if row["failures"] else ""
    return (f"{row['flavour']} · {row['scenario']} · {row['users']} users: {row['rps']} req/s, "
            f"p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, server {row['server_cpu_cores']} cores, "
            f"locust {row['locust_cpu_share']} of a core{fail}")


def _account(url: str, username: str) -> dict[str, str]:
    """Register (409: it exists already) and log in one bench account."""
    api = f"{url}/api/v1"
    try:
        registered = requests.post(f"{api}/auth/register", timeout=30, json={
            "username": username, "email": f"{username}@example.com", "password": ACCOUNT_PASSWORD})
        if registered.status_code not in (201, 409):
            return {"username": username, "error": f"register: HTTP {registered.status_code} {registered.text[:120]}"}
        login = requests.post(f"{api}/auth/login", timeout=30,
                              json={"login": username, "password": ACCOUNT_PASSWORD})
        if login.status_code != 200:
            return {"username": username, "error": f"login: HTTP {login.status_code} {login.text[:120]}"}
        return {"username": username, "password": ACCOUNT_PASSWORD, "token": login.json()["access_token"]}
    except requests.RequestException as exc:
        return {"username": username, "error": str(exc)[:160]}


def _token_works(url: str, token: str) -> bool:
    try:
        return requests.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).ok
    except requests.RequestException:
        return False


def _machine() -> dict[str, Any]:
    import psutil

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "locust": importlib.metadata.version("locust"), "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def _slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", url.split("://", 1)[-1]).strip("_")


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _mysql_name(url: str) -> str:
    """The database name, checked: it goes into CREATE/DROP DATABASE, where no parameter can stand."""
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"database name {name!r}: letters, digits and _ only")
    return name


def _sqlite_path(url: str) -> Path:
    path = Path(url.split(":///", 1)[1])
    return path if path.is_absolute() else ROOT / path


def _cpu(sampler: TreeSampler | None, window: tuple[float, float]) -> float | None:
    return sampler.window(*window)[0] if sampler else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str]) -> int:
    """``forum bench ARGS``: run the comparison, write the report; 1 if any step produced no numbers.
    ``forum bench ws ARGS`` is the long-connection benchmark (:mod:`loadtests.wsbench`), ``forum bench sse ARGS``
    its SSE contrast on gunicorn (:mod:`loadtests.ssebench`)."""
    argv = argv[1:] if argv[:1] == ["--"] else argv
    if argv[:1] == ["ws"]:
        from loadtests import wsbench

        return wsbench.main(argv[1:])
    if argv[:1] == ["sse"]:
        from loadtests import ssebench

        return ssebench.main(argv[1:])
    options = parse_args(argv)
    return Bench(options, Console()).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
