"""Markdown to safe HTML, and the @mentions in a text.

Rendering is two steps on purpose: markdown-it-py turns Markdown into HTML with raw HTML switched
off, then nh3 (the Rust sanitiser ammonia) cleans the result against an allow-list. The second step
is what makes it safe: whatever a parser bug or a crafted link lets through, no script, no event
handler and no ``javascript:`` URL survives the allow-list.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark with raw HTML off; bare URLs become links (linkify-it-py).
_md = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable("linkify")

_cleaner = nh3.Cleaner(
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener",   # user links earn no ranking and cannot reach window.opener
)

MAX_MENTIONS = 10
# An @ at the start or after white space, a comma, an opening bracket or quote: not inside an e-mail
# address (ann@example.org) or a URL (https://example.org/@ann).
_MENTION = re.compile(r"(?<![^\s,;(\[{\"'])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])")


def render(text: str) -> str:
    """Markdown source → sanitised HTML, ready to store next to the source and to serve."""
    return _cleaner.clean(_md.render(text))


def _prose(tokens: list[Token]) -> str:
    """The text a reader sees as prose: code spans and code blocks left out."""
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "text":
                    parts.append(child.content)
                else:                       # code_inline, breaks, link and emphasis markers
                    parts.append(" ")
        parts.append("\n")
    return "".join(parts)


def mentions(text: str) -> list[str]:
    """The distinct ``@usernames`` outside code, in order of first appearance, at most ten.

    Usernames are unique ignoring case, so ``@Alice`` and ``@alice`` count once.
    """
    found: dict[str, str] = {}
    for match in _MENTION.finditer(_prose(_md.parse(text))):
        found.setdefault(match.group(1).lower(), match.group(1))
        if len(found) == MAX_MENTIONS:
            break
    return list(found.values())
