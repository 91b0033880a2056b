"""The JSON API under /api/v1: one blueprint per resource, nested in one ``api`` blueprint.

The routes are exactly those of ``shared.routes.ROUTES`` (a test compares them). The parent
blueprint's ``before_request`` hooks refuse HEAD (as the Tornado app does), then find the caller and
apply rate limits once for every view.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from wsgi_app import tornado_compat
from wsgi_app.api import (
    answers,
    base,
    bookmarks,
    comments,
    email,
    events,
    groups,
    guestbook,
    meta,
    moderation,
    notifications,
    posts,
    questions,
    revisions,
    search,
    users,
)

api = Blueprint("api", __name__, url_prefix=base.API_PREFIX)
for module in (users, groups, posts, comments, questions, answers, notifications, events, guestbook, meta,
               moderation, search, email, revisions, bookmarks):
    api.register_blueprint(module.bp)
api.before_request(tornado_compat.refuse_head)
api.before_request(base.before_api_request)


def register(app: Flask) -> None:
    app.before_request(base.limit_body)
    app.register_blueprint(api)
