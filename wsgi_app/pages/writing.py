"""Writing and reading (API.md §10): edit your own words, see every version of an edited text, and what
the editors' script calls: an image upload and a Markdown preview."""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request
from werkzeug.wrappers import Response

from shared import i18n, pages
from shared.errors import ForumError, problem
from shared.i18n import _l
from shared.storage import page_data, threads, users
from shared.storage.effects import Op
from wsgi_app.db import current_settings, run
from wsgi_app.pages.base import attempt, back, bp, form, login_required, query, see, throttle
from wsgi_app.responses import json_response, problem_response

KINDS = "<any(posts, comments, questions, answers):kind>/<int:item_id>"


@bp.route(f"/{KINDS}/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, item_id: int) -> Any:
    """Show the form; sent, save the edit and show the item (a refusal shows the form again)."""
    if request.method == "GET":
        return render_template("edit.html", title=_l("Edit"), **run(page_data.edit_page(g.viewer, kind, item_id)))
    path, refusal = attempt(page_data.save_edit(g.viewer, kind, item_id, form()))
    if refusal:
        page = run(page_data.edit_page(g.viewer, kind, item_id))
        return render_template("edit.html", title=_l("Edit"), **{**page, **pages.form_state(refusal, form())}), \
            refusal.status
    return see(path, "edited")


@bp.get(f"/{KINDS}/history")
def history(kind: str, item_id: int) -> str:
    return render_template("history.html", title=_l("History"),
                           **run(page_data.history_page(g.viewer, kind, item_id, query())))


@bp.post("/answers/<int:answer_id>/<any(up, down, unvote):action>")
@login_required
def vote(answer_id: int, action: str) -> Response:
    run(page_data.vote(g.viewer, answer_id, action))
    return back("/questions")


@bp.post("/questions/<int:question_id>/<any(accept, unaccept):action>")
@login_required
def accept(question_id: int, action: str) -> Response:
    run(page_data.accept(g.viewer, question_id, action, form()))
    return back(f"/questions/{question_id}", pages.DONE_AFTER[action])


def answer_script(path: str, op: Op[Any]) -> Response:
    """What the editors' script calls (session cookie + XSRF): the API's answer, or its problem+json."""
    try:
        return json_response(run(throttle(path, op)), 201 if path == "/uploads" else 200)
    except ForumError as exc:
        return problem_response(problem(exc, i18n.from_accept_language(request.headers.get("Accept-Language"))))


@bp.post("/editor/upload")
def editor_upload() -> Response:
    sent = request.files.get(pages.EDITOR_UPLOAD_FIELD)
    return answer_script("/uploads", users.upload_image(g.viewer, pages.editor_upload(sent.read() if sent else None),
                                                        current_settings().media_dir))


@bp.post("/editor/preview")
def editor_preview() -> Response:
    return answer_script("/markdown", threads.preview(g.viewer, pages.editor_preview_body(form())))
