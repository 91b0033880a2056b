"""Bookmarks (API.md §10, §12): the Bookmark button of a post or question page, and ``/bookmarks``."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared.i18n import _l
from shared.storage import page_data


class BookmarksPage(PageHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        listed = await self.run(page_data.bookmarks_page(self.viewer, self.query()))
        self.render("bookmarks.html", title=_l("Bookmarks"), bookmarks=listed)


class BookmarkButtonPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, kind: str, item_id: str, action: str) -> None:
        await self.run(page_data.bookmark_button(self.viewer, kind, int(item_id), action))
        self.back("/bookmarks")
