"""The forum on Flask: an application factory, as in the Flask tutorial (flaskr).

``create_app()`` builds a fresh app from settings; nothing touches the database until the first
request in each process (see :mod:`wsgi_app.db`), so the same app object is safe to build in a
gunicorn master before it forks. Every rule, SQL statement and error body lives in ``shared/``;
the blueprints only move HTTP in and JSON out.

Unlike flaskr there is no ``teardown_appcontext`` closing a connection kept in ``g``: a request never
holds one. The runner (``shared.storage.runners.run_sync``) borrows a connection for each operation
and returns it, committed or rolled back, before the view goes on.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from flask import Flask, g

from shared import http, i18n
from shared.config import Settings, load_settings
from wsgi_app import api, errors, pages, site, tornado_compat
from wsgi_app.middleware import AccessLog, RequestLimits, ServerTiming, TrustedProxies


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    ``config`` may carry settings overrides in lower case (``database_url``, ``media_dir`` ...,
    the names of :class:`shared.config.Settings`; they win over ``FORUM_*`` variables) and Flask
    config keys in upper case (``TESTING``). Tests pass a fresh database this way.
    """
    config = dict(config or {})
    settings = load_settings({k: v for k, v in config.items() if k.islower()})

    # One stylesheet for both apps: shared/static (the Tornado app serves the same directory).
    app = Flask(__name__, static_folder=str(Path(__file__).resolve().parent.parent / "shared" / "static"))
    app.extensions["forum"] = settings   # read back with wsgi_app.db.current_settings()
    app.config.update(
        # Bodies bigger than the largest upload are refused by Werkzeug (413) before they are read;
        # each API route applies its own limit (wsgi_app/api/base.py).
        MAX_CONTENT_LENGTH=http.largest_body(settings),
    )
    tornado_compat.configure(app)   # OPTIONS, ids, double slashes: where Werkzeug's routing differs
    app.config.update({k: v for k, v in config.items() if k.isupper()})

    # Languages (API.md §8): Jinja's i18n extension over the one catalog (shared/translations/), in
    # the page's language (g.lang, chosen in wsgi_app/pages/base.py). Plain gettext, not "newstyle":
    # a template formats with %, and the words are escaped like any value, as the Tornado app does.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(g.lang).gettext(message),
        ngettext=lambda singular, plural, n: i18n.translations(g.lang).ngettext(singular, plural, n),
        newstyle=False)

    errors.register(app)
    site.register(app, settings)
    api.register(app)
    app.register_blueprint(pages.bp)   # the HTML pages (API.md §5)

    if settings.debug:   # the X-ray pages exist only in debug
        app.register_blueprint(pages.xray_bp)

    app.wsgi_app = AccessLog(ServerTiming(TrustedProxies(RequestLimits(app.wsgi_app, settings), settings),  # type: ignore[method-assign]
                                          settings))
    return app


def settings_as_config(settings: Settings) -> dict[str, Any]:
    """Settings back into ``create_app``'s config form (what the launchers pass along)."""
    return {f.name: getattr(settings, f.name) for f in fields(Settings) if f.name != "extra"}
