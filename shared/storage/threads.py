"""What comments (on posts) and answers (on questions) share, written once.

A comment and an answer behave the same: top-level items oldest first, one level of replies, a
counter on the post or question, notifications and likes. So the operations live here once,
parameterised by a frozen :class:`Thread` of table and column names; ``comments.py`` and
``answers.py`` only name their constants. Identifiers in the SQL come only from these constants;
every value is a bound ``%s`` parameter.

The first part holds the small pieces every content list shares (posts and questions too): the
keyset order of a list, the container's counters and hot score, text fields.

Lock order (it keeps MySQL free of deadlocks): a write in a thread locks the container row (post or
question) first, then the parent item, then inserts or deletes rows — the same order everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from shared import clock, markdown
from shared.auth import Viewer
from shared.errors import BadRequest, Forbidden, Invalid, NotFound, thing
from shared.i18n import _l
from shared.pagination import NOT_THIS_LIST, PageRequest, page, parse_page
from shared.ranking import hot_score
from shared.shapes import AUTHOR_COLUMNS, user_columns, user_summary
from shared.storage import likes, roles, watching
from shared.storage.effects import Compute, Op, Publish, Query, read_only
from shared.storage.likes import excerpt
from shared.storage.notifications import notify, notify_mentions
from shared.validation import MAX_ID, Body, check_id, parse

# -- text fields ------------------------------------------------------------------------------------

Title = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Category = Annotated[str, StringConstraints(min_length=1, max_length=32)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]     # posts, questions
ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=10000)]    # comments, answers
Id = Annotated[int, Field(gt=0, le=MAX_ID)]


def hidden_marks(row: Mapping[str, Any]) -> dict[str, Any]:
    """``hidden`` and ``hidden_reason`` on a hidden row (only its author and moderators are shown one)."""
    if row["hidden_at"] is None:
        return {}
    return {"hidden": True, "hidden_reason": row["hidden_reason"] or ""}


def render(text: str) -> Op[str]:
    """Markdown → sanitised HTML, as a Compute step so the Tornado loop never renders 20 KB itself.

    Like every Compute, it comes before the operation's first write (the runner refuses it inside one)."""
    html: str = yield Compute(markdown.render, (text,))
    return html


class Preview(Body):
    content: Annotated[str, StringConstraints(max_length=20000)]    # as long as a post may be; "" is fine


def preview(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """``POST /markdown``: the text as a post would show it, by the same renderer; nothing is stored."""
    viewer.require()
    data = parse(Preview, body)
    return {"html": (yield from render(data.content))}


# -- keyset lists -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Keyset:
    """A list's order: columns compared as one tuple, all descending (newest first), all ascending, or
    each its own way (``descending`` a tuple: answers go accepted first, best score, then oldest).

    The cursor is that tuple for the last item seen; the next page starts strictly after it, so rows
    added meanwhile never shift a page. Each order has an index that matches it.
    """

    columns: tuple[str, ...]          # qualified, e.g. ("p.pinned", "p.id")
    descending: bool | tuple[bool, ...] = True

    def directions(self) -> tuple[bool, ...]:
        if isinstance(self.descending, tuple):
            return self.descending
        return (self.descending,) * len(self.columns)

    def key(self, row: Mapping[str, Any]) -> list[Any]:
        return [row[column.split(".")[-1]] for column in self.columns]

    def order_by(self) -> str:
        return ", ".join(column + (" DESC" if down else "") for column, down in zip(self.columns, self.directions(), strict=True))

    def after(self, key: list[Any]) -> tuple[str, list[Any]]:
        """``(a, b) < (x, y)`` spelt ``a < x OR (a = x AND b < y)``: every engine ranges an index on it."""
        if len(key) != len(self.columns) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in key):
            raise BadRequest(NOT_THIS_LIST)
        steps = list(zip(self.columns, self.directions(), key, strict=True))
        column, down, value = steps[-1]
        sql, params = f"{column}{' < ' if down else ' > '}%s", [value]
        for column, down, value in reversed(steps[:-1]):
            sql = f"({column}{' < ' if down else ' > '}%s OR ({column} = %s AND {sql}))"
            params = [value, value, *params]
        return sql, params


