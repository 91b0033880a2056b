"""The search page: the box in every page's navigation sends its words here."""

from __future__ import annotations

from typing import Any

from flask import g, render_template

from shared import pages
from shared.i18n import _l
from shared.storage import search
from wsgi_app.pages.base import attempt, bp, query


@bp.get("/search")
def search_page() -> Any:
    asked = query()
    found, refusal = attempt(search.search(g.viewer, asked)) if asked.get("q", "").strip() else (None, None)
    state = pages.form_state(refusal, asked) if refusal else {"errors": {}}   # words too broad: said in the form
    page = render_template("search.html", title=_l("Search"), found=found, **pages.search_form(asked), **state)
    return (page, refusal.status) if refusal else page
