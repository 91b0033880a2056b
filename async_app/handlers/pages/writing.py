"""Writing and reading (API.md §10): edit your own words, and see every version of an edited text."""

from __future__ import annotations

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared.i18n import _l
from shared.storage import page_data


class EditPage(PageHandler):
    @tornado.web.authenticated
    async def get(self, kind: str, item_id: str) -> None:
        self.render("edit.html", title=_l("Edit"), **await self.run(page_data.edit_page(self.viewer, kind, int(item_id))))

    @tornado.web.authenticated
    async def post(self, kind: str, item_id: str) -> None:
        """Save the edit and show the item; a refusal shows the form again with the reason."""
        path, refusal = await self.attempt(page_data.save_edit(self.viewer, kind, int(item_id), self.form()))
        if refusal:
            page = await self.run(page_data.edit_page(self.viewer, kind, int(item_id)))
            self.render("edit.html", title=_l("Edit"), **{**page, **self.refused(refusal)})
        else:
            self.redirect(path, status=303)


class HistoryPage(PageHandler):
    async def get(self, kind: str, item_id: str) -> None:
        page = await self.run(page_data.history_page(self.viewer, kind, int(item_id), self.query()))
        self.render("history.html", title=_l("History"), **page)


class VotePage(PageHandler):
    @tornado.web.authenticated
    async def post(self, answer_id: str, action: str) -> None:
        await self.run(page_data.vote(self.viewer, int(answer_id), action))
        self.back("/questions")


class AcceptPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, question_id: str, action: str) -> None:
        await self.run(page_data.accept(self.viewer, int(question_id), action, self.form()))
        self.back(self.reverse_url("question_page", question_id))