def fetch_page(select: str, where: Sequence[str], params: Sequence[Any], order: Keyset,
               request: PageRequest) -> Op[list[dict[str, Any]]]:
    """One page of ``select`` (SQL up to its FROM/JOINs): ``limit + 1`` rows after the cursor."""
    conditions, values = list(where), list(params)
    if request.after is not None:
        sql, extra = order.after(request.after)
        conditions.append(sql)
        values.extend(extra)
    where_sql = " WHERE " + " AND ".join(conditions) if conditions else ""
    rows: list[dict[str, Any]] = yield Query(f"{select}{where_sql} ORDER BY {order.order_by()} LIMIT %s",
                                             (*values, request.fetch))
    return rows


def exists(table: str, item_id: int) -> Op[bool]:
    """Whether a row exists: asked only when a list came back empty, to tell 'none yet' from 404."""
    found = yield Query(f"SELECT 1 FROM {table} WHERE id = %s", (item_id,), "value")  # noqa: S608
    return found is not None


def parse_sort(query: Mapping[str, str]) -> str:
    sort = query.get("sort", "new")
    if sort not in ("new", "hot"):
        raise BadRequest(_l("sort: must be new or hot"))
    return sort


# -- containers: posts and questions ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Container:
    """A post or a question: what a thread hangs off, with its thread counter and its hot score."""

    table: str          # "posts"
    what: str           # "post": error messages and notification targets
    counter: str        # "comment_count": every item of its thread, replies included
    likes: str          # "like_count", or "0" for a container nobody can like
    items: str          # "comments": the thread's table ...
    items_column: str   # "post_id": ... and its column naming the container
    group_column: str | None = None   # "group_id": the group whose moderators moderate it (None: the site's)

    def group_sql(self) -> str:
        """SQL for the container's group (or NULL), read from a row aliased ``c``."""
        return f"c.{self.group_column}" if self.group_column else "NULL"


def bump(container: Container, item_id: int, delta: int) -> Op[None]:
    """Move the thread counter; the UPDATE also locks the row, so it comes first (see lock order)."""
    moved = yield Query(f"UPDATE {container.table} SET {container.counter} = {container.counter} + %s"  # noqa: S608
                        " WHERE id = %s", (delta, item_id), "rowcount")
    if not moved:
        raise NotFound(container.what)


def refresh_hot(container: Container, item_id: int) -> Op[None]:
    """Recompute the stored hot score from the counts this transaction now sees (and holds locked)."""
    row = yield Query(f"SELECT {container.likes} AS likes, {container.counter} AS replies, created_at"  # noqa: S608
                      f" FROM {container.table} WHERE id = %s", (item_id,), "row")
    if row is not None:
        score = hot_score(int(row["likes"]), int(row["replies"]), clock.parse(row["created_at"]))
        yield Query(f"UPDATE {container.table} SET hot_score = %s WHERE id = %s",  # noqa: S608
                    (score, item_id), "rowcount")


def delete_container(container: Container, item_id: int) -> Op[None]:
    """Delete a post or question with its whole thread (ON DELETE CASCADE), locking rows in order.

    The container, then every item of its thread, are locked *before* the DELETE cascades into
    like rows (with gap locks): a liker locks the liked row first, so locking all rows first means
    no deleter and liker ever wait on each other in a cycle. The counts are zeroed because the
    rows they count are going.
    """
    yield Query(f"UPDATE {container.table} SET {container.counter} = 0 WHERE id = %s",  # noqa: S608
                (item_id,), "rowcount")
    yield Query(f"UPDATE {container.items} SET reply_count = 0 WHERE {container.items_column} = %s",  # noqa: S608
                (item_id,), "rowcount")
    # Its history and its items' histories go too (revisions name them without a foreign key).
    yield Query(f"DELETE FROM revisions WHERE target_type = %s AND target_id IN"  # noqa: S608
                f" (SELECT id FROM {container.items} WHERE {container.items_column} = %s)",
                (container.items[:-1], item_id), "rowcount")
    yield Query("DELETE FROM revisions WHERE target_type = %s AND target_id = %s", (container.what, item_id),
                "rowcount")
    gone = yield Query(f"DELETE FROM {container.table} WHERE id = %s", (item_id,), "rowcount")  # noqa: S608
    if not gone:
        raise NotFound(container.what)                           # deleted meanwhile: roll back


