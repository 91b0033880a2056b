"""Questions: anyone signed in asks, in a category; lists by category, text and new or hot order.

A question is a post without a group: the same counters, views, hot score and edits (the helpers
in ``threads.py``), but only its author edits or deletes it and nobody likes or pins it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import clock
from shared.auth import Viewer
from shared.errors import BadRequest, Forbidden, Invalid, NotFound
from shared.i18n import _l
from shared.pagination import PageRequest, page, parse_page
from shared.ranking import hot_score
from shared.shapes import AUTHOR_COLUMNS, user_summary
from shared.storage import bookmarks, search, watching
from shared.storage.effects import Op, Query, read_only
from shared.storage.notifications import notify_mentions
from shared.storage.roles import audit, may_see, moderates, visible_filter
from shared.storage.threads import (
    Category,
    Container,
    Id,
    Keyset,
    LongText,
    Title,
    count_view,
    delete_container,
    edit,
    exists,
    fetch_page,
    hidden_marks,
    parse_sort,
    render,
    revise,
)
from shared.validation import Body, check_id, parse

MAX_SEARCH = 100


class NewQuestion(Body):
    title: Title
    content: LongText
    category: Category


class QuestionEdit(Body):
    title: Title | None = None
    content: LongText | None = None
    category: Category | None = None


class Accept(Body):
    answer_id: Id


QUESTIONS = Container(table="questions", what="question", counter="answer_count", likes="0", items="answers",
                      items_column="question_id")

NEW = Keyset(("q.id",))                     # ix_questions_category (category, id), or the primary key
HOT = Keyset(("q.hot_score", "q.id"))       # ix_questions_category_hot / ix_questions_hot

# As for posts: a list's rows hold only what shape_question and the keyset read; one question adds its
# author's id, for may_see.
_COLUMNS = (
    "q.id, q.title, q.content, q.content_html, q.category, q.view_count, q.answer_count,"
    " q.hot_score, q.created_at, q.updated_at, q.edited_at, q.accepted_answer_id, q.hidden_at,"
    " q.hidden_reason, " + AUTHOR_COLUMNS
)
_LIST = f"SELECT {_COLUMNS} FROM questions q JOIN users u ON u.id = q.user_id"  # noqa: S608
_SELECT = f"SELECT {_COLUMNS}, q.user_id FROM questions q JOIN users u ON u.id = q.user_id"  # noqa: S608


def shape_question(row: Mapping[str, Any], marks: tuple[bool, int] = (False, 0)) -> dict[str, Any]:
    """A :class:`shared.shapes.Question`; ``marks``: the caller's (bookmarked, unread answers)."""
    return {
        "id": row["id"],
        "author": user_summary(row, "author_"),
        "title": row["title"],
        "content": row["content"],
        "content_html": row["content_html"],
        "category": row["category"],
        "view_count": row["view_count"],
        "answer_count": row["answer_count"],
        "created_at": clock.iso(row["created_at"]),
        "updated_at": clock.iso(row["updated_at"]),
        "edited_at": clock.iso(row["edited_at"]),
        "accepted_answer_id": row["accepted_answer_id"],
        "bookmarked": marks[0],
        "unread_answers": marks[1],
        **hidden_marks(row),
    }


def _like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with the wildcards in ``text`` escaped by ``!`` (same on MySQL and SQLite)."""
    for char in "!%_":
        text = text.replace(char, "!" + char)
    return f"%{text}%"


def _one(viewer: Viewer, question_id: int) -> Op[dict[str, Any]]:
    """The question as the viewer may see it: a hidden one is 404 but to its author and site moderators."""
    row = yield Query(_SELECT + " WHERE q.id = %s", (question_id,), "row")
    if row is None or not (yield from may_see(viewer, row, None)):
        raise NotFound("question")
    marks = yield from bookmarks.reader_marks(bookmarks.QUESTION, viewer, [question_id])
    return shape_question(row, marks.get(question_id, (False, 0)))


def _page(viewer: Viewer, rows: list[dict[str, Any]], request: PageRequest, order: Keyset) -> Op[dict[str, Any]]:
    """A list answer, with the caller's bookmark and unread marks for the whole page in one query."""
    marks = yield from bookmarks.reader_marks(bookmarks.QUESTION, viewer, [r["id"] for r in rows[: request.limit]])
    return page(rows, request, order.key, lambda r: shape_question(r, marks.get(r["id"], (False, 0))))


