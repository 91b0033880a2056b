"""Search text, once for both databases: words from text, a query from what a user typed, excerpts.

Neither SQLite's FTS5 nor InnoDB's FULLTEXT finds Chinese words: both take a run of Chinese
characters without spaces as one token. So the words are found here, by jieba, and the engines
index text that is already *space-separated words*:

- stored text: :func:`index_terms` (``jieba.cut_for_search``: the words and, for a long word, its
  shorter words too, so ``服务`` finds ``网络服务``);
- a query: :func:`parse_query` (``jieba.cut``: the words as a reader means them).

Both sides are normalised the same way (NFKC, case-folded: ``ＰＹＴＨＯＮ`` is ``python``) and keep
only letters and digits, so nothing a user types reaches an engine's query syntax: quotes, ``*``,
``-``, ``+``, ``@``, parentheses and operators such as ``NEAR`` are either dropped or lower-case
words like any other (RELIABILITY 50).

Every stored and every queried word carries the prefix :data:`MARK`. InnoDB ignores words shorter
than ``innodb_ft_min_token_size`` (3) and a list of stopwords (``the``, ``will`` ...), both fixed
in the server's configuration; ``zz协程`` and ``zzthe`` are neither, so two-character Chinese words
and short English words are found on an untouched MariaDB, and both engines hold the same tokens.
A prefix stays a prefix: ``zzpyth*`` matches ``zzpython``.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

MARK = "zz"
MAX_TERM = 32            # characters of one word kept (InnoDB's longest token is 84)
MAX_QUERY_TERMS = 12     # words of a query used: each must match, and more add cost, not precision
EXCERPT_CHARS = 200      # how much text an excerpt shows around the first match

_WORD = re.compile(r"[^\W_]+")                         # letters and digits (any script), no underscore
_SPACE = re.compile(r"\s+")
_BLOCK = re.compile(r"</?(?:p|br|li|ul|ol|h[1-6]|pre|div|blockquote|table|tr|td|th|hr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ASCII_WORD = re.compile(r"[0-9a-z]+\Z")
# Runs of Han characters (CJK Unified Ideographs, extension A, compatibility, extensions B-F): only
# these need jieba; the rest of the text is words between spaces and punctuation already.
_HAN = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+)")
_ready = threading.Lock()
_jieba_loaded = False


# -- jieba, loaded lazily (issue #18): its import is ~10 MB (it pulls in pkg_resources) and its
# dictionary ~60 MB more, so a process loads it only when a text has Chinese to segment: a process
# that only holds WebSockets, or a forum whose texts have no Han characters, never does.

def _segmenter() -> jieba.Tokenizer:
    """jieba's tokenizer, imported and its dictionary loaded once per process (about a second, the first time)."""
    global _jieba_loaded
    import jieba

    if not _jieba_loaded:
        with _ready:
            if not _jieba_loaded:
                jieba.setLogLevel(logging.WARNING)
                jieba.dt.initialize()
                _jieba_loaded = True
    return jieba.dt


def _cut_for_search(han: str) -> Iterable[str]:
    return _segmenter().cut_for_search(han)


def _cut(han: str) -> Iterable[str]:
    return _segmenter().cut(han)

# -- end of jieba's loading


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _words(text: str, cut: Callable[[str], Iterable[str]]) -> list[str]:
    """The words of normalised ``text``: Chinese as ``cut`` (jieba) finds them, the rest between
    spaces and punctuation; letters and digits only (``c++`` → ``c``, ``don't`` → ``don``, ``t``)."""
    words: list[str] = []
    for i, part in enumerate(_HAN.split(text)):
        for piece in (cut(part) if i % 2 else (part,)):
            words.extend(word[:MAX_TERM] for word in _WORD.findall(piece))
    return words


def index_terms(text: str) -> str:
    """What the index stores for ``text``: its words, each with :data:`MARK`, space-separated."""
    words = _words(normalise(text), _cut_for_search)
    return " ".join(MARK + word for word in words)


