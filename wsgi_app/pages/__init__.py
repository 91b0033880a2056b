"""The server-rendered HTML pages (API.md §5) as one blueprint, like the Flask tutorial (flaskr).

One module per resource, as ``wsgi_app/api/`` and the Tornado app's ``handlers/pages/``:
``base.py`` makes the blueprint and holds what every page shares (the session cookie's user, XSRF,
Secure cookies, error pages, ``login_required``); ``auth.py``, ``groups.py``, ``questions.py`` and
``people.py`` add their views to it. What a page reads is one operation of
``shared/storage/page_data.py``; how its form becomes an API body is ``shared/pages.py``. The markup is
the Tornado app's, as Jinja2 macros (``templates/macros.html``).
"""

from wsgi_app.pages import (  # noqa: F401  (importing them adds their views to bp)
    account,
    auth,
    bookmarks,
    groups,
    moderation,
    people,
    questions,
    search,
    writing,
)
from wsgi_app.pages.base import bp
from wsgi_app.pages.xray import xray_bp

__all__ = ["bp", "xray_bp"]