@read_only
def list_questions(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``?category=`` exact, ``?q=`` in title or content (case-insensitive), ``?sort=new|hot``,
    ``?unanswered=true``: those with no answer yet (index ix_questions_unanswered)."""
    order = HOT if parse_sort(query) == "hot" else NEW
    request = parse_page(query)
    where: list[str] = []
    params: list[Any] = []
    unanswered = query.get("unanswered", "false")
    if unanswered not in ("true", "false"):
        raise BadRequest(_l("unanswered: must be true or false"))
    if unanswered == "true":
        where.append("q.answer_count = 0")
    category = query.get("category", "").strip()
    if category:
        if len(category) > 32:
            raise BadRequest(_l("%(name)s: at most %(num)d characters", name="category", num=32))
        where.append("q.category = %s")
        params.append(category)
    text = query.get("q", "").strip()
    if text:
        if len(text) > MAX_SEARCH:
            raise BadRequest(_l("%(name)s: at most %(num)d characters", name="q", num=MAX_SEARCH))
        where.append("(q.title LIKE %s ESCAPE '!' OR q.content LIKE %s ESCAPE '!')")
        params += [_like_pattern(text)] * 2
    hidden, hidden_params = visible_filter(viewer, "q")
    rows = yield from fetch_page(_LIST, where + hidden, params + hidden_params, order, request)
    return (yield from _page(viewer, rows, request, order))


@read_only
def list_user_questions(viewer: Viewer, user_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """One user's questions, newest first (index ix_questions_user)."""
    check_id(user_id, "user")
    request = parse_page(query)
    hidden, params = visible_filter(viewer, "q")
    rows = yield from fetch_page(_LIST, ["q.user_id = %s", *hidden], [user_id, *params], NEW, request)
    if not rows and not (yield from exists("users", user_id)):
        raise NotFound("user")
    return (yield from _page(viewer, rows, request, NEW))


def create_question(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """Ask a question; ``@mentions`` in it notify those users."""
    user_id = viewer.require()
    data = parse(NewQuestion, body)
    html = yield from render(data.content)
    found = yield from search.terms(data.title, data.content)
    now = clock.now()
    question_id = yield Query(
        "INSERT INTO questions (user_id, title, content, content_html, category, hot_score, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (user_id, data.title, data.content, html, data.category, hot_score(0, 0, now), clock.db_time(now),
         clock.db_time(now)),
        "lastrowid")
    yield from search.add("question", question_id, found, question_id)
    yield from watching.add_watch(user_id, "question", question_id)   # authors watch what they write
    yield from notify_mentions(data.content, user_id, "question", question_id, data.title, {user_id},
                               ("question", question_id))
    return (yield from _one(viewer, question_id))


def get_question(viewer: Viewer, question_id: int) -> Op[dict[str, Any]]:
    """A question; reading it counts one view (so this is a write), unless the reader asked it."""
    yield from count_view(QUESTIONS, question_id, viewer)
    question = yield from _one(viewer, question_id)
    yield from bookmarks.record_visit(bookmarks.QUESTION, viewer, question_id)
    return question


ONLY_AUTHOR = {"edit": _l("Only its author may edit a question."), "delete": _l("Only its author may delete a question."),
               "accept": _l("Only its author may accept an answer to a question.")}


def _own(viewer: Viewer, question_id: int, verb: str, moderators_too: bool = False) -> Op[int]:
    """The caller, who must be the question's author (404 if no such question, else 403).

    With ``moderators_too`` (deleting) a site moderator may act as well; that is audited."""
    user_id = viewer.require()
    check_id(question_id, "question")
    author = yield Query("SELECT user_id FROM questions WHERE id = %s", (question_id,), "value")
    if author is None:
        raise NotFound("question")
    if author != user_id:
        if not (moderators_too and (yield from moderates(viewer, None))):
            raise Forbidden(ONLY_AUTHOR[verb])
        yield from audit(user_id, verb, "question", question_id)
    return user_id


def update_question(viewer: Viewer, question_id: int, body: Any) -> Op[dict[str, Any]]:
    """The author edits title, content or category; an empty edit changes nothing."""
    data = parse(QuestionEdit, body)
    html = (yield from render(data.content)) if data.content is not None else None
    found = yield from search.terms(data.title, data.content)
    user_id = yield from _own(viewer, question_id, "edit")
    changes = data.model_dump(exclude_none=True)
    if changes:
        yield from revise("question", "questions", question_id, user_id, edit(QUESTIONS, question_id, {
            "title": data.title, "content": data.content, "content_html": html, "category": data.category,
            "updated_at": clock.db_time(),
        }))
        yield from search.change("question", question_id, found)
    return (yield from _one(viewer, question_id))


def delete_question(viewer: Viewer, question_id: int) -> Op[None]:
    """The author (or a site moderator) deletes a question; its answers and their likes go with it (CASCADE)."""
    yield from _own(viewer, question_id, "delete", moderators_too=True)
    yield from delete_container(QUESTIONS, question_id)
    yield from bookmarks.forget(bookmarks.QUESTION, question_id)
    yield from search.remove_thread("question", "answer", question_id)


def accept_answer(viewer: Viewer, question_id: int, body: Any) -> Op[dict[str, Any]]:
    """The question's author marks the answer that solved it (one at a time: another one is unmarked).

    The question is locked first, then its answers: the lock order of every write in a thread."""
    data = parse(Accept, body)
    yield from _own(viewer, question_id, "accept")
    yield Query("UPDATE questions SET accepted_answer_id = %s WHERE id = %s", (data.answer_id, question_id), "rowcount")
    yield Query("UPDATE answers SET accepted = 0 WHERE question_id = %s AND accepted = 1", (question_id,), "rowcount")
    marked = yield Query("UPDATE answers SET accepted = 1 WHERE id = %s AND question_id = %s AND parent_id IS NULL"
                         " AND hidden_at IS NULL", (data.answer_id, question_id), "rowcount")
    if not marked:
        raise Invalid.one("answer_id", _l("must name a top-level answer of this question"))
    return (yield from _one(viewer, question_id))


def unaccept_answer(viewer: Viewer, question_id: int) -> Op[dict[str, Any]]:
    """The question's author takes the mark back (none marked: nothing changes)."""
    yield from _own(viewer, question_id, "accept")
    yield Query("UPDATE questions SET accepted_answer_id = NULL WHERE id = %s", (question_id,), "rowcount")
    yield Query("UPDATE answers SET accepted = 0 WHERE question_id = %s AND accepted = 1", (question_id,), "rowcount")
    return (yield from _one(viewer, question_id))