def document_terms(title: str | None, body: str | None) -> tuple[str | None, str | None]:
    """The stored terms of a title and a body (None stays None: an edit that keeps that field)."""
    return (None if title is None else index_terms(title)), (None if body is None else index_terms(body))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A query as words: each must match; the last one also as a prefix when ``prefix``."""

    words: tuple[str, ...]
    prefix: bool

    @property
    def empty(self) -> bool:
        """Nothing to look for (only punctuation, say): no document can match."""
        return not self.words

    def boolean_mode(self) -> str:
        """InnoDB ``MATCH ... AGAINST (... IN BOOLEAN MODE)``: ``+zzfoo +zzba*``."""
        return " ".join(f"+{MARK}{word}" + ("*" if self._is_prefix(i) else "") for i, word in enumerate(self.words))

    def fts5(self) -> str:
        """FTS5's MATCH: each word a quoted string (``"zzfoo" "zzba" *``); quoted, so never syntax."""
        return " ".join(f'"{MARK}{word}"' + (" *" if self._is_prefix(i) else "") for i, word in enumerate(self.words))

    def like_patterns(self) -> list[str]:
        """One ``LIKE … ESCAPE '!'`` pattern a word on the stored terms padded with spaces: ``% zzfoo %``,
        ``% zzba%``; LIKE's own wildcards literal (none survive :func:`parse_query`: letters and digits)."""
        marked = [(MARK + word).replace("!", "!!").replace("%", "!%").replace("_", "!_") for word in self.words]
        return [f"% {word}%" if self._is_prefix(i) else f"% {word} %" for i, word in enumerate(marked)]

    def _is_prefix(self, i: int) -> bool:
        return self.prefix and i == len(self.words) - 1


def parse_query(text: str) -> SearchQuery:
    """What a user typed → the words to find, in order, each once (at most :data:`MAX_QUERY_TERMS`).

    The last word matches as a prefix too, unless it is one Latin letter or digit (``a*`` would
    match nearly everything, and cost as much); a lone Chinese character does (``协`` finds ``协程``).
    """
    words = list(dict.fromkeys(_words(normalise(text), _cut)))[:MAX_QUERY_TERMS]
    last = words[-1] if words else ""
    return SearchQuery(tuple(words), prefix=bool(last) and not (len(last) == 1 and _ASCII_WORD.match(last)))


# -- excerpts ----------------------------------------------------------------------------------------

def plain_text(content_html: str) -> str:
    """The words of rendered (sanitised) Markdown, without its tags: what an excerpt shows."""
    return html.unescape(_TAG.sub("", _BLOCK.sub(" ", content_html)))


def _pattern(query: SearchQuery) -> re.Pattern[str] | None:
    """The query's words in running text, case-insensitively; Latin words whole (or as a prefix)."""
    if query.empty:
        return None
    alternatives = []
    for i, word in sorted(enumerate(query.words), key=lambda pair: -len(pair[1])):
        prefix = query.prefix and i == len(query.words) - 1
        if _ASCII_WORD.match(word):
            alternatives.append(r"(?<![^\W_])" + re.escape(word) + (r"[^\W_]*" if prefix else r"(?![^\W_])"))
        else:
            alternatives.append(re.escape(word))
    return re.compile("|".join(alternatives), re.IGNORECASE)


def excerpt_html(text: str, query: SearchQuery) -> str:
    """Escaped text around the first match, each matched word in ``<mark>``: the only markup in it."""
    text = _SPACE.sub(" ", text).strip()
    pattern = _pattern(query)
    first = pattern.search(text) if pattern else None
    start = 0 if first is None else max(0, first.start() - EXCERPT_CHARS // 4)
    end = min(len(text), start + EXCERPT_CHARS)
    window = text[start:end]
    out = ["…" if start else ""]
    done = 0
    for match in (pattern.finditer(window) if pattern else ()):
        out.append(html.escape(window[done:match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        done = match.end()
    out.append(html.escape(window[done:]))
    out.append("…" if end < len(text) else "")
    return "".join(out).replace("</mark><mark>", "")        # 高 + 并发: one mark

