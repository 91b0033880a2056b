"""Issue #17, "a confirmation after every action": the one table of messages (``shared.pages.DONE``), how a
redirect names one of its keys, and that both flavours confirm the same actions with the same keys.

The walk over real servers is in tests/pages/test_pages.py; this file reads the page handlers' source.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from shared import pages

ROOT = Path(__file__).resolve().parent.parent
FLAVOURS = {"flask": ROOT / "wsgi_app" / "pages", "tornado": ROOT / "async_app" / "handlers" / "pages"}
# The helpers that redirect after a form, and the position of their ``done`` argument.
REDIRECTS = {"see": 1, "back": 1, "with_session": 2}


def test_with_done_names_a_key_before_the_fragment_and_replaces_an_old_one() -> None:
    assert pages.with_done("/settings", "profile") == "/settings?done=profile"
    assert pages.with_done("/posts/3#comment-9", "commented") == "/posts/3?done=commented#comment-9"
    assert pages.with_done("/moderation?status=open&done=resolved&cursor=x", "hidden") == \
        "/moderation?status=open&cursor=x&done=hidden"
    assert pages.done_path("/posts/3", None) == "/posts/3"
    with pytest.raises(KeyError):
        pages.with_done("/", "anything-else")       # a typo fails loudly, never a silent unconfirmed page


def test_every_key_has_a_message() -> None:
    assert set(pages.DONE_AFTER.values()) <= set(pages.DONE)
    assert {pages.joined({"status": "approved"}), pages.joined({"status": "pending"})} <= set(pages.DONE)
    assert pages.done_message("nope") is None and pages.done_message(None) is None


def done_arguments(folder: Path) -> Counter[str]:
    """Every ``done`` the page handlers pass to a redirect, as source (``"posted"``, ``pages.DONE_AFTER[action]``)."""
    found: Counter[str] = Counter()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in REDIRECTS:
                continue
            done = [kw.value for kw in node.keywords if kw.arg == "done"] or node.args[REDIRECTS[name]:][:1]
            for value in done:
                if isinstance(value, ast.Name) and value.id == "done":
                    continue                        # a helper passing its own argument on
                found[ast.unparse(value).replace("'", '"')] += 1
    return found


def test_both_flavours_confirm_the_same_actions_with_known_keys() -> None:
    flask, tornado = (done_arguments(folder) for folder in FLAVOURS.values())
    assert flask == tornado
    literals = {ast.literal_eval(source) for source in flask if source.startswith('"')}
    assert literals <= set(pages.DONE), literals - set(pages.DONE)
    # and no message is dead: each key is a literal, a route's word, a decision, or a /settings form's name
    settings_forms = {"profile", "email", "notifications", "language"}      # see("/settings", which)
    reached = literals | set(pages.DONE_AFTER.values()) | {"joined", "applied"} | settings_forms
    assert reached == set(pages.DONE)
