"""The nginx templates on their own: every flavour renders to a config nginx accepts, and nginx's own
errors (no app answering, a missing static file) are problem+json. No app is started here."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
import requests

from shared.cli.nginx import TEMPLATES, make_plan, stock_conf_dir, write_config
from shared.cli.processes import free_port
from shared.config import ServeOptions, Settings
from tests.support.waiting import wait_until

from .sites import FLAVOURS


def _render(nginx: str, flavour: str, prefix: Path) -> tuple[Path, str]:
    options = ServeOptions(flavour=flavour, port=free_port(), processes=2)
    plan = make_plan(options, prefix)
    settings = Settings(media_dir=str(prefix / "media"))
    return write_config(plan, settings, stock_conf_dir(nginx)), f"http://{plan.listen}"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_renders_a_config_nginx_accepts(nginx_binary: str, flavour: str, tmp_path: Path) -> None:
    conf, _ = _render(nginx_binary, flavour, tmp_path)
    checked = subprocess.run([nginx_binary, "-t", "-p", str(tmp_path), "-c", str(conf)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    directives = [line.strip() for path in (tmp_path / "conf").rglob("*.conf")
                  for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not any("{{" in line for line in directives)
    assert "client_max_body_size 2112k;" in directives
    # The client address is set, never appended to what the client sent.
    forwarded = {line for line in directives if "X_FORWARDED_FOR" in line.upper().replace("-", "_")}
    assert forwarded and all(line.endswith("$remote_addr;") for line in forwarded), forwarded


def test_every_template_is_used() -> None:
    names = {p.name.removesuffix(".conf.tmpl") for p in TEMPLATES.glob("forum-*.conf.tmpl")}
    assert names == {f"forum-{flavour}" for flavour in FLAVOURS}


def answers(url: str) -> bool:
    """Whether anything answers HTTP at ``url`` now (a refused connection: not yet)."""
    try:
        requests.get(url, timeout=1)
    except requests.ConnectionError:
        return False
    return True


def test_nginx_answers_its_own_errors_as_problem_json(nginx_binary: str, tmp_path: Path) -> None:
    conf, url = _render(nginx_binary, "gunicorn", tmp_path)   # nothing listens on the app's port
    nginx = subprocess.Popen([nginx_binary, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_until(lambda: answers(url), "nginx to answer")
        for path, status in (("/api/v1/groups", 502), ("/static/missing.css", 404), ("/_problem/502", 404)):
            answer = requests.get(url + path, timeout=10)
            assert answer.status_code == status, path
            assert answer.headers["Content-Type"] == "application/problem+json"
            assert answer.json()["status"] == status
    finally:
        nginx.send_signal(signal.SIGQUIT)
        assert nginx.wait(timeout=30) == 0