def count_view(container: Container, item_id: int, viewer: Viewer) -> Op[None]:
    """``GET`` of a post or question counts one view, atomically; its author's own visits count none.

    (The row count is of rows matched, on both databases, so the author's visit still finds the row.)"""
    check_id(item_id, container.what)
    seen = yield Query(f"UPDATE {container.table} SET view_count = view_count"  # noqa: S608
                       " + CASE WHEN user_id = %s THEN 0 ELSE 1 END WHERE id = %s",
                       (viewer.user_id or 0, item_id), "rowcount")
    if not seen:
        raise NotFound(container.what)


def edit(container: Container, item_id: int, changes: Mapping[str, Any]) -> Op[None]:
    """Apply an edit; a None value keeps the stored one.

    One fixed statement with ``COALESCE(%s, column)`` rather than read-modify-write, so two editors
    changing different fields (an author's title, an owner's pin) never undo each other.
    """
    assignments = ", ".join(f"{column} = COALESCE(%s, {column})" for column in changes)
    yield Query(f"UPDATE {container.table} SET {assignments} WHERE id = %s",  # noqa: S608
                (*changes.values(), item_id), "rowcount")


# -- revisions: every edit of a text keeps the version it made ----------------------------------------

def revise(what: str, table: str, item_id: int, editor_id: int, rewrite: Op[None]) -> Op[None]:
    """Run ``rewrite`` (the UPDATE of the text) as a revision: the new version is kept, in this transaction.

    The row is locked first, by marking it edited, and that same statement tells whether this is its
    first edit (``edited_at`` was NULL): then the original is kept first, as written by its author
    when it was made. Both copies are ``INSERT ... SELECT`` of the locked row, so two editors at once
    queue on the lock and neither misses a version.
    """
    now = clock.db_time()
    title = "title" if table in ("posts", "questions") else "NULL"
    first = yield Query(f"UPDATE {table} SET edited_at = %s WHERE id = %s AND edited_at IS NULL",  # noqa: S608
                        (now, item_id), "rowcount")
    copy = (f"INSERT INTO revisions (target_type, target_id, editor_id, title, content, created_at)"  # noqa: S608
            f" SELECT %s, id, {{editor}}, {title}, content, {{at}} FROM {table} WHERE id = %s")
    if first:
        yield Query(copy.format(editor="user_id", at="created_at"), (what, item_id), "rowcount")
    else:
        yield Query(f"UPDATE {table} SET edited_at = %s WHERE id = %s", (now, item_id), "rowcount")  # noqa: S608
    yield from rewrite
    yield Query(copy.format(editor="%s", at="%s"), (what, editor_id, now, item_id), "rowcount")


# -- threads: comments and answers ------------------------------------------------------------------

# The largest rendered reply the TEXT column holds (64 KiB); Markdown can grow a lot when rendered.
MAX_HTML_BYTES = 65535


@dataclass(frozen=True, slots=True)
class Thread:
    """The names that make the shared logic about comments or about answers."""

    table: str                  # "comments"
    what: str                   # "comment"
    container: Container        # posts
    container_column: str       # "post_id" (also its name in the JSON)
    top_kind: str               # notification kind for a top-level item: "comment" / "answer"
    like: likes.LikeTarget
    container_columns: str = "user_id"    # what ``gate`` needs of the container row
    # A check before anyone may add to the thread (comments: group membership, unlocked post).
    gate: Callable[[Mapping[str, Any], int], Op[None]] | None = None
    # Answers: votes (``score``, ``my_vote``), one accepted, and top-level items ranked by them.
    votes: bool = False


class ReplyEdit(Body):
    content: ReplyText


class NewReply(Body):
    content: ReplyText
    parent_id: Id | None = None
    reply_to_user_id: Id | None = None


def _select(thread: Thread) -> str:
    """An item with its author and its reply_to user, JOINed: one query for a whole page (only the
    columns :func:`shape` reads: each costs every row its parsing in the driver)."""
    votes = " t.score, t.accepted," if thread.votes else ""
    return (f"SELECT t.id, t.{thread.container_column}, t.content, t.content_html, t.parent_id,"  # noqa: S608
            f" t.like_count, t.reply_count, t.created_at, t.edited_at, t.hidden_at, t.hidden_reason,{votes}"
            f" {AUTHOR_COLUMNS}, {user_columns('r', 'reply_to_')}"
            f" FROM {thread.table} t JOIN users u ON u.id = t.user_id"
            f" LEFT JOIN users r ON r.id = t.reply_to_user_id")


