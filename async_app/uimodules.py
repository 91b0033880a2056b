"""UIModules: the partials many pages repeat, as in Tornado's ``demos/blog`` (``{% module Entry(entry) %}``).

Each renders a template under ``templates/modules/``; the Flask app has the same markup as Jinja2
macros in ``wsgi_app/templates/macros.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tornado.web

from shared import pages


class UserBadge(tornado.web.UIModule):
    """A user's avatar and a link to their profile (``shared.pages.user_badge``, the Flask macro's too)."""

    def render(self, user: Mapping[str, Any] | None) -> str:
        return pages.user_badge(user, self.handler.lang)  # type: ignore[attr-defined]


class OwnDelete(tornado.web.UIModule):
    """For its author: delete a post, comment, question or answer, in two steps (then go to ``gone``)."""

    def render(self, kind: str, item: Mapping[str, Any], gone: str) -> bytes:
        return self.render_string("modules/own_delete.html", kind=kind, item=item, gone=pages.with_done(gone, "deleted"))


class Summary(tornado.web.UIModule):
    """One line of a list of posts (``kind="posts"``) or questions (``kind="questions"``)."""

    def render(self, kind: str, item: Mapping[str, Any]) -> bytes:
        return self.render_string("modules/summary.html", kind=kind, item=item)


class Like(tornado.web.UIModule):
    """A like button as a small form (a count only, for anonymous visitors)."""

    def render(self, kind: str, item: Mapping[str, Any], back: str) -> bytes:
        return self.render_string("modules/like.html", kind=kind, item=item, back=back)


class Watch(tornado.web.UIModule):
    """Watch or stop watching a post or question (its new comments or answers notify the watcher)."""

    def render(self, kind: str, item_id: int, watching: bool) -> bytes:
        return self.render_string("modules/watch.html", kind=kind, item_id=item_id, watching=watching)


class Bookmark(tornado.web.UIModule):
    """Bookmark a post or question, or remove the bookmark (``item["bookmarked"]``: the caller's)."""

    def render(self, kind: str, item: Mapping[str, Any]) -> bytes:
        return self.render_string("modules/bookmark.html", kind=kind, item=item)


class Item(tornado.web.UIModule):
    """A comment or an answer with its replies and, for who may reply, a reply form; for its moderators,
    the moderation buttons."""

    def render(self, kind: str, item: Mapping[str, Any], back: str, can_reply: bool, moderates: bool = False,
               accepting: bool = False) -> bytes:
        return self.render_string("modules/item.html", kind=kind, item=item, back=back, can_reply=can_reply,
                                  moderates=moderates, accepting=accepting)


class Votes(tornado.web.UIModule):
    """An answer's score, its vote buttons (not on your own), its "accepted" mark, and for the question's
    author (``accepting``) the button that accepts it."""

    def render(self, item: Mapping[str, Any], back: str, accepting: bool) -> bytes:
        return self.render_string("modules/votes.html", item=item, back=back, accepting=accepting)


class Report(tornado.web.UIModule):
    """The report button: a small form with the reasons (signed-in visitors only)."""

    def render(self, kind: str, target_id: int, back: str) -> bytes:
        return self.render_string("modules/report.html", kind=kind, target_id=target_id, back=back,
                                  reasons=pages.REPORT_REASONS)


class Moderate(tornado.web.UIModule):
    """A hidden item's notice, and for its moderators: hide or restore, and delete (then go to ``gone``)."""

    def render(self, kind: str, item: Mapping[str, Any], back: str, moderates: bool, gone: str = "") -> bytes:
        return self.render_string("modules/moderate.html", kind=kind, item=item, back=back, moderates=moderates,
                                  gone=gone or back)


class Pager(tornado.web.UIModule):
    """The "← Newer" and "Older →" links under a list (``shared.pages.pager_links``)."""

    def render(self, listing: Mapping[str, Any]) -> bytes:
        query = {name: self.handler.decode_argument(values[0], name=name)
                 for name, values in self.request.query_arguments.items()}
        links = pages.pager_links(self.request.path, query, listing["next_cursor"])
        return self.render_string("modules/pager.html", links=links)


class Field(tornado.web.UIModule):
    """A labelled form field showing the user's input and its error after a refusal.

    ``kind``: text, email, password (never shown again) or textarea.
    """

    def render(self, name: str, label: str, values: Mapping[str, str], errors: Mapping[str, str],
               kind: str = "text", maxlength: int = 0, required: bool = True) -> bytes:
        value = "" if kind == "password" else values.get(name, "")
        return self.render_string("modules/field.html", name=name, label=label, kind=kind, maxlength=maxlength,
                                  required=required, value=value, error=errors.get(name))


class Editor(tornado.web.UIModule):
    """The Write / Preview tabs and the "Upload image" button over a Markdown field (``shared/static/editor.js``).

    Hidden until the script shows it: without JavaScript the field is a plain textarea.
    """

    def render(self, name: str) -> bytes:
        return self.render_string("modules/editor.html", name=name)
