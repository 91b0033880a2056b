"""The one process-supervision helper (shared/cli/processes.py), on real child processes.

The launchers, the bench and the server fixtures all rely on these three promises: a wait for
health gives up as soon as the child dies, a wait succeeds once the URL answers, and a child that
ignores its graceful stop is killed together with everything it started.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import psutil

from shared.cli import processes


def test_waiting_ends_when_the_child_exits() -> None:
    child = processes.start([sys.executable, "-c", "raise SystemExit(3)"])
    nobody = f"http://127.0.0.1:{processes.free_port()}/healthz"
    assert not processes.wait_ready(nobody, timeout=120, watch=[child])
    assert child.returncode == 3


def test_waiting_succeeds_once_the_url_answers() -> None:
    port = processes.free_port()
    child = processes.start([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert processes.wait_ready(f"http://127.0.0.1:{port}/", timeout=60, watch=[child])
    finally:
        assert processes.stop(child) == -signal.SIGTERM   # http.server has no handler: SIGTERM ends it


def test_a_child_that_ignores_its_stop_is_killed_with_its_group() -> None:
    script = ("import signal, subprocess, sys, time\n"
              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
              "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
              "print(grandchild.pid, flush=True)\n"
              "time.sleep(120)\n")
    child = processes.start([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert child.stdout is not None
    grandchild = psutil.Process(int(child.stdout.readline()))   # the handler is in place by now
    assert processes.stop(child, grace=0.5) == -signal.SIGKILL
    with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
        grandchild.wait(timeout=30)   # at once when reaped; an orphan zombie waits for its new parent
    assert _dead(grandchild), "the grandchild outlived the stop"


def _dead(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