def shape(thread: Thread, row: Mapping[str, Any], liked: bool, my_vote: int = 0) -> dict[str, Any]:
    """A :class:`shared.shapes.Comment` or :class:`shared.shapes.Answer`: the container's key differs,
    and an answer has its votes."""
    votes = {"score": row["score"], "my_vote": my_vote, "accepted": bool(row["accepted"])} if thread.votes else {}
    return {
        "id": row["id"],
        thread.container_column: row[thread.container_column],
        "author": user_summary(row, "author_"),
        "content": row["content"],
        "content_html": row["content_html"],
        "parent_id": row["parent_id"],
        "reply_to": user_summary(row, "reply_to_"),
        "like_count": row["like_count"],
        "liked": liked,
        "reply_count": row["reply_count"],
        "created_at": clock.iso(row["created_at"]),
        "edited_at": clock.iso(row["edited_at"]),
        **votes,
        **hidden_marks(row),
    }


def my_votes(thread: Thread, viewer: Viewer, ids: Sequence[int]) -> Op[dict[int, int]]:
    """The viewer's votes on ``ids`` (answers only): one query for a whole page, none when anonymous."""
    if not thread.votes or viewer.user_id is None or not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    rows = yield Query(f"SELECT answer_id, value FROM answer_votes WHERE user_id = %s AND answer_id IN ({marks})",  # noqa: S608
                       (viewer.user_id, *ids))
    return {row["answer_id"]: int(row["value"]) for row in rows}


def shape_all(thread: Thread, viewer: Viewer, rows: Sequence[Mapping[str, Any]]) -> Op[list[dict[str, Any]]]:
    """Shape rows with the viewer's ``liked`` flags and votes, one query each for all of them."""
    ids = [row["id"] for row in rows]
    liked = yield from likes.liked_ids(thread.like, viewer, ids)
    votes = yield from my_votes(thread, viewer, ids)
    return [shape(thread, row, row["id"] in liked, votes.get(row["id"], 0)) for row in rows]


def _page(thread: Thread, viewer: Viewer, rows: list[dict[str, Any]], request: PageRequest,
          order: Keyset) -> Op[dict[str, Any]]:
    """Shape a page, with the viewer's ``liked`` flags (and votes) for all of it in one query."""
    shaped = {item["id"]: item for item in (yield from shape_all(thread, viewer, rows[: request.limit]))}
    return page(rows, request, order.key, lambda r: shaped[r["id"]])


OLDEST_FIRST = Keyset(("t.id",), descending=False)
NEWEST_FIRST = Keyset(("t.id",))
# Answers: the accepted one, then the best score, then the oldest (index ix_answers_question_rank).
RANKED = Keyset(("t.accepted", "t.score", "t.id"), descending=(True, True, False))


