"""The search page: the box in every page's navigation sends its words here."""

from __future__ import annotations

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import search


class SearchPage(PageHandler):
    async def get(self) -> None:
        query = self.query()
        found, refusal = await self.attempt(search.search(self.viewer, query)) if query.get("q", "").strip() \
            else (None, None)
        state = self.refused(refusal) if refusal else {"errors": {}}   # words too broad: said in the form
        self.render("search.html", title=_l("Search"), found=found, **pages.search_form(query), **state)
