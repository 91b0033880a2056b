"""Processes the bench starts: pinned to cores, watched with psutil, stopped by their own group.

Starting, waiting and stopping are the project's one supervision helper (:mod:`shared.cli.processes`,
which imports no app): every server runs in a session of its own, so stopping it signals exactly
the processes it started (workers, forks, nginx) and nothing else on the machine. What is the
bench's own is here: the cores, the log files and the CPU/memory samples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from shared.cli import processes

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Cores:
    """Which cores the server side and the load generator run on; both empty means not pinned."""

    server: tuple[int, ...]
    client: tuple[int, ...]

    @classmethod
    def split(cls, server_cores: int | None) -> Cores:
        available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(available) < 2:
            return cls((), ())
        n = server_cores or len(available) - 1
        n = max(1, min(n, len(available) - 1))
        return cls(tuple(available[:n]), tuple(available[n:]))

    @property
    def pinned(self) -> bool:
        return bool(self.server)

    def describe(self) -> str:
        if not self.pinned:
            return "not pinned (fewer than 2 cores available)"
        return (f"server (and its nginx) on core(s) {','.join(map(str, self.server))}; locust and the slow "
                f"upstream on core(s) {','.join(map(str, self.client))}; the database server is not pinned")


def pinned(command: Sequence[str], cores: tuple[int, ...]) -> list[str]:
    """``taskset`` sets the affinity before the program starts, so every fork and worker inherits it."""
    if cores and shutil.which("taskset"):
        return ["taskset", "-c", ",".join(map(str, cores)), *command]
    return list(command)


def start(command: Sequence[str], cores: tuple[int, ...], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``command`` on ``cores``, writing to ``log``, in a session of its own."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return processes.start(pinned(command, cores), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> int:
    """SIGTERM to the process's own group (a clean stop), SIGKILL to it if the grace period runs out;
    stragglers the leader left behind in its group are killed too."""
    return processes.stop(process, grace=grace, group=True)


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> str | None:
    """None once ``url`` answers 200; else why not (the process died, or it never answered)."""
    if processes.wait_ready(url, timeout, watch=[process]):
        return None
    if process.poll() is not None:
        return f"exited with code {process.returncode}: {tail(log)}"
    return f"not ready after {timeout:.0f} s: {tail(log)}"


def tail(log: Path, lines: int = 3) -> str:
    """The last lines of a log, on one line, for a report cell."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(line.strip() for line in text[-lines:]) or "(empty log)"


@dataclass
class Sample:
    at: float        # time.time(), to line up with locust's own timestamps
    cpu: float       # CPU seconds used so far by the whole tree (processes that ended keep their share)
    rss: int         # bytes resident, summed over the tree now


@dataclass
class TreeSampler:
    """Samples a process and all its descendants twice a second, in a thread, until stopped."""

    pid: int
    interval: float = 0.5
    samples: list[Sample] = field(default_factory=list)
    _cpu_by_pid: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"sampler-{self.pid}")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        rss = 0
        for proc in tree:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    self._cpu_by_pid[proc.pid] = times.user + times.system
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue
        self.samples.append(Sample(time.time(), sum(self._cpu_by_pid.values()), rss))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def window(self, start: float, end: float) -> tuple[float | None, int | None]:
        """(cores used on average, peak RSS in bytes) between two ``time.time()`` instants."""
        inside = [s for s in self.samples if start <= s.at <= end]
        if len(inside) < 2:
            return None, None
        first, last = inside[0], inside[-1]
        cores = (last.cpu - first.cpu) / (last.at - first.at) if last.at > first.at else None
        return cores, max(s.rss for s in inside)


def database_server_pid() -> int | None:
    """MariaDB's (or MySQL's) server process, to report its CPU beside the app's; None if not visible."""
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in ("mariadbd", "mysqld"):
            return int(proc.pid)
    return None