@read_only
def list_top(thread: Thread, viewer: Viewer, container_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Top-level items of a post or question, oldest first (index ``(container, parent_id, id)``);
    answers ranked: accepted, score, oldest (index ``(question_id, parent_id, accepted, score, id)``).

    A hidden post or question lists nothing to those who may not see it (404), in the same query."""
    check_id(container_id, thread.container.what)
    request = parse_page(query)
    order = RANKED if thread.votes else OLDEST_FIRST
    where, params = _visible_in_place(thread, viewer, "t", "c")
    rows = yield from fetch_page(_select(thread) + _in_place(thread), [f"t.{thread.container_column} = %s",
                                 "t.parent_id IS NULL", *where], [container_id, *params], order, request)
    if not rows:       # none yet, or none the viewer may see: which, asked only now
        yield from _require_visible(thread, viewer, thread.container.table, container_id)
    return (yield from _page(thread, viewer, rows, request, order))


@read_only
def list_replies(thread: Thread, viewer: Viewer, item_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Replies to one item, oldest first (index ``(parent_id, id)``); the replies to a hidden item, or
    to one on a hidden post or question, are 404 to those who may not see it."""
    check_id(item_id, thread.what)
    request = parse_page(query)
    where, params = _visible_in_place(thread, viewer, "t", "c", "p")
    rows = yield from fetch_page(_select(thread) + _in_place(thread, parent=True), ["t.parent_id = %s", *where],
                                 [item_id, *params], OLDEST_FIRST, request)
    if not rows:
        yield from _require_visible(thread, viewer, thread.table, item_id)
    return (yield from _page(thread, viewer, rows, request, OLDEST_FIRST))


def _in_place(thread: Thread, parent: bool = False) -> str:
    """JOINs of an item's container (``c``) and, with ``parent``, of its parent item (``p``, NULL for a
    top-level item): primary-key lookups, so a page stays one query."""
    container = thread.container
    sql = f" JOIN {container.table} c ON c.id = t.{thread.container_column}"
    return sql + (f" LEFT JOIN {thread.table} p ON p.id = t.parent_id" if parent else "")


def _visible_in_place(thread: Thread, viewer: Viewer, *aliases: str) -> tuple[list[str], list[Any]]:
    """:func:`roles.visible_filter` for each of ``aliases`` (the item, its container, its parent),
    all judged by the container's group (JOINed as ``c`` by :func:`_in_place`)."""
    group = thread.container.group_sql() if thread.container.group_column else None
    where: list[str] = []
    params: list[Any] = []
    for alias in aliases:
        more, values = roles.visible_filter(viewer, alias, group)
        where += more
        params += values
    return where, params


def _require_visible(thread: Thread, viewer: Viewer, table: str, item_id: int) -> Op[None]:
    """404 unless the container (``table`` its table) or the item (with its container) exists and the
    viewer may see every one of them: what an empty list asks before it answers an empty page."""
    container = thread.container
    group = container.group_sql()
    if table == container.table:
        sql = (f"SELECT c.user_id, c.hidden_at, {group} AS group_id, NULL AS parent_user_id,"  # noqa: S608
               f" NULL AS parent_hidden_at FROM {container.table} c WHERE c.id = %s")
        what = container.what
    else:
        sql = (f"SELECT c.user_id, c.hidden_at, {group} AS group_id, t.user_id AS parent_user_id,"  # noqa: S608
               f" t.hidden_at AS parent_hidden_at FROM {thread.table} t{_in_place(thread)} WHERE t.id = %s")
        what = thread.what
    row = yield Query(sql, (item_id,), "row")
    if row is None:
        raise NotFound(what)
    parent = {"user_id": row["parent_user_id"], "hidden_at": row["parent_hidden_at"]}
    for one in (row, parent):
        if not (yield from roles.may_see(viewer, one, row["group_id"])):
            raise NotFound(what)


def _group_of_item(thread: Thread) -> str | None:
    """SQL for the group of the item aliased ``t`` (None for a thread outside groups)."""
    container = thread.container
    if container.group_column is None:
        return None
    return (f"(SELECT c.{container.group_column} FROM {container.table} c"  # noqa: S608
            f" WHERE c.id = t.{thread.container_column})")


def first_replies(thread: Thread, viewer: Viewer, parent_ids: Sequence[int], limit: int) -> Op[dict[int, list[dict[str, Any]]]]:
    """The first ``limit`` replies (oldest first) under each of a page of items, by parent id.

    One statement for the whole page: a ``UNION ALL`` of one small ``ORDER BY id LIMIT n`` per parent,
    each served by the ``(parent_id, id)`` index, so an item with 10 000 replies costs what one with
    ten does. The viewer's ``liked`` flags for all of them come in one more query.
    """
    replies: dict[int, list[dict[str, Any]]] = {parent: [] for parent in parent_ids}
    if not parent_ids:
        return replies
    hidden, params = roles.visible_filter(viewer, "t", _group_of_item(thread))
    where = " AND ".join(["t.parent_id = %s", *hidden])
    one = f"SELECT * FROM ({_select(thread)} WHERE {where} ORDER BY t.id LIMIT %s) r"  # noqa: S608
    sql = " UNION ALL ".join(f"{one}{n}" for n in range(len(parent_ids))) + " ORDER BY id"
    rows = yield Query(sql, [value for parent in parent_ids for value in (parent, *params, limit)])
    for reply in (yield from shape_all(thread, viewer, rows)):
        replies[reply["parent_id"]].append(reply)
    return replies


@read_only
def list_by_user(thread: Thread, viewer: Viewer, user_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """One user's items, replies included, newest first (index ``(user_id, id)``).

    Others are not shown an item on a hidden post or question, or under a hidden item; the user
    is shown all their own (their export too)."""
    check_id(user_id, "user")
    request = parse_page(query)
    where, params = _visible_in_place(thread, viewer, *(("t",) if viewer.user_id == user_id else ("t", "c", "p")))
    rows = yield from fetch_page(_select(thread) + _in_place(thread, parent=True), ["t.user_id = %s", *where],
                                 [user_id, *params], NEWEST_FIRST, request)
    if not rows and not (yield from exists("users", user_id)):
        raise NotFound("user")
    return (yield from _page(thread, viewer, rows, request, NEWEST_FIRST))


def create(thread: Thread, viewer: Viewer, container_id: int, data: NewReply) -> Op[dict[str, Any]]:
    """Add a top-level item or a reply; counters, hot score and notifications in the same transaction.

    ``data`` is parsed by the caller (``comments.create_comment``), so the route's body model is
    named where the OpenAPI document looks for it.
    """
    user_id = viewer.require()
    check_id(container_id, thread.container.what)
    if data.reply_to_user_id is not None and data.parent_id is None:
        raise Invalid.one("reply_to_user_id", _l("only a reply (with parent_id) can name a user it replies to"))
    html = yield from render(data.content)                       # CPU first: no transaction is open yet
    if len(html.encode()) > MAX_HTML_BYTES:
        raise Invalid.one("content", _l("too long once rendered; use less markup"))
    container = yield Query(f"SELECT {thread.container_columns} FROM {thread.container.table}"  # noqa: S608
                            " WHERE id = %s AND hidden_at IS NULL", (container_id,), "row")
    if container is None:
        raise NotFound(thread.container.what)
    if thread.gate is not None:
        yield from thread.gate(container, user_id)
    if data.reply_to_user_id is not None and not (yield from exists("users", data.reply_to_user_id)):
        raise Invalid.one("reply_to_user_id", _l("no such user"))

    yield from bump(thread.container, container_id, 1)           # locks the container first
    parent_author = None
    if data.parent_id is not None:
        # The parent must be a top-level item of this container; checked and counted in one statement.
        moved = yield Query(f"UPDATE {thread.table} SET reply_count = reply_count + 1"  # noqa: S608
                            f" WHERE id = %s AND {thread.container_column} = %s AND parent_id IS NULL"
                            " AND hidden_at IS NULL",
                            (data.parent_id, container_id), "rowcount")
        if not moved:
            raise Invalid.one("parent_id", _l("must name a top-level %(item)s of this %(page)s", item=thing(thread.what), page=thing(thread.container.what)))
        parent_author = yield Query(f"SELECT user_id FROM {thread.table} WHERE id = %s",  # noqa: S608
                                    (data.parent_id,), "value")
    item_id = yield Query(
        f"INSERT INTO {thread.table} ({thread.container_column}, user_id, parent_id, reply_to_user_id,"  # noqa: S608
        " content, content_html, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (container_id, user_id, data.parent_id, data.reply_to_user_id, data.content, html, clock.db_time()),
        "lastrowid")
    yield from refresh_hot(thread.container, container_id)

    # Each user hears of one event once, and never of their own act: those replied to first, then
    # everyone watching the post or question (its author, unless they stopped); the writer starts watching.
    told = {user_id}
    recipients = [] if data.parent_id is None else [(parent_author, "reply"), (data.reply_to_user_id, "reply")]
    watching_now = yield from watching.watchers(thread.container.what, container_id)
    recipients += [(watcher, thread.top_kind) for watcher in watching_now]
    summary = excerpt(html, rendered=True)
    for recipient, kind in recipients:
        if recipient is not None and recipient not in told:
            yield from notify(recipient, kind, user_id, thread.container.what, container_id, summary,
                              (thread.what, item_id))
            told.add(recipient)
    if user_id not in watching_now:
        yield from watching.add_watch(user_id, thread.container.what, container_id)
    yield from notify_mentions(data.content, user_id, thread.container.what, container_id, summary, told,
                               (thread.what, item_id))

    row = yield Query(_select(thread) + " WHERE t.id = %s", (item_id,), "row")
    item = shape(thread, row, liked=False)
    # Every socket watching the thread gets it as it is (API.md §11): {"type": "comment", "post_id", "comment"}
    where = thread.container.what
    yield Publish(topic=f"{where}:{container_id}",
                  message={"type": thread.what, f"{where}_id": container_id, thread.what: item})
    return item


def delete(thread: Thread, viewer: Viewer, item_id: int) -> Op[None]:
    """The author deletes an item and its replies; counters fall by what was really deleted.

    Replies are deleted explicitly (not left to ON DELETE CASCADE) so the DELETE's row count, read
    under the container's lock, says exactly how far the counter must fall.

    Every row is locked before anything is deleted, in the thread's lock order: container, parent,
    the item, its replies. A DELETE cascades into like rows (with gap locks), and a liker locks the
    liked row before it inserts a like row; deleting first would let the two wait on each other.
    """
    user_id = viewer.require()
    check_id(item_id, thread.what)
    item = yield Query(f"SELECT t.user_id, t.{thread.container_column} AS container_id, t.parent_id, t.hidden_at,"  # noqa: S608
                       f" {thread.container.group_sql()} AS group_id FROM {thread.table} t"
                       f" JOIN {thread.container.table} c ON c.id = t.{thread.container_column} WHERE t.id = %s",
                       (item_id,), "row")
    if item is None:
        raise NotFound(thread.what)
    if item["user_id"] != user_id:                               # a moderator in scope may delete it too
        yield from roles.require_moderator(viewer, item["group_id"])
        yield from roles.audit(user_id, "delete", thread.what, item_id, item["group_id"])
    container_id, parent_id = item["container_id"], item["parent_id"]
    counted = int(item["hidden_at"] is None)                     # hidden items are out of every count
    yield from bump(thread.container, container_id, -counted)
    if thread.votes:                                             # an accepted answer is accepted no more
        yield Query(f"UPDATE {thread.container.table} SET accepted_answer_id = NULL"  # noqa: S608
                    " WHERE id = %s AND accepted_answer_id = %s", (container_id, item_id), "rowcount")
    if parent_id is not None:                                    # a reply: its parent counts one less
        yield Query(f"UPDATE {thread.table} SET reply_count = reply_count - %s WHERE id = %s",  # noqa: S608
                    (counted, parent_id), "rowcount")
        yield Query("DELETE FROM revisions WHERE target_type = %s AND target_id = %s", (thread.what, item_id),
                    "rowcount")                                  # its history goes with it
        replies = 0
    else:                                                        # lock the item, then its replies
        yield Query(f"UPDATE {thread.table} SET reply_count = 0 WHERE id = %s", (item_id,), "rowcount")  # noqa: S608
        yield Query(f"UPDATE {thread.table} SET reply_count = 0 WHERE parent_id = %s",  # noqa: S608
                    (item_id,), "rowcount")
        yield Query(f"DELETE FROM revisions WHERE target_type = %s AND target_id IN"  # noqa: S608
                    f" (SELECT id FROM {thread.table} WHERE id = %s OR parent_id = %s)",
                    (thread.what, item_id, item_id), "rowcount")   # their histories go with them
        replies = yield Query(f"DELETE FROM {thread.table} WHERE parent_id = %s AND hidden_at IS NULL",  # noqa: S608
                              (item_id,), "rowcount")            # the counted ones, then the hidden ones
        yield Query(f"DELETE FROM {thread.table} WHERE parent_id = %s", (item_id,), "rowcount")  # noqa: S608
    gone = yield Query(f"DELETE FROM {thread.table} WHERE id = %s", (item_id,), "rowcount")  # noqa: S608
    if not gone:
        raise NotFound(thread.what)                              # deleted meanwhile: roll back
    if replies:
        yield from bump(thread.container, container_id, -replies)
    yield from refresh_hot(thread.container, container_id)


def edit_item(thread: Thread, viewer: Viewer, item_id: int, data: ReplyEdit) -> Op[dict[str, Any]]:
    """The author rewrites a comment or an answer; the new version is kept as a revision.

    Mentions in an edit notify nobody (as for posts): only new words in new items do.
    """
    user_id = viewer.require()
    check_id(item_id, thread.what)
    html = yield from render(data.content)                       # CPU first: no transaction is open yet
    if len(html.encode()) > MAX_HTML_BYTES:
        raise Invalid.one("content", "too long once rendered; use less markup")
    author = yield Query(f"SELECT user_id FROM {thread.table} WHERE id = %s", (item_id,), "value")  # noqa: S608
    if author is None:
        raise NotFound(thread.what)
    if author != user_id:
        raise Forbidden(f"Only its author may edit a {thread.what}.")
    rewrite = Query(f"UPDATE {thread.table} SET content = %s, content_html = %s WHERE id = %s",  # noqa: S608
                    (data.content, html, item_id), "rowcount")
    yield from revise(thread.what, thread.table, item_id, user_id, _one_query(rewrite))
    row = yield Query(_select(thread) + " WHERE t.id = %s", (item_id,), "row")
    return (yield from shape_all(thread, viewer, [row]))[0]


def _one_query(query: Query) -> Op[None]:
    yield query
