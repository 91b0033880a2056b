"""Writing and reading (API.md §10): edit your own words, see every version of an edited text, and what
the editors' script calls: an image upload and a Markdown preview."""

from __future__ import annotations

from typing import Any

import tornado.web

from async_app.handlers.base import ProblemMixin
from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import page_data, threads, users
from shared.storage.effects import Op


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
            self.see(path, "edited")


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
        self.back(self.reverse_url("question_page", question_id), pages.DONE_AFTER[action])


class EditorHandler(PageHandler):
    """What the editors' script calls (session cookie + XSRF): the API's answer, or its problem+json."""

    write_error = ProblemMixin.write_error   # the script reads problem+json, not an error page

    async def answer_script(self, path: str, op: Op[Any]) -> None:
        self.write_json(await self.run(self.throttled(path, op)), 201 if path == "/uploads" else 200)


class EditorUploadPage(EditorHandler):
    async def post(self) -> None:
        sent = self.request.files.get(pages.EDITOR_UPLOAD_FIELD)
        data = pages.editor_upload(sent[0].body if sent else None)
        await self.answer_script("/uploads", users.upload_image(self.viewer, data, self.application.forum_settings.media_dir))


class EditorPreviewPage(EditorHandler):
    async def post(self) -> None:
        await self.answer_script("/markdown", threads.preview(self.viewer, pages.editor_preview_body(self.form())))
