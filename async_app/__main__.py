"""``python -m async_app --port=P``: the Tornado app on its own, configured with ``tornado.options``.

Every setting of ``shared.config.Settings`` is an option (``--database_url``, ``--pool_size`` ...),
plus ``--port``, ``--host``, ``--processes`` and ``--config``. Options default to None so that only
the flags actually given reach ``load_settings``, which merges flags > environment > config file
(the file is read there, in the ``name = value`` format ``parse_config_file`` also reads, so that
the environment can win over it).
"""

from __future__ import annotations

import sys
from dataclasses import fields

from tornado.options import define, options, parse_command_line

from async_app.server import serve
from shared.config import ConfigError, ServeOptions, Settings, load_settings

SETTINGS = [f for f in fields(Settings) if f.name != "extra"]

for f in SETTINGS:
    define(f.name, default=None, type=type(f.default),
           help=f"{f.metadata['meaning']} (env FORUM_{f.name.upper()}, default {f.default!r})")
define("config", default=None, type=str, help="settings file (name = value lines)")
define("host", default="127.0.0.1", help="address to listen on")
define("port", default=8888, help="port to listen on (0: any free port)")
define("processes", default=1, help="processes to fork (0: one per CPU)")


def main() -> int:
    parse_command_line()   # also sets up logging (--logging=LEVEL), as any tornado.options program
    flags = {name: options[name] for name in ["config", *(f.name for f in SETTINGS)]}
    try:
        settings = load_settings(flags)
    except ConfigError as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 2
    return serve(settings, ServeOptions("tornado", options.host, options.port, options.processes))


if __name__ == "__main__":
    sys.exit(main())
