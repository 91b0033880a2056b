"""API.md §10 through both runners on both databases: revisions, votes and accepted answers, bookmarks and
last visits. Users and groups are inserted directly (helpers of ``test_ops_content``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest_asyncio

from shared.auth import ANONYMOUS
from shared.cli.recount import recount
from shared.errors import Forbidden, NotFound
from shared.storage import answers, bookmarks, comments, posts, questions, revisions
from shared.storage.drivers import open_sync
from shared.storage.effects import Query
from shared.storage.runners import run_sync
from tests.storage.test_ops_content import add_group, add_user, expect, perform, value


@pytest_asyncio.fixture(loop_scope="function")
async def forum(run: Any) -> dict[str, Any]:
    """A group owned by olga with member mike; a post by mike with a comment by olga."""
    olga, mike = [await run(add_user(n)) for n in ("olga", "mike")]
    group_id = await run(add_group(olga, mike))
    post = await run(posts.create_post(mike, group_id, {"title": "Hello", "content": "v0"}))
    comment = await run(comments.create_comment(olga, post["id"], {"content": "c0"}))
    return {"olga": olga, "mike": mike, "group_id": group_id, "post": post, "comment": comment}


async def test_each_edit_keeps_a_version_and_the_first_keeps_the_original(run: Any, forum: dict[str, Any]) -> None:
    mike, post_id = forum["mike"], forum["post"]["id"]
    assert (await run(revisions.list_post_revisions(ANONYMOUS, post_id, {})))["items"] == []
    await run(posts.update_post(mike, post_id, {"content": "v1"}))
    edited = await run(posts.update_post(mike, post_id, {"title": "Hello again", "content": "v2"}))
    assert edited["edited_at"] is not None
    listed = (await run(revisions.list_post_revisions(ANONYMOUS, post_id, {})))["items"]
    assert [(r["title"], r["content"]) for r in listed] == [("Hello again", "v2"), ("Hello", "v1"), ("Hello", "v0")]
    assert listed[-1]["created_at"] == forum["post"]["created_at"]
    await expect(run, Forbidden, comments.edit_comment(mike, forum["comment"]["id"], {"content": "not mine"}))
    await expect(run, NotFound, revisions.list_comment_revisions(ANONYMOUS, 10**9, {}))


async def test_a_deleted_post_takes_its_history_and_its_comments_history(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, post_id, comment_id = forum["olga"], forum["mike"], forum["post"]["id"], forum["comment"]["id"]
    await run(posts.update_post(mike, post_id, {"content": "v1"}))
    await run(comments.edit_comment(olga, comment_id, {"content": "c1"}))
    await run(posts.delete_post(mike, post_id))
    assert await run(value("SELECT COUNT(*) FROM revisions WHERE (target_type = 'post' AND target_id = %s)"
                           " OR (target_type = 'comment' AND target_id = %s)", post_id, comment_id)) == 0


async def test_editors_at_once_each_keep_their_version(run: Any, forum: dict[str, Any], db_url: str,
                                                       settings_for: Any) -> None:
    """Ten edits of one comment at once: eleven versions (one original), none lost, no deadlock."""
    olga, comment_id = forum["olga"], forum["comment"]["id"]
    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda n: run_sync(db, comments.edit_comment(olga, comment_id, {"content": f"e{n}"})),
                          range(10)))
    finally:
        db.close()
    listed = (await run(revisions.list_comment_revisions(ANONYMOUS, comment_id, {"limit": "100"})))["items"]
    assert len(listed) == 11 and listed[-1]["content"] == "c0"
    assert sorted(r["content"] for r in listed[:-1]) == sorted(f"e{n}" for n in range(10))
    current = await run(value("SELECT content FROM comments WHERE id = %s", comment_id))
    assert listed[0]["content"] == current


async def test_votes_at_once_keep_the_score_exact(run: Any, db_url: str, settings_for: Any) -> None:
    """Twenty voters at once, each voting twice (up, then down): the score is the sum of the last votes."""
    asker, author = await run(add_user("asker")), await run(add_user("author"))
    voters = [await run(add_user(f"voter{n}")) for n in range(20)]
    question = await run(questions.create_question(asker, {"title": "t", "content": "c", "category": "x"}))
    answer = await run(answers.create_answer(author, question["id"], {"content": "a"}))
    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))

    def both(voter: Any) -> None:
        run_sync(db, answers.vote_answer(voter, answer["id"], {"value": 1}))
        run_sync(db, answers.vote_answer(voter, answer["id"], {"value": -1 if voter.user_id % 2 else 1}))

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(both, voters))
    finally:
        db.close()
    expected = sum(-1 if v.user_id % 2 else 1 for v in voters)
    assert await run(value("SELECT score FROM answers WHERE id = %s", answer["id"])) == expected
    assert await run(value("SELECT SUM(value) FROM answer_votes WHERE answer_id = %s", answer["id"])) == expected
    await expect(run, Forbidden, answers.vote_answer(author, answer["id"], {"value": 1}))
    await run(perform(Query("UPDATE answers SET score = 99 WHERE id = %s", (answer["id"],), "rowcount")))
    db = open_sync(settings_for(db_url))
    try:
        assert recount(db)["answers.score"] == 1                 # forum recount sums the votes again
    finally:
        db.close()
    assert await run(value("SELECT score FROM answers WHERE id = %s", answer["id"])) == expected
    accepted = await run(questions.accept_answer(asker, question["id"], {"answer_id": answer["id"]}))
    assert accepted["accepted_answer_id"] == answer["id"]
    await run(answers.delete_answer(author, answer["id"]))
    assert await run(value("SELECT accepted_answer_id FROM questions WHERE id = %s", question["id"])) is None


# -- bookmarks and last visits --------------------------------------------------------------------------

async def test_bookmarks_are_kept_once_listed_and_go_with_their_post(run: Any, forum: dict[str, Any]) -> None:
    olga, post_id = forum["olga"], forum["post"]["id"]
    question = await run(questions.create_question(olga, {"title": "Q", "content": "c", "category": "x"}))
    for _ in range(2):
        await run(bookmarks.bookmark_post(olga, post_id))
    await run(bookmarks.bookmark_question(olga, question["id"]))
    listed = (await run(bookmarks.list_bookmarks(olga, {})))["items"]
    assert [(b["type"], b["id"]) for b in listed] == [("question", question["id"]), ("post", post_id)]
    assert (await run(posts.get_post(olga, post_id)))["bookmarked"] is True
    await run(bookmarks.unbookmark_question(olga, question["id"]))
    await run(bookmarks.unbookmark_question(olga, question["id"]))
    await expect(run, NotFound, bookmarks.bookmark_post(olga, 10**9))
    await run(posts.delete_post(forum["mike"], post_id))
    assert (await run(bookmarks.list_bookmarks(olga, {})))["items"] == []
    assert await run(value("SELECT COUNT(*) FROM bookmarks WHERE target_type = 'post' AND target_id = %s",
                           post_id)) == 0


async def test_unread_counts_what_others_wrote_since_the_last_visit(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, post_id = forum["olga"], forum["mike"], forum["post"]["id"]
    assert (await run(posts.get_post(mike, post_id)))["unread_comments"] == 0       # first visit: 0
    await run(comments.create_comment(olga, post_id, {"content": "one"}))
    await run(comments.create_comment(mike, post_id, {"content": "mine"}))
    await run(comments.create_comment(olga, post_id, {"content": "two"}))
    marks = await run(bookmarks.reader_marks(bookmarks.POST, mike, [post_id, 10**9]))
    assert marks == {post_id: (False, 2)}
    assert await run(bookmarks.reader_marks(bookmarks.POST, ANONYMOUS, [post_id])) == {}
    assert (await run(posts.get_post(mike, post_id)))["unread_comments"] == 2
    assert (await run(posts.get_post(mike, post_id)))["unread_comments"] == 0


async def test_first_visits_at_once_record_one_visit(run: Any, forum: dict[str, Any], db_url: str,
                                                     settings_for: Any) -> None:
    """Ten openings of one post by one reader at once: one visit row, no deadlock, no 409."""
    olga, post_id = forum["olga"], forum["post"]["id"]
    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda _: run_sync(db, posts.get_post(olga, post_id)), range(10)))
    finally:
        db.close()
    assert await run(value("SELECT COUNT(*) FROM last_visits WHERE user_id = %s AND target_id = %s",
                           olga.user_id, post_id)) == 1
