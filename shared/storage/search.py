"""Search (API.md §7): the one interface the forum searches through, here on the database's own engine.

The interface is these operations; nothing else in the forum knows how search works:

- :func:`terms` — a title and a body as the words to store (CPU: jieba, a ``Compute`` before the
  operation's first write, like Markdown);
- :func:`add`, :func:`change`, :func:`remove_thread`, :func:`remove` (after :func:`with_replies`) —
  the index moves in the *same transaction* as the content, so an answer that says "created" or
  "deleted" is already true of search;
- :func:`search` — ``GET /search``: best match first, keyset pages on (score, document id); on
  MySQL/MariaDB words in many documents newest first, pages on the document id (:data:`COMMON`);
- :func:`reindex_batch` — ``forum reindex`` rebuilds everything from the rows, in batches.

Underneath, one table, ``search_docs`` (its words as :mod:`shared.search_text` segments them),
indexed by SQLite FTS5 or InnoDB FULLTEXT. Every statement is the same on both databases except the
MATCH itself, which the schema names (``search_state.engine``). An operator who outgrows the
database replaces this module: the write hooks would put a message on the outbox in the same
transaction and a worker would feed OpenSearch or Meilisearch; :func:`search` would ``Fetch`` from it.

What is found is joined to its own row (one page of the best matches at a time): a document whose
post, comment, question, answer or group is gone is never shown (a comment deleted with its post, say), and the author, title and excerpt are
always the row's current ones. Hidden content (moderation, #13) is left out by :data:`VISIBLE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import BadRequest, FieldError, Invalid, TimedOut
from shared.i18n import _l
from shared.pagination import PageRequest, page, parse_page
from shared.search_text import SearchQuery, document_terms, excerpt_html, parse_query, plain_text
from shared.shapes import AUTHOR_COLUMNS, user_summary
from shared.storage.effects import READ_ONLY, Compute, Op, Query, Transaction, read_only
from shared.storage.threads import Keyset
from shared.validation import MAX_ID

KINDS = ("post", "comment", "question", "answer", "group")
MAX_QUERY = 200
Terms = tuple[str | None, str | None]      # (title terms, body terms); None: that field is unchanged

# -- writing: called by the content operations, in their transaction ----------------------------------


def terms(title: str | None, body: str | None) -> Op[Terms]:
    """The words to store for a title and a body; before the first write, like ``threads.render``."""
    found: Terms = yield Compute(document_terms, (title, body))
    return found


_INSERT = ("INSERT INTO search_docs (kind, item_id, thread_id, group_id, title_terms, body_terms)"
           " VALUES (%s, %s, %s, %s, %s, %s)")
# A document's group (``?group_id=``): a group's own id; a post's and its comments', their post's
# (already locked by the write that indexes them); questions and answers have none.
_ADD = ("INSERT INTO search_docs (kind, item_id, thread_id, group_id, title_terms, body_terms)"
        " VALUES (%s, %s, %s, COALESCE(%s, (SELECT group_id FROM posts WHERE id = %s)), %s, %s)")


def add(kind: str, item_id: int, found: Terms, thread_id: int | None) -> Op[None]:
    """Index a new post, comment, question, answer or group (``thread_id``: its post or question)."""
    own_group = item_id if kind == "group" else None
    post_id = thread_id if kind in ("post", "comment") else None
    yield Query(_ADD, (kind, item_id, thread_id, own_group, post_id, found[0] or "", found[1] or ""), "rowcount")


def change(kind: str, item_id: int, found: Terms) -> Op[None]:
    """An edit: the fields given are stored again, the others kept."""
    if found != (None, None):
        yield Query("UPDATE search_docs SET title_terms = COALESCE(%s, title_terms),"
                    " body_terms = COALESCE(%s, body_terms) WHERE kind = %s AND item_id = %s",
                    (found[0], found[1], kind, item_id), "rowcount")


def remove_thread(kind: str, items: str, thread_id: int) -> Op[None]:
    """A deleted post or question, and the comments or answers deleted with it."""
    yield Query("DELETE FROM search_docs WHERE kind IN (%s, %s) AND thread_id = %s", (kind, items, thread_id),
                "rowcount")


def with_replies(table: str, item_id: int) -> Op[list[int]]:
    """A comment or answer and its replies: the documents its deletion will leave behind.

    Asked before the delete, as a plain read (it locks nothing), so that the DELETE below names its
    rows and reads no other table: a DELETE that read ``comments`` would lock their rows as well,
    and deadlock with likers on MySQL.
    """
    rows = yield Query(f"SELECT id FROM {table} WHERE id = %s OR parent_id = %s",  # noqa: S608 - table from code
                       (item_id, item_id))
    return [row["id"] for row in rows]


def remove(kind: str, item_ids: list[int]) -> Op[None]:
    """Deleted comments or answers (an item and its replies)."""
    if item_ids:
        marks = ", ".join(["%s"] * len(item_ids))
        yield Query(f"DELETE FROM search_docs WHERE kind = %s AND item_id IN ({marks})",  # noqa: S608
                    (kind, *item_ids), "rowcount")


# -- searching ---------------------------------------------------------------------------------------

# What matched, with a score (higher is better, an integer so a cursor compares it exactly).
# FTS5's bm25() is lower for better matches; InnoDB's relevance is higher.
_MATCH = {
    "fts5": ("SELECT d.id AS doc_id, d.kind, d.item_id, CAST(-bm25(search_fts) * 1000000 AS INTEGER) AS score"
             " FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid WHERE search_fts MATCH %s", 1),
    "innodb": ("SELECT d.id AS doc_id, d.kind, d.item_id,"
               " FLOOR(MATCH (d.title_terms, d.body_terms) AGAINST (%s IN BOOLEAN MODE) * 1000000) AS score"
               " FROM search_docs d WHERE MATCH (d.title_terms, d.body_terms) AGAINST (%s IN BOOLEAN MODE)", 2),
}

# SQLite ranks only the newest :data:`RANKED` matches: the highest document ids, which FTS5 takes by
# walking its match list backwards and stopping, before any score is computed. Without a bound, a query
# that matches much of the forum costs a bm25 score for every match (the commonest words of the bench's
# data: 167,000-355,000 of 1.1 M documents) before the page is cut; with it, at most RANKED. Scores
# stay bm25's own (its document frequencies are the whole index's), so it is best match first within
# the window, and the window is the same for every page while the index is unchanged (stable keyset
# pages). InnoDB has no such step: its FULLTEXT search reads every match whatever the statement says
# (an ``ORDER BY d.id DESC LIMIT`` measured slower, not faster), so there common words are found
# without it, newest first (:data:`COMMON`, below); see docs/search.md and loadtests/RESULTS.md.
RANKED = 5000        # 0: rank every match (how it was measured before the bound)
_NEWEST = {"fts5": " ORDER BY search_fts.rowid DESC LIMIT %s", "innodb": ""}

# The best ``LIMIT`` of them after the cursor: ranked first, so only one page's rows are joined below.
_RANKED = "SELECT * FROM ({match}) m{after} ORDER BY m.score DESC, m.doc_id DESC LIMIT %s"  # noqa: S608
ORDER = Keyset(("m.score", "m.doc_id"))

# InnoDB (MySQL/MariaDB): a query whose words are in more than about COMMON documents is not ranked
# (FULLTEXT reads and ranks every match, ~12 us each: seconds for a word in 100,000 documents) but
# found *newest first*, by reading the documents downwards by primary key and keeping those whose
# stored terms hold every word (a byte-wise LIKE '% zzword %', ~1 us a document): common words fill a
# page after a few hundred documents. Which way is decided by a probe: the newest WINDOW = ``fetch *
# documents / COMMON`` documents are read for a page of matches, which they hold only if the words are
# in about COMMON documents or more (spread evenly). If found, that is the first page; if not, the words
# are rare enough to rank them all. Later pages read on below the cursor a window at a time; where a
# window holds less than a page (the words are rarer down there), the rest comes from the FULLTEXT
# index in the same order, by id (it costs every match, few when the window ran dry). A cursor says
# which way it was: ``[score, doc id]`` ranked, ``[doc id]`` (with ``?type=``: ``[item id]``) newest first.
COMMON = 2000        # 0: rank every query (how it was measured before)
REST = 16            # below the cursor, at most this many windows left: read them all rather than the index
GROUP_WINDOW = 2000  # with ?group_id=, a window is at most this many of the group's documents (see below)
NEWEST = Keyset(("d.id",))              # newest first: by document id
NEWEST_OF_KIND = Keyset(("d.item_id",))  # with ?type=: by the item's id, on (kind, item_id)
# Newest first is by document id; with ``?type=``, by the item's own id within that kind (the index
# ``(kind, item_id)``), so a kind is read on its own however its documents sit among the others. With
# ``?group_id=`` the same, among the group's own documents (``(group_id, id)``, ``(group_id, kind,
# item_id)``), once the words are common in the whole forum (:func:`_common_in_forum`), and a window is
# at most :data:`GROUP_WINDOW` of the group's documents: a group smaller than that is read whole.
_SCAN = ("SELECT d.id AS doc_id, d.kind, d.item_id, {key} AS score FROM search_docs d"  # noqa: S608 - fixed text
         " WHERE {below} AND {key} > %s{words}{filters} ORDER BY {key} DESC LIMIT %s")
_HAS_WORD = " AND CAST(CONCAT(' ', d.title_terms, ' ', d.body_terms, ' ') AS BINARY) LIKE %s ESCAPE '!'"
_NEWEST_MATCH = ("SELECT d.id AS doc_id, d.kind, d.item_id, {key} AS score FROM search_docs d"  # noqa: S608
                 " WHERE MATCH (d.title_terms, d.body_terms) AGAINST (%s IN BOOLEAN MODE) AND {below}{filters}"
                 " ORDER BY {key} DESC LIMIT %s")
# The window's lower end within a kind or a group: the key ``window`` documents below among those
# (None: fewer are left).
_WINDOW = "SELECT {key} FROM search_docs d WHERE {key} < %s{filters} ORDER BY {key} DESC LIMIT 1 OFFSET %s"  # noqa: S608

# ``?group_id=``: the group itself, its posts and their comments (the document's ``group_id``).
IN_GROUP = " AND d.group_id = %s"

# Hidden content is never found (API.md §6): a row hidden by a moderator (``hidden_at``), or a comment
# or answer under a hidden post or question or a hidden comment or answer, is left out; so is a document
# whose row is gone (no author).
VISIBLE = ("u.id IS NOT NULL"
           " AND COALESCE(p.hidden_at, c.hidden_at, cp.hidden_at, cr.hidden_at, q.hidden_at, a.hidden_at,"
           " aq.hidden_at, ar.hidden_at) IS NULL")

# Each ranked match joined to its row (and a comment's post, an answer's question, for their titles),
# with whether it may be shown.
_SHOW = (
    "SELECT s.doc_id, s.score, s.kind, s.item_id,"  # noqa: S608 - fixed text
    " COALESCE(p.title, cp.title, q.title, aq.title, g.name) AS title,"
    " COALESCE(p.content_html, c.content_html, q.content_html, a.content_html) AS content_html,"
    " g.description, COALESCE(c.post_id, a.question_id) AS page_id,"
    " COALESCE(p.created_at, c.created_at, q.created_at, a.created_at, g.created_at) AS created_at, "
    + AUTHOR_COLUMNS + f", CASE WHEN {VISIBLE} THEN 1 ELSE 0 END AS visible"
    " FROM ({ranked}) s"
    " LEFT JOIN posts p ON s.kind = 'post' AND p.id = s.item_id"
    " LEFT JOIN comments c ON s.kind = 'comment' AND c.id = s.item_id"
    " LEFT JOIN posts cp ON cp.id = c.post_id"
    " LEFT JOIN comments cr ON cr.id = c.parent_id"
    " LEFT JOIN questions q ON s.kind = 'question' AND q.id = s.item_id"
    " LEFT JOIN answers a ON s.kind = 'answer' AND a.id = s.item_id"
    " LEFT JOIN questions aq ON aq.id = a.question_id"
    " LEFT JOIN answers ar ON ar.id = a.parent_id"
    " LEFT JOIN forum_groups g ON s.kind = 'group' AND g.id = s.item_id"
    " LEFT JOIN users u ON u.id = COALESCE(p.user_id, c.user_id, q.user_id, a.user_id, g.owner_id)"
    " ORDER BY s.score DESC, s.doc_id DESC"
)


class SearchTooBroad(Invalid):
    """422 ``/problems/search-too-broad``: the statement ran past ``search_timeout`` and MySQL stopped it.

    422 and not 503: the server is well, the words are what cost too much, and the same words would
    cost the same again; the user can fix it by adding a more specific word (the ``q`` field's error).
    """

    title = "Search Too Broad"

    def __init__(self) -> None:
        said = _l("These words are in too many posts to rank in time: add a more specific word")
        super().__init__([FieldError("q", said)], detail=said)


def _kind(query: Mapping[str, str]) -> list[str]:
    """``?type=``: one kind of document, or every kind."""
    kind = query.get("type")
    if not kind:                                   # absent, or "Everything" on the page's form
        return []
    if kind not in KINDS:
        raise BadRequest(_l("%(name)s: must be one of: %(choices)s", name="type", choices=", ".join(KINDS)))
    return [kind]


def _group(query: Mapping[str, str]) -> list[int]:
    """``?group_id=``: a group, its posts and their comments."""
    group = query.get("group_id")
    if not group:
        return []
    if not (group.isdigit() and len(group) <= 19 and 1 <= int(group) <= MAX_ID):
        raise BadRequest(_l("group_id: must be a group's id"))
    return [int(group)]


def _url(row: Mapping[str, Any]) -> str:
    kind, item_id, page_id = row["kind"], row["item_id"], row["page_id"]
    return {
        "post": f"/posts/{item_id}",
        "comment": f"/posts/{page_id}#comment-{item_id}",
        "question": f"/questions/{item_id}",
        "answer": f"/questions/{page_id}#answer-{item_id}",
        "group": f"/groups/{item_id}",
    }[kind]


def shape_result(row: Mapping[str, Any], query: SearchQuery) -> dict[str, Any]:
    """A :class:`shared.shapes.SearchResult`."""
    text = row["description"] if row["kind"] == "group" else plain_text(row["content_html"])
    return {
        "type": row["kind"],
        "id": row["item_id"],
        "title": row["title"],
        "excerpt_html": excerpt_html(text, query),
        "author": user_summary(row, "author_"),
        "created_at": clock.iso(row["created_at"]),
        "url": _url(row),
    }


def _shape_all(rows: list[dict[str, Any]], query: SearchQuery) -> list[dict[str, Any]]:
    return [shape_result(row, query) for row in rows]


@read_only
def search(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``?q=`` (1–200 characters), ``?type=``, ``?group_id=``, ``?limit=``, ``?cursor=``: best match first
    (on MySQL/MariaDB, words in many documents newest first: :data:`COMMON`)."""
    text = query.get("q", "").strip()
    if not 1 <= len(text) <= MAX_QUERY:
        raise Invalid.one("q", _l("must be 1 to %(num)d characters", num=MAX_QUERY))
    kind, group = _kind(query), _group(query)
    request = parse_page(query)
    wanted: SearchQuery = yield Compute(parse_query, (text,))
    if wanted.empty:                                       # only punctuation: nothing can match
        return {"items": [], "next_cursor": None}
    state = yield Query("SELECT engine, (SELECT MIN(id) FROM search_docs) AS low,"
                        " (SELECT MAX(id) FROM search_docs) AS high FROM search_state", returns="row")
    filters = (" AND d.kind = %s" if kind else "") + (IN_GROUP if group else "")
    filter_params = [*kind, *group]
    rows: list[dict[str, Any]] | None = None
    if state["engine"] == "innodb" and COMMON and (request.after is None or len(request.after) == 1):
        rows = yield from _newest_first(wanted, bool(kind), bool(group), filters, filter_params, request, state)
    if rows is not None:
        key = _scan_key
    else:
        rows = yield from _best_first(wanted, filters, filter_params, request, state["engine"])
        key = ORDER.key
    shaped = yield Compute(_shape_all, (rows[: request.limit], wanted))   # excerpts: CPU, with nothing held
    return {**page(rows, request, key), "items": shaped}


def _best_first(wanted: SearchQuery, filters: str, filter_params: list[Any], request: PageRequest,
                engine: str) -> Op[list[dict[str, Any]]]:
    """Ranked by the engine: a page of the best matches after the cursor, with what may be shown."""
    match_sql, uses = _MATCH[engine]
    words = wanted.fts5() if engine == "fts5" else wanted.boolean_mode()
    newest = _NEWEST[engine] if RANKED else ""
    match_sql += filters + newest
    params = [words] * uses + filter_params + ([RANKED] if newest else [])
    rows: list[dict[str, Any]] = []
    after = request.after
    while len(rows) < request.fetch:     # again only when a page had rows that may not be shown
        where, extra = ORDER.after(after) if after is not None else ("", [])
        ranked = _RANKED.format(match=match_sql, after=f" WHERE {where}" if where else "")
        try:     # InnoDB reads every match whatever the SQL says: the server stops it at search_timeout
            batch = yield Query(_SHOW.format(ranked=ranked), (*params, *extra, request.fetch), bounded=True)
        except TimedOut:
            raise SearchTooBroad() from None
        rows += [row for row in batch if row["visible"]]
        if len(batch) < request.fetch:
            break
        after = ORDER.key(batch[-1])
    return rows[: request.fetch]


def _newest_first(wanted: SearchQuery, by_kind: bool, in_group: bool, filters: str, filter_params: list[Any],
                  request: PageRequest, state: Mapping[str, Any]) -> Op[list[dict[str, Any]] | None]:
    """InnoDB: a page of the newest documents holding every word, after the cursor; None when the first
    page's probe finds the words too rare for that (then they are ranked: :data:`COMMON`)."""
    documents = 0 if state["high"] is None else state["high"] - state["low"] + 1
    window = -(-request.fetch * documents // COMMON)
    probing = request.after is None
    if probing and not request.fetch <= window < documents:   # fewer than COMMON documents: rank them all
        return None
    patterns = wanted.like_patterns()
    if in_group:
        if probing and not (yield from _common_in_forum(patterns, request.fetch, window, state)):
            return None
        window = min(window, GROUP_WINDOW)
    order = NEWEST_OF_KIND if by_kind else NEWEST
    key = order.columns[0]
    rows: list[dict[str, Any]] = []
    below = request.after or [MAX_ID + 1 if by_kind else state["high"] + 1]
    while len(rows) < request.fetch:          # again only when a page had rows that may not be shown
        where, extra = order.after(below)     # a cursor of one whole number, or a 400
        scan = _SCAN.format(key=key, below=where, words=_HAS_WORD * len(patterns), filters=filters)
        if filters:                           # the window's end among that kind or group; 0: the rest is shorter
            low = (yield Query(_WINDOW.format(key=key, filters=filters), (below[0], *filter_params, window - 1),
                               "value")) or 0
        else:
            low = below[0] - window
            if not probing and low - (state["low"] or 0) < REST * window:    # what is left is short: read it all
                low = 0
        try:
            batch = yield Query(_SHOW.format(ranked=scan), (*extra, low, *patterns, *filter_params, request.fetch),
                                bounded=True)
            if len(batch) < request.fetch and low > 0:
                if probing:
                    return None               # not a page among the newest: rare enough to rank
                indexed = _NEWEST_MATCH.format(key=key, below=where, filters=filters)
                batch = yield Query(_SHOW.format(ranked=indexed),
                                    (wanted.boolean_mode(), *extra, *filter_params, request.fetch), bounded=True)
        except TimedOut:
            raise SearchTooBroad() from None
        probing = False
        rows += [row for row in batch if row["visible"]]
        if len(batch) < request.fetch:
            break
        below = _scan_key(batch[-1])
    return rows[: request.fetch]


def _common_in_forum(patterns: list[str], fetch: int, window: int, state: Mapping[str, Any]) -> Op[bool]:
    """Whether the newest ``window`` documents of the whole forum hold a page of the words.

    Asked before a group is read newest first: a group's documents lie scattered among the others, so
    reading them costs a random row read each (~45 us on ``medium``: half a second for a group of
    10,000 that lacks the words), while words this rare are ranked by FULLTEXT in a few milliseconds
    whatever the group. Common words are read from the group, :data:`GROUP_WINDOW` documents at most
    before the words count as rare in it and FULLTEXT takes over.
    """
    where, extra = NEWEST.after([state["high"] + 1])
    scan = _SCAN.format(key="d.id", below=where, words=_HAS_WORD * len(patterns), filters="")
    try:
        found = yield Query(scan, (*extra, state["high"] + 1 - window, *patterns, fetch), bounded=True)
    except TimedOut:
        raise SearchTooBroad() from None
    return len(found) >= fetch


def _scan_key(row: Mapping[str, Any]) -> list[Any]:
    return [row["score"]]                     # the document's id, or the item's with ?type=


# -- rebuilding: forum reindex -------------------------------------------------------------------------

# Each kind's rows as documents: its table, and (id, thread, group, title, body).
SOURCES = {
    "post": ("posts", "id, id AS thread_id, group_id, title, content AS body"),
    "comment": ("comments", "id, post_id AS thread_id, (SELECT p.group_id FROM posts p WHERE p.id = comments.post_id)"
                            " AS group_id, NULL AS title, content AS body"),
    "question": ("questions", "id, id AS thread_id, NULL AS group_id, title, content AS body"),
    "answer": ("answers", "id, question_id AS thread_id, NULL AS group_id, NULL AS title, content AS body"),
    "group": ("forum_groups", "id, NULL AS thread_id, id AS group_id, name AS title, description AS body"),
}


@lru_cache(maxsize=4096)
def _cached_terms(title: str | None, body: str | None) -> Terms:
    """Bulk data repeats its texts: segment each distinct one once."""
    return document_terms(title, body)


def _documents(kind: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    docs = []
    for row in rows:
        title, body = _cached_terms(row["title"], row["body"])
        docs.append((kind, row["id"], row["thread_id"], row["group_id"], title or "", body or ""))
    return docs


@read_only
def count_rows(kind: str) -> Op[int]:
    """How many rows of ``kind`` there are (for the progress bar)."""
    return int((yield Query(f"SELECT COUNT(*) FROM {SOURCES[kind][0]}", returns="value")))  # noqa: S608


def reindex_batch(kind: str, after: int, limit: int) -> Op[tuple[int, int]]:
    """Index the next ``limit`` rows of ``kind`` after id ``after``: ``(last id, rows done)``.

    Reads with no transaction, segments with nothing held, then replaces the documents of that id
    range in one short transaction (documents of rows deleted meanwhile go too). The last batch
    (fewer rows than ``limit``) also drops every document past the last row.
    """
    yield READ_ONLY
    table, columns = SOURCES[kind]
    rows = yield Query(f"SELECT {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                       (after, limit))
    docs = yield Compute(_documents, (kind, rows))
    yield Transaction()
    last = rows[-1]["id"] if rows else after
    if len(rows) < limit:
        yield Query("DELETE FROM search_docs WHERE kind = %s AND item_id > %s", (kind, after), "rowcount")
    else:
        yield Query("DELETE FROM search_docs WHERE kind = %s AND item_id > %s AND item_id <= %s",
                    (kind, after, last), "rowcount")
    if docs:
        yield Query(_INSERT, docs, "rowcount", many=True)
    return last, len(rows)


def mark_built() -> Op[None]:
    yield Query("UPDATE search_state SET built_at = %s WHERE engine IN ('fts5', 'innodb')", (clock.db_time(),), "rowcount")


@read_only
def needs_build() -> Op[bool]:
    """Whether the index was never built from the rows (a database migrated before search existed)."""
    return (yield Query("SELECT built_at FROM search_state", returns="value")) is None
