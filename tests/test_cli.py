"""``forum serve`` refuses an option its flavour would ignore, instead of quietly running something else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.cli import FLAVOUR_OPTIONS, check_serve_options
from shared.config import ConfigError, ServeOptions


def test_a_flavour_that_cannot_fork_refuses_processes() -> None:
    run = subprocess.run([sys.executable, "-m", "shared.cli", "serve", "wsgi-container", "--processes", "4"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--processes: not used by the wsgi-container flavour" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("flavour", "option"), [
    ("tornado", {"workers": 4}), ("tornado", {"threads": 4}), ("gunicorn", {"processes": 2}),
    ("uwsgi", {"worker_class": "gevent"}), ("uwsgi", {"no_executor": True}), ("flask-dev", {"nginx": True}),
    ("notifier", {"executor_threads": 4}), ("wsgi-container", {"notifier_port": 9000}),
])
def test_each_ignored_option_is_named(flavour: str, option: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="--" + next(iter(option)).replace("_", "-")):
        check_serve_options(ServeOptions(flavour, **option))  # type: ignore[arg-type]


@pytest.mark.parametrize("flavour", FLAVOUR_OPTIONS)
def test_the_options_a_flavour_reads_are_accepted(flavour: str) -> None:
    given = {"processes": 2, "workers": 3, "worker_class": "gthread", "threads": 4, "nginx": True,
             "no_executor": True, "executor_threads": 8, "notifier_port": 9000}
    check_serve_options(ServeOptions(flavour, host="0.0.0.0", port=9999,
                                     **{name: given[name] for name in FLAVOUR_OPTIONS[flavour]}))  # type: ignore[arg-type]
