"""A port that is already taken is one line naming it and how to choose another, in every flavour.

No traceback (Tornado's ``OSError: [Errno 98]``), no retries (gunicorn tries five times), and an exit
status that is not 0, so a script sees it too. ``make run`` passes PORT and HOST on.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.cli import FLAVOURS
from shared.cli.processes import forum_command
from tests.support.servers import REPO_ROOT

SERVED = [flavour for flavour in FLAVOURS if flavour != "notifier"]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on for the length of the test."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("flavour", SERVED)
def test_a_busy_port_is_one_line(flavour: str, taken_port: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(FORUM_DATABASE_URL=f"sqlite:///{tmp_path}/forum.sqlite3", FORUM_SECRET="s" * 40)
    done = subprocess.run(forum_command("serve", flavour, "--port", str(taken_port)), cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"port {taken_port} " in lines[0] and "--port" in lines[0] and "PORT=" in lines[0], lines[0]


def test_make_run_takes_port_and_host() -> None:
    planned = subprocess.run(["make", "-n", "run", "PORT=8123", "HOST=0.0.0.0"], cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert "forum serve tornado --host 0.0.0.0 --port 8123" in planned
