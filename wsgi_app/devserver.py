"""``forum serve flask-dev``: the Flask app under Werkzeug's development server, in this process.

Fine for debugging, not for production: no worker management, one thread per request, no limits.
(The other WSGI servers are in :mod:`wsgi_app.container`, Tornado's, and started as programs of
their own by the command line: gunicorn and uWSGI.)
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer

from shared.config import ServeOptions, Settings
from wsgi_app import create_app, db, settings_as_config


def serve(settings: Settings, options: ServeOptions) -> int:
    """Serve until SIGTERM/SIGINT, which stop accepting and let the requests in flight end; returns 0."""
    app = create_app(settings_as_config(settings))
    app.extensions["forum.alone"] = True   # one process: every revocation is made here (shared.revocation)
    server = ThreadedWSGIServer(options.host, options.port, app)
    server.daemon_threads = False   # so server_close() waits for the requests in flight

    def stop(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown).start()   # shutdown() waits for serve_forever: not this thread

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"forum: flask-dev serving on http://{options.host}:{server.port}/ "
          f"(Werkzeug development server: for debugging only; pid {os.getpid()})", flush=True)
    server.serve_forever()
    server.server_close()
    db.close(app)
    return 0
