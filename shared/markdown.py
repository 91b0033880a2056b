"""Markdown to safe HTML, and the @mentions in a text.

Rendering is two steps on purpose: markdown-it-py turns Markdown into HTML with raw HTML switched
off, then nh3 (the Rust sanitiser ammonia) cleans the result against an allow-list. The second step
is what makes it safe: whatever a parser bug or a crafted link lets through, no script, no event
handler and no ``javascript:`` URL survives the allow-list (RELIABILITY 36, 52).

Besides CommonMark: tables, ~~strikethrough~~, task lists (shown, not clickable), bare URLs as links,
and fenced code highlighted by Pygments on the server with classes only (``shared/static/forum.css``
styles them; no inline style survives the cleaner). Images only from the forum's own uploads: a ``src``
that is not ``/media/<file name>`` is dropped. ``@username`` outside code and links
becomes a link to ``/users/by-name/username`` (the page answers with the user's own page, or 404):
rendering runs before any database read, so the link names the user, not their id. It is found by
the one pattern :func:`mentions` uses for notifications, so what notifies someone is what links them.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from shared.uploads import MEDIA_URL

_formatter = HtmlFormatter(nowrap=True)   # spans with short class names (k, s2, nf ...) and nothing else


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """A fenced block in a language Pygments knows, as class-only spans ("" lets markdown-it escape it)."""
    name = lang.split()[0][:40] if lang.strip() else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    return highlight(code, lexer, _formatter)


MAX_MENTIONS = 10
# An @ at the start or after white space, a comma, an opening bracket or quote: not inside an e-mail
# address (ann@example.org) or a URL (https://example.org/@ann).
_MENTION = re.compile(r"(?<![^\s,;(\[{\"'])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])")
MENTION_PATH = "/users/by-name/"       # + the username: the page that sends the browser to the user's page


def _mention_links(state: StateCore) -> None:
    """Each ``@username`` in prose (never in code, never inside a link) as a link to its user's page."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in block.children:
            in_link += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type != "text" or in_link or "@" not in child.content:
                children.append(child)
                continue
            text, last = child.content, 0
            for match in _MENTION.finditer(text):
                children.append(_text(text[last:match.start()], child.level))
                opening = Token("link_open", "a", 1, level=child.level)
                opening.attrs = {"href": MENTION_PATH + match.group(1), "class": "mention"}
                children += [opening, _text(match.group(0), child.level + 1),
                             Token("link_close", "a", -1, level=child.level)]
                last = match.end()
            children.append(_text(text[last:], child.level))
        block.children = [c for c in children if c.type != "text" or c.content]


def _text(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


# CommonMark with raw HTML off, plus GitHub's tables, strikethrough and task lists; bare URLs become links.
_md = (MarkdownIt("commonmark", {"html": False, "linkify": True, "highlight": _highlight})
       .enable(["linkify", "table", "strikethrough"])
       .use(tasklists_plugin))
_md.core.ruler.push("mention_links", _mention_links)

_TOKEN_CLASSES = {name for name in STANDARD_TYPES.values() if name}


# An upload's URL as shared.uploads.save_image makes it: /media/ and one plain file name (no "..", no
# "%2e%2e", no second slash, no backslash, no query), so an image can never point at another path.
_UPLOADED = re.compile(re.escape(MEDIA_URL) + r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def _same_origin_images(tag: str, attribute: str, value: str) -> str | None:
    """An image's ``src`` must be one of this forum's uploads (``/media/<name>``); anything else is dropped."""
    if tag == "img" and attribute == "src":
        return value if _UPLOADED.fullmatch(value) else None
    return value


_cleaner = nh3.Cleaner(
    tags=nh3.ALLOWED_TAGS | {"input"},
    attributes={**nh3.ALLOWED_ATTRIBUTES, "input": {"checked"}},
    # a task list's box is always a disabled checkbox, whatever the source said
    set_tag_attribute_values={"input": {"type": "checkbox", "disabled": "disabled"}},
    allowed_classes={"span": _TOKEN_CLASSES, "ul": {"contains-task-list"}, "li": {"task-list-item"},
                     "a": {"mention"},
                     "input": {"task-list-item-checkbox"}},
    attribute_filter=_same_origin_images,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener",   # user links earn no ranking and cannot reach window.opener
)

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
