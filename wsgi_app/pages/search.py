"""The search page: the box in every page's navigation sends its words here."""

from __future__ import annotations

from flask import g, render_template

from shared import pages
from shared.i18n import _l
from shared.storage import search
from wsgi_app.db import run
from wsgi_app.pages.base import bp, query


@bp.get("/search")
def search_page() -> str:
    asked = query()
    found = run(search.search(g.viewer, asked)) if asked.get("q", "").strip() else None
    return render_template("search.html", title=_l("Search"), found=found, **pages.search_form(asked))
