"""``forum serve FLAVOUR --nginx``: the flavour behind a real nginx on loopback, started and stopped with it.

Production puts nginx in front of the app: nginx buffers slow clients, serves static files and
uploads, refuses oversized bodies and tells the app the real client address. This launcher runs
exactly that arrangement on one machine, with the configuration a server would use
(``deploy/nginx/``), so what you try here is what you deploy:

1. render the templates into a private prefix ``var/nginx-<port>/`` (config, logs, pid, temp
   files; nothing outside it is written and no root-owned path is touched);
2. start the app on internal loopback ports (Tornado: one single-process server per
   ``--processes``, all behind one nginx ``upstream``; gunicorn and wsgi-container: one port;
   uWSGI: a unix socket);
3. start ``nginx -p PREFIX -c conf/nginx.conf -g 'daemon off;'`` in the foreground, wait until
   ``/healthz`` answers through it, and print one ready line;
4. on SIGTERM or SIGINT: stop nginx gracefully (SIGQUIT: in-flight requests finish), then the app
   (SIGTERM: its own grace period), and exit 0.

The app processes write to our stderr, so stdout carries only the ready line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from shared import http
from shared.cli import processes
from shared.cli.processes import forum_command, free_port
from shared.cli.wsgi_servers import (
    check_migrated,
    child_env,
    mail_sender,
    regrace_uwsgi,
    stream_limits,
    uwsgi_command,
)
from shared.config import ServeOptions, Settings

log = logging.getLogger("forum.nginx")

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "deploy" / "nginx"
START_TIMEOUT = 60.0          # seconds for the app and nginx to answer /healthz
# Where nginx may live when it is not on PATH (Debian puts it in /usr/sbin, off a user's PATH).
EXTRA_NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/bin")
# Files every nginx ships next to its own nginx.conf; the private prefix gets a copy of each.
STOCK_FILES = ("mime.types", "uwsgi_params")


@dataclasses.dataclass(frozen=True)
class Plan:
    """Where everything listens: decided once, then rendered into the config and the commands."""

    flavour: str
    prefix: Path             # nginx's -p: conf/, logs/, tmp/, run/ live under it
    listen: str              # host:port nginx listens on (the public address)
    app_ports: tuple[int, ...] = ()  # internal HTTP ports (empty for uWSGI)
    socket: Path | None = None       # uWSGI's unix socket
    ws_port: int = 0                 # gunicorn/uWSGI: their WebSocket notifier (`forum serve notifier`)

    @property
    def uses_uwsgi_protocol(self) -> bool:
        """uWSGI is reached with uwsgi_pass on its socket; every other flavour with proxy_pass."""
        return self.socket is not None


def make_plan(options: ServeOptions, prefix: Path) -> Plan:
    """Pick the internal ports (or socket) for a flavour."""
    listen = f"{options.host}:{options.port}"
    if options.flavour == "tornado":
        # One single-process Tornado per --processes: nginx balances between them, which is
        # how Tornado is deployed on multi-core machines (rather than fork_processes behind a port).
        ports = tuple(free_port() for _ in range(max(1, options.processes)))
        return Plan("tornado", prefix, listen, app_ports=ports)
    if options.flavour == "uwsgi":
        return Plan("uwsgi", prefix, listen, socket=prefix / "run" / "uwsgi.sock", ws_port=free_port())
    if options.flavour in ("gunicorn", "wsgi-container"):
        ws_port = free_port() if options.flavour == "gunicorn" else 0
        return Plan(options.flavour, prefix, listen, app_ports=(free_port(),), ws_port=ws_port)
    raise ValueError(f"--nginx is not available for the {options.flavour} flavour")


# -- the configuration --------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``{{name}}`` placeholders (``$`` is nginx's own variable sign, so no string.Template)."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for the placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER.sub(fill, text)


def template_values(plan: Plan, settings: Settings) -> dict[str, str]:
    """Every placeholder of deploy/nginx/*.tmpl for this plan."""
    servers = "\n".join(f"    server 127.0.0.1:{port};" for port in plan.app_ports)
    pass_snippet = "forum-uwsgi-pass.conf" if plan.uses_uwsgi_protocol else "forum-proxy-pass.conf"
    # Running as root (a container, a CI job), nginx would drop its workers to `nobody`, who may
    # not read the prefix; a loopback trial runs the workers as the user who started it instead.
    user_line = "user root;" if os.geteuid() == 0 else "# (not root: they run as the current user)"
    return {
        "flavour": plan.flavour,
        "listen": plan.listen,
        "server_name": "localhost",
        "log_dir": "logs",
        "app_servers": servers,
        "app_port": str(plan.app_ports[0]) if plan.app_ports else "",
        "ws_port": str(plan.ws_port),
        # ten of the app's pings: an idle socket that still answers them is never cut (RELIABILITY 23)
        "ws_timeout": f"{max(1, round(10 * settings.ws_ping_interval))}s",
        "socket": str(plan.socket or ""),
        "static_root": str(REPO_ROOT / "shared" / "static"),   # both apps' one stylesheet and script
        "media_root": str(Path(settings.media_dir).resolve()),
        "app_pass": f"snippets/{pass_snippet}",
        "user_line": user_line,
    }


def stock_conf_dir(nginx: str) -> Path:
    """The directory of the nginx installation's own nginx.conf (read for mime.types, uwsgi_params)."""
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=True)
    found = re.search(r"--conf-path=(\S+)", version.stderr + version.stdout)
    return Path(found.group(1)).parent if found else Path("/etc/nginx")


def write_config(plan: Plan, settings: Settings, stock_dir: Path) -> Path:
    """Render the main file, the flavour's site and the snippets into PREFIX/conf; return nginx.conf."""
    conf = plan.prefix / "conf"
    for sub in ("conf/snippets", "logs", "tmp", "run"):
        (plan.prefix / sub).mkdir(parents=True, exist_ok=True)
    values = template_values(plan, settings)
    sources = {
        "nginx.conf": TEMPLATES / "nginx.conf.tmpl",
        f"forum-{plan.flavour}.conf": TEMPLATES / f"forum-{plan.flavour}.conf.tmpl",
    }
    for snippet in sorted((TEMPLATES / "snippets").iterdir()):
        sources[f"snippets/{snippet.name.removesuffix('.tmpl')}"] = snippet
    for name, source in sources.items():
        (conf / name).write_text(render(source.read_text(), values))
    for name in STOCK_FILES:
        stock = stock_dir / name
        if not stock.exists():
            raise FileNotFoundError(f"{stock} is missing: the nginx installation looks incomplete")
        shutil.copyfile(stock, conf / name)
    return conf / "nginx.conf"


# -- the processes ----------------------------------------------------------------------------------

def app_commands(plan: Plan, options: ServeOptions, settings: Settings) -> list[list[str]]:
    """The ``forum serve`` command line(s) that run the app on the plan's internal addresses.

    gunicorn and uWSGI also need the WebSocket notifier on ``ws_port``: ``forum serve gunicorn``
    starts it itself (``--notifier-port``); uWSGI, started directly here, gets ``forum serve notifier``
    beside it, fed by Redis or, without it, by the workers' lines on its Unix socket (``notifier_socket``).
    """
    if plan.flavour == "tornado":
        return [forum_command("serve", "tornado", "--host", "127.0.0.1", "--port", str(port))
                for port in plan.app_ports]
    if plan.flavour == "uwsgi":
        # `forum serve uwsgi` speaks HTTP on a port; nginx wants the uwsgi protocol on a socket, so we
        # run uWSGI ourselves with the same command line builder (deploy/uwsgi.ini plus flags).
        notifier = [forum_command("serve", "notifier", "--host", "127.0.0.1", "--port", str(plan.ws_port))]
        return [uwsgi_command(options, socket_path=str(plan.socket)), *notifier]
    if plan.flavour == "gunicorn":
        return [forum_command("serve", "gunicorn", "--host", "127.0.0.1", "--port", str(plan.app_ports[0]),
                              "--workers", str(options.workers), "--worker-class", options.worker_class,
                              "--threads", str(options.threads), "--notifier-port", str(plan.ws_port))]
    container = ["--no-executor"] if options.no_executor else ["--executor-threads", str(options.executor_threads)]
    return [forum_command("serve", "wsgi-container", "--host", "127.0.0.1", "--port", str(plan.app_ports[0]),
                          *container)]


def find_nginx() -> str | None:
    """The nginx binary: on PATH, or where distributions put it off a normal user's PATH."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_NGINX_DIRS])
    return shutil.which("nginx", path=path)


class Launch:
    """The app process(es) and nginx, started in order and stopped in reverse order."""

    def __init__(self, plan: Plan, settings: Settings, stopping: threading.Event) -> None:
        self.plan = plan
        self.stopping = stopping
        self.grace = settings.grace_period
        self.env = child_env(settings)
        self.apps: list[subprocess.Popen[bytes]] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        self.labels: dict[int, str] = {}   # pid -> the command line, for messages

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        log.info("starting %s", " ".join(command))
        # Own session: a Ctrl-C in the terminal reaches only us, and we stop the children in order.
        child = processes.start(command, env=self.env, stdout=sys.stderr.fileno())
        self.labels[child.pid] = " ".join(command)
        return child

    def start_apps(self, commands: list[list[str]]) -> None:
        self.apps = [self._start(command) for command in commands]

    def start_nginx(self, nginx: str, conf: Path) -> bool:
        """Check the config with ``nginx -t``, then start nginx in the foreground; False if refused."""
        error_log = self.plan.prefix / "logs" / "error.log"
        # -e: errors from before the config is read also go to the prefix, not to a system path.
        base = [nginx, "-e", str(error_log), "-p", str(self.plan.prefix), "-c", str(conf)]
        if subprocess.run([*base, "-q", "-t"]).returncode != 0:
            return False   # nginx has printed why, in one line naming the file
        self.nginx = self._start([*base, "-g", "daemon off;"])
        return True

    @property
    def children(self) -> list[subprocess.Popen[bytes]]:
        return [*self.apps, *([self.nginx] if self.nginx else [])]

    def exited(self) -> subprocess.Popen[bytes] | None:
        """A child that has stopped on its own (something went wrong), if any."""
        return next((child for child in self.children if child.poll() is not None), None)

    def wait_until(self, ready: list[str], deadline: float) -> bool:
        """Poll each base URL's /healthz; False if a child dies, a stop is asked or time runs out."""
        return processes.wait_ready([url + "/healthz" for url in ready], deadline - time.monotonic(),
                                    watch=self.children, stopping=self.stopping)

    def stop(self) -> bool:
        """nginx first (QUIT: finish in-flight requests), then the app (TERM); True if all exit 0."""
        nginx = [self.nginx] if self.nginx else []
        codes = processes.stop_all(nginx, signal.SIGQUIT, self.grace + 5)
        if self.plan.flavour == "uwsgi" and self.apps:
            regrace_uwsgi(self.apps[0], self.grace)    # its SIGTERM follows at once
        codes += processes.stop_all(self.apps, signal.SIGTERM, self.grace + 5)
        for child, code in zip([*nginx, *self.apps], codes, strict=True):
            if code != 0:
                log.error("%s exited %s", self.labels[child.pid], code)
        return not any(codes)


def serve_behind_nginx(settings: Settings, options: ServeOptions) -> int:
    """Run the flavour behind nginx until SIGTERM/SIGINT; 0 after a clean stop."""
    check_migrated(settings)
    # uWSGI is started directly here, not by `forum serve uwsgi`: its mail sender runs in this process.
    with mail_sender(settings) if options.flavour == "uwsgi" else contextlib.nullcontext():
        return _serve_behind_nginx(settings, options)


def _serve_behind_nginx(settings: Settings, options: ServeOptions) -> int:
    # The app's one peer is nginx on loopback: its X-Real-IP is the client's (RELIABILITY 43).
    settings = dataclasses.replace(settings, trusted_proxies=http.LOOPBACK)
    nginx = find_nginx()
    if nginx is None:
        print("forum: nginx is not installed (e.g. apt-get install nginx)", file=sys.stderr)
        return 2
    if not options.port:   # --port 0: any free port, chosen now so the prefix can be named after it
        options = dataclasses.replace(options, port=free_port(options.host))
    try:
        plan = make_plan(options, (Path("var") / f"nginx-{options.port}").resolve())
        conf = write_config(plan, settings, stock_conf_dir(nginx))
    except (ValueError, OSError) as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    launch = Launch(plan, settings, stopping)
    if plan.flavour == "uwsgi" and "PROMETHEUS_MULTIPROC_DIR" not in launch.env:
        # uWSGI's workers add up their metrics in files here (`forum serve uwsgi` does the same).
        metrics = plan.prefix / "metrics"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir()
        launch.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    if plan.flavour == "uwsgi":   # its workers count their event streams here (`forum serve uwsgi` does the same)
        streams = plan.prefix / "streams"
        streams.mkdir(mode=0o700, exist_ok=True)
        stream_limits(settings, options, launch.env, None if settings.sse_slots_dir else str(streams))
    if plan.flavour == "uwsgi" and not settings.redis_url:   # its workers hand events to the notifier here
        inbox = plan.prefix / "notifier"
        inbox.mkdir(mode=0o700, exist_ok=True)
        launch.env["FORUM_NOTIFIER_SOCKET"] = str(inbox / "events.sock")
    public_url = f"http://{plan.listen}"
    deadline = time.monotonic() + START_TIMEOUT
    launch.start_apps(app_commands(plan, options, settings))
    # Ready when every process it started answers, the WebSocket notifier too: announced (or stopped)
    # earlier, a stop could reach the notifier before it had set up its own graceful stop.
    internal = [f"http://127.0.0.1:{port}" for port in (*plan.app_ports, *([plan.ws_port] if plan.ws_port else []))]
    started = (launch.wait_until(internal, deadline) and launch.start_nginx(nginx, conf)
               and launch.wait_until([public_url], deadline))
    if not started:
        if not stopping.is_set():
            print(f"forum: {plan.flavour} behind nginx did not come up; see the messages above "
                  f"and {plan.prefix / 'logs' / 'error.log'}", file=sys.stderr)
        launch.stop()
        return 0 if stopping.is_set() else 1

    print(f"forum: {plan.flavour} behind nginx on {public_url}/", flush=True)
    while not stopping.wait(0.5):
        gone = launch.exited()
        if gone is not None:
            print(f"forum: {launch.labels[gone.pid]} exited {gone.returncode}; stopping", file=sys.stderr)
            launch.stop()
            return 1
    return 0 if launch.stop() else 1
