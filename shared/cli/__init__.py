"""The ``forum`` command: migrate, seed, recount, reindex, admin, deliver, serve, bench.

This package is the command line and its launchers, the only code that imports the apps (each
lazily, in the function that starts that flavour); the core, the rest of ``shared/``, never imports
it (``pyproject.toml``'s import contracts check both). ``seed.py`` and ``recount.py`` drive storage
operations; ``wsgi_servers.py`` and ``nginx.py`` run servers as child processes with the helpers of
``processes.py``, which imports no app so that the bench and the tests use them too. This file only
parses arguments and hands each subcommand to its function. Settings flags (``--database-url`` ...)
are accepted by every subcommand.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import fields
from typing import Any

from shared.config import ConfigError, ServeOptions, Settings, load_settings

# The serve options each flavour reads (besides --host and --port). Any other one given to a flavour
# is refused, so `forum serve wsgi-container --processes 4` says it will not fork rather than run one process.
FLAVOUR_OPTIONS = {
    "tornado": {"processes", "nginx"},
    "wsgi-container": {"no_executor", "executor_threads", "nginx"},
    "gunicorn": {"workers", "worker_class", "threads", "notifier_port", "nginx"},
    "uwsgi": {"processes", "threads", "notifier_port", "nginx"},
    "flask-dev": set(),
    "notifier": set(),
}
FLAVOURS = tuple(FLAVOUR_OPTIONS)


def check_serve_options(options: ServeOptions) -> None:
    """Refuse options that the chosen flavour would silently ignore (ConfigError names them)."""
    defaults = ServeOptions(options.flavour)
    ignored = [name for name in ServeOptions.__dataclass_fields__
               if name not in ("flavour", "host", "port") and name not in FLAVOUR_OPTIONS[options.flavour]
               and getattr(options, name) != getattr(defaults, name)]
    if ignored:
        flags = ", ".join("--" + name.replace("_", "-") for name in ignored)
        usable = ", ".join(sorted("--" + name.replace("_", "-") for name in FLAVOUR_OPTIONS[options.flavour]))
        raise ConfigError(f"{flags}: not used by the {options.flavour} flavour (it takes --host, --port"
                          f"{', ' + usable if usable else ''})")


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """A flag for every setting (``--pool-size`` for ``pool_size``), its help the setting's meaning."""
    group = parser.add_argument_group("settings (flags win over FORUM_* environment variables)")
    group.add_argument("--config", help="optional settings file (name = value lines)")
    for f in fields(Settings):
        if f.name == "extra":
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            group.add_argument(flag, dest=f.name, action="store_true", default=None, help=f.metadata["meaning"])
        else:
            group.add_argument(flag, dest=f.name, metavar=f.name.upper(), help=f.metadata["meaning"])


