"""Bookmarks (API.md §10, §12): the Bookmark button of a post or question page, and ``/bookmarks``."""

from __future__ import annotations

from flask import g, render_template
from werkzeug.wrappers import Response

from shared.i18n import _l
from shared.storage import page_data
from wsgi_app.db import run
from wsgi_app.pages.base import back, bp, login_required, query


@bp.get("/bookmarks")
@login_required
def bookmarks_page() -> str:
    listed = run(page_data.bookmarks_page(g.viewer, query()))
    return render_template("bookmarks.html", title=_l("Bookmarks"), bookmarks=listed)


@bp.post("/<any(posts, questions):kind>/<int:item_id>/<any(bookmark, unbookmark):action>")
@login_required
def bookmark_button(kind: str, item_id: int, action: str) -> Response:
    run(page_data.bookmark_button(g.viewer, kind, item_id, action))
    return back("/bookmarks")
