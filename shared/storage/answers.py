"""Answers to questions: the shared thread logic (``threads.py``) named for answers.

Anyone signed in answers; a new top-level answer notifies the question's author (``answer``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from shared import clock
from shared.auth import Viewer
from shared.errors import Forbidden, NotFound
from shared.i18n import _l
from shared.storage import likes, search, threads
from shared.storage.effects import Op, Query
from shared.storage.questions import QUESTIONS
from shared.storage.threads import NewReply, ReplyEdit
from shared.validation import Body, check_id, parse

ANSWER_LIKES = likes.LikeTarget(table="answers", like_table="answer_likes", like_column="answer_id",
                                what="answer", page_type="question", page_column="question_id",
                                excerpt_column="content_html")
ANSWERS = threads.Thread(table="answers", what="answer", container=QUESTIONS, container_column="question_id",
                         top_kind="answer", like=ANSWER_LIKES, votes=True)


def list_answers(viewer: Viewer, question_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """A question's top-level answers, oldest first."""
    return (yield from threads.list_top(ANSWERS, viewer, question_id, query))


def list_replies(viewer: Viewer, answer_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Replies to an answer, oldest first."""
    return (yield from threads.list_replies(ANSWERS, viewer, answer_id, query))


def list_user_answers(viewer: Viewer, user_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """One user's answers and replies, newest first."""
    return (yield from threads.list_by_user(ANSWERS, viewer, user_id, query))


def create_answer(viewer: Viewer, question_id: int, body: Any) -> Op[dict[str, Any]]:
    """Answer a question, or reply to one of its top-level answers."""
    data = parse(NewReply, body)
    found = yield from search.terms(None, data.content)          # CPU before the transaction, as Markdown
    item = yield from threads.create(ANSWERS, viewer, question_id, data)
    yield from search.add("answer", item["id"], found, question_id)
    return item


def edit_answer(viewer: Viewer, answer_id: int, body: Any) -> Op[dict[str, Any]]:
    """The author rewrites an answer; the new version is kept (``GET /answers/{id}/revisions``)."""
    data = parse(ReplyEdit, body)
    found = yield from search.terms(None, data.content)
    item = yield from threads.edit_item(ANSWERS, viewer, answer_id, data)
    yield from search.change("answer", answer_id, found)
    return item


def delete_answer(viewer: Viewer, answer_id: int) -> Op[None]:
    """The author deletes an answer, and its replies with it (and their histories)."""
    gone = yield from search.with_replies("answers", answer_id)
    yield from threads.delete(ANSWERS, viewer, answer_id)
    yield from search.remove("answer", gone)


def like_answer(viewer: Viewer, answer_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.like(ANSWER_LIKES, viewer, answer_id))


def unlike_answer(viewer: Viewer, answer_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.unlike(ANSWER_LIKES, viewer, answer_id))


# -- votes ------------------------------------------------------------------------------------------

class NewVote(Body):
    value: Literal[1, -1]


def vote_answer(viewer: Viewer, answer_id: int, body: Any) -> Op[dict[str, Any]]:
    """Vote an answer up (1) or down (-1); voting again changes the vote. Not on your own answer."""
    data = parse(NewVote, body)
    return (yield from _vote(viewer, answer_id, data.value))


def unvote_answer(viewer: Viewer, answer_id: int) -> Op[dict[str, Any]]:
    """Take a vote back (none: nothing changes)."""
    return (yield from _vote(viewer, answer_id, 0))


def _vote(viewer: Viewer, answer_id: int, value: int) -> Op[dict[str, Any]]:
    """Set the caller's vote to ``value`` (0: none) and move the score by the difference, atomically.

    The answer's row is locked first, by the statement that also checks it may be voted on, so the
    caller's earlier vote is read after every other vote on it has committed (and a vote row's
    foreign-key check finds the row already locked: the order of ``likes.py``).
    """
    user_id = viewer.require()
    check_id(answer_id, "answer")
    open_to_vote = yield Query("UPDATE answers SET score = score WHERE id = %s AND user_id <> %s AND hidden_at IS NULL",
                               (answer_id, user_id), "rowcount")
    if not open_to_vote:
        author = yield Query("SELECT user_id FROM answers WHERE id = %s AND hidden_at IS NULL", (answer_id,), "value")
        if author is None:
            raise NotFound("answer")
        raise Forbidden(_l("You cannot vote on your own answer."))
    before = yield Query("SELECT value FROM answer_votes WHERE answer_id = %s AND user_id = %s", (answer_id, user_id),
                         "value")
    if before is None and value:
        yield Query("INSERT INTO answer_votes (answer_id, user_id, value, created_at) VALUES (%s, %s, %s, %s)",
                    (answer_id, user_id, value, clock.db_time()), "rowcount")
    elif before is not None and value:
        yield Query("UPDATE answer_votes SET value = %s WHERE answer_id = %s AND user_id = %s",
                    (value, answer_id, user_id), "rowcount")
    elif before is not None:
        yield Query("DELETE FROM answer_votes WHERE answer_id = %s AND user_id = %s", (answer_id, user_id), "rowcount")
    yield Query("UPDATE answers SET score = score + %s WHERE id = %s", (value - (before or 0), answer_id), "rowcount")
    score = yield Query("SELECT score FROM answers WHERE id = %s", (answer_id,), "value")
    return {"score": score, "my_vote": value}