def _settings(args: argparse.Namespace) -> Settings:
    names = ["config", *(f.name for f in fields(Settings) if f.name != "extra")]
    return load_settings({name: getattr(args, name, None) for name in names})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forum", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or upgrade the schema (idempotent)")
    _add_settings_flags(p)

    p = sub.add_parser("seed", help="demo data, or bulk data for load tests")
    p.add_argument("--demo", action="store_true", help="a small demo forum (user demo / demo-password)")
    for name in ("users", "groups", "posts", "comments"):
        p.add_argument(f"--{name}", type=int, default=0, help=f"how many {name} to make (bulk data)")
    p.add_argument("--questions", type=int, default=0, help="how many questions to make (bulk data)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_settings_flags(p)

    p = sub.add_parser("recount", help="rebuild every stored counter from the rows it counts")
    _add_settings_flags(p)

    p = sub.add_parser("admin", help="site roles: grant USERNAME admin|moderator, revoke USERNAME, list")
    actions = p.add_subparsers(dest="action", required=True)
    granting = actions.add_parser("grant", help="give a user a site role")
    granting.add_argument("username")
    granting.add_argument("role", choices=("admin", "moderator"))
    _add_settings_flags(granting)
    revoking = actions.add_parser("revoke", help="make a user a plain member again")
    revoking.add_argument("username")
    _add_settings_flags(revoking)
    _add_settings_flags(actions.add_parser("list", help="every admin and moderator"))

    p = sub.add_parser("reindex", help="rebuild the search index from the rows")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("deliver", help="send the e-mail that is due from the outbox, once")
    p.add_argument("--every", type=float, default=0, metavar="SECONDS",
                   help="keep sending, a pass every SECONDS, until SIGTERM (a mail service of its own)")
    _add_settings_flags(p)

    p = sub.add_parser("serve", help="serve the forum")
    p.add_argument("flavour", choices=FLAVOURS, help="which server runs the forum (notifier: the WebSockets "
                   "of gunicorn and uwsgi, started by their launchers)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=int, default=8888, help="the port to listen on (0: any free one)")
    p.add_argument("--processes", type=int, default=1, help="tornado and uwsgi: processes (tornado: 0 = one per CPU)")
    p.add_argument("--workers", type=int, default=0, help="gunicorn: worker processes (0: 2 x cores + 1)")
    p.add_argument("--worker-class", dest="worker_class", default="sync", choices=("sync", "gthread", "gevent"),
                   help="gunicorn: the kind of worker")
    p.add_argument("--threads", type=int, default=1, help="gunicorn and uwsgi: threads per worker")
    p.add_argument("--nginx", action="store_true", help="behind a real nginx on loopback")
    p.add_argument("--no-executor", dest="no_executor", action="store_true",
                   help="wsgi-container only: run Flask on the event loop (a teaching baseline)")
    p.add_argument("--executor-threads", dest="executor_threads", type=int, default=16,
                   help="wsgi-container: the threads Flask runs on")
    p.add_argument("--notifier-port", dest="notifier_port", type=int, default=0,
                   help="gunicorn/uwsgi: the port of their /ws/notifications process (default: a free one)")
    _add_settings_flags(p)

    sub.add_parser("bench", help="the side-by-side comparison under locust (forum bench --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:   # the comparison parses its own options (forum bench --help)
        from loadtests.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.command == "migrate":   # prints what it applied; exit 0 also when there was nothing to do
        from shared.cli.reindex import build_if_never_built
        from shared.storage.migrate import migrate

        applied = migrate(settings.database_url, settings)
        print(f"applied {', '.join(applied)}" if applied else "schema is up to date")
        built = build_if_never_built(settings)
        if built:
            print(built)
        return 0
    if args.command == "seed":
        from shared.cli.seed import seed_command

        return seed_command(settings, args)
    if args.command == "admin":
        from shared.cli.admin import admin_command

        return admin_command(settings, args)
    if args.command == "recount":
        from shared.cli.recount import recount_command

        return recount_command(settings)
    if args.command == "reindex":
        from shared.cli.reindex import reindex_command

        return reindex_command(settings, show_progress=not args.no_progress)

    if args.command == "deliver":
        from shared.cli.deliver import deliver_command

        return deliver_command(settings, args.every)
    options = ServeOptions(**{k: getattr(args, k) for k in ServeOptions.__dataclass_fields__})
    check_serve_options(options)
    return serve(settings, options)


def serve(settings: Settings, options: ServeOptions) -> int:
    """Start one flavour (optionally behind nginx) and block until it stops."""
    from shared.cli.processes import port_taken

    if options.port and port_taken(options.host, options.port):   # one line, the same for every flavour
        raise ConfigError(f"port {options.port} on {options.host} is already in use: choose another with "
                          f"--port (make run PORT={options.port + 1})")
    launcher: Any
    if options.nginx:
        from shared.cli.nginx import serve_behind_nginx as launcher
    elif options.flavour == "tornado":
        from async_app.server import serve as launcher
    elif options.flavour == "notifier":   # the WebSockets of gunicorn/uWSGI (started by their launchers)
        from async_app.server import serve_notifier as launcher
    else:
        from shared.cli.wsgi_servers import serve as launcher
    return int(launcher(settings, options) or 0)
