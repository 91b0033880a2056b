"""Answers to questions: the shared thread logic (``threads.py``) named for answers.

Anyone signed in answers; a new top-level answer notifies the question's author (``answer``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import Viewer
from shared.storage import likes, search, threads
from shared.storage.effects import Op
from shared.storage.questions import QUESTIONS
from shared.storage.threads import NewReply, ReplyEdit
from shared.validation import parse

ANSWER_LIKES = likes.LikeTarget(table="answers", like_table="answer_likes", like_column="answer_id",
                                what="answer", page_type="question", page_column="question_id",
                                excerpt_column="content")
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
    yield from threads.forget_revisions("answer", gone)


def like_answer(viewer: Viewer, answer_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.like(ANSWER_LIKES, viewer, answer_id))


def unlike_answer(viewer: Viewer, answer_id: int) -> Op[dict[str, Any]]:
    return (yield from likes.unlike(ANSWER_LIKES, viewer, answer_id))
