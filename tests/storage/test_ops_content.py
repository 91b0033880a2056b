"""Posts, questions, comments, answers and likes through both runners on both databases.

Every test here runs four ways (sqlite3, aiosqlite, PyMySQL, aiomysql) through the ``run`` fixture;
users and groups are inserted directly, so these tests depend on no other module's operations.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import pytest_asyncio

from shared import clock
from shared.auth import ANONYMOUS, Viewer
from shared.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from shared.pagination import encode_cursor
from shared.storage import answers, comments, posts, questions
from shared.storage.drivers import open_async, open_sync
from shared.storage.effects import Op, Query
from shared.storage.runners import run_async, run_sync

# -- fixtures made with plain SQL -------------------------------------------------------------------

def add_user(name: str) -> Op[Viewer]:
    user_id = yield Query("INSERT INTO users (username, email, password_hash, created_at) VALUES (%s, %s, 'x', %s)",
                          (name, f"{name}@example.org", clock.db_time()), "lastrowid")
    return Viewer(user_id)


def add_group(owner: Viewer, *members: Viewer) -> Op[int]:
    group_id = yield Query(
        "INSERT INTO forum_groups (name, category, join_policy, owner_id, member_count, created_at)"
        " VALUES (%s, 'tech', 'open', %s, %s, %s)",
        (f"g{secrets.token_hex(4)}", owner.user_id, 1 + len(members), clock.db_time()), "lastrowid")
    for viewer, role in [(owner, "owner"), *((m, "member") for m in members)]:
        yield Query("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, %s, %s)",
                    (group_id, viewer.user_id, role, clock.db_time()), "rowcount")
    return group_id


def notifications_of(viewer: Viewer) -> Op[list[tuple[str, int | None, str, int]]]:
    rows = yield Query("SELECT kind, actor_id, target_type, target_id FROM notifications WHERE user_id = %s"
                       " ORDER BY id", (viewer.user_id,))
    return [(r["kind"], r["actor_id"], r["target_type"], r["target_id"]) for r in rows]


def perform(query: Query) -> Op[Any]:
    result = yield query
    return result


def value(sql: str, *params: Any) -> Op[Any]:
    return perform(Query(sql, params, "value"))


async def expect(run: Any, error: type[Exception], op: Op[Any]) -> Exception:
    with pytest.raises(error) as caught:
        await run(op)
    return caught.value


@pytest_asyncio.fixture(loop_scope="function")
async def forum(run: Any) -> dict[str, Any]:
    """A group owned by olga with member mike; outsider xena; a post by mike."""
    olga, mike, xena = [await run(add_user(n)) for n in ("olga", "mike", "xena")]
    group_id = await run(add_group(olga, mike))
    post = await run(posts.create_post(mike, group_id, {"title": " Hello ", "content": "Hi *there* @xena"}))
    return {"olga": olga, "mike": mike, "xena": xena, "group_id": group_id, "post": post}


# -- posts ------------------------------------------------------------------------------------------

async def test_create_and_read_post(run: Any, forum: dict[str, Any]) -> None:
    mike, xena, post = forum["mike"], forum["xena"], forum["post"]
    assert post["title"] == "Hello" and "<em>there</em>" in post["content_html"]
    assert post["author"]["username"] == "mike" and post["group_id"] == forum["group_id"]
    assert (post["pinned"], post["locked"], post["view_count"], post["liked"]) == (False, False, 0, False)
    assert await run(notifications_of(xena)) == [("mention", mike.user_id, "post", post["id"])]
    assert await run(value("SELECT post_count FROM forum_groups WHERE id = %s", forum["group_id"])) == 1
    assert (await run(posts.get_post(ANONYMOUS, post["id"])))["view_count"] == 1
    assert (await run(posts.get_post(xena, post["id"])))["view_count"] == 2
    assert (await run(posts.get_post(mike, post["id"])))["view_count"] == 2     # its author's visit: no view
    await expect(run, Forbidden, posts.create_post(xena, forum["group_id"], {"title": "t", "content": "c"}))
    await expect(run, NotFound, posts.create_post(xena, 10**9, {"title": "t", "content": "c"}))
    await expect(run, NotFound, posts.get_post(ANONYMOUS, 10**9))
    bad = await expect(run, Invalid, posts.create_post(mike, forum["group_id"], {"title": " ", "content": "c"}))
    assert [e.field for e in bad.errors] == ["title"]  # type: ignore[attr-defined]


async def test_edit_pin_lock_delete(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, xena, post_id = forum["olga"], forum["mike"], forum["xena"], forum["post"]["id"]
    edited = await run(posts.update_post(mike, post_id, {"content": "**new**"}))
    assert edited["title"] == "Hello" and "<strong>new</strong>" in edited["content_html"]
    await expect(run, Forbidden, posts.update_post(olga, post_id, {"title": "owner rewrites"}))
    await expect(run, Forbidden, posts.update_post(mike, post_id, {"pinned": True}))
    await expect(run, Forbidden, posts.update_post(xena, post_id, {}))
    pinned = await run(posts.update_post(olga, post_id, {"pinned": True, "locked": True}))
    assert (pinned["pinned"], pinned["locked"], pinned["content"]) == (True, True, "**new**")
    assert await run(posts.update_post(mike, post_id, {})) == {**pinned, "liked": False}
    await expect(run, Forbidden, posts.delete_post(xena, post_id))
    await run(posts.delete_post(olga, post_id))
    await expect(run, NotFound, posts.get_post(ANONYMOUS, post_id))
    assert await run(value("SELECT post_count FROM forum_groups WHERE id = %s", forum["group_id"])) == 0


async def test_likes_are_idempotent_and_notify_once(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, post_id = forum["olga"], forum["mike"], forum["post"]["id"]
    before = await run(value("SELECT hot_score FROM posts WHERE id = %s", post_id))
    assert await run(posts.like_post(olga, post_id)) == {"liked": True, "like_count": 1}
    assert await run(posts.like_post(olga, post_id)) == {"liked": True, "like_count": 1}
    assert await run(posts.like_post(mike, post_id)) == {"liked": True, "like_count": 2}   # own: no notice
    assert await run(value("SELECT hot_score FROM posts WHERE id = %s", post_id)) > before
    assert (await run(posts.get_post(olga, post_id)))["liked"] is True
    assert (await run(posts.get_post(ANONYMOUS, post_id)))["liked"] is False
    assert [n for n in await run(notifications_of(mike)) if n[0] == "like"] == [("like", olga.user_id, "post", post_id)]
    assert await run(posts.unlike_post(olga, post_id)) == {"liked": False, "like_count": 1}
    assert await run(posts.unlike_post(olga, post_id)) == {"liked": False, "like_count": 1}
    await expect(run, NotFound, posts.like_post(olga, 10**9))
    await expect(run, NotFound, posts.unlike_post(olga, 10**9))


async def test_group_lists_pinned_first_and_hot(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, group_id = forum["olga"], forum["mike"], forum["group_id"]
    ids = [forum["post"]["id"]]
    for n in range(4):
        ids.append((await run(posts.create_post(mike, group_id, {"title": f"p{n}", "content": "c"})))["id"])
    await run(posts.update_post(olga, ids[1], {"pinned": True}))
    listed = await run(posts.list_group_posts(ANONYMOUS, group_id, {}))
    assert [p["id"] for p in listed["items"]] == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert listed["next_cursor"] is None
    await run(posts.like_post(olga, ids[0]))
    await run(posts.like_post(mike, ids[0]))                      # log10(2): worth hours of age
    hot = await run(posts.list_group_posts(olga, group_id, {"sort": "hot"}))
    assert hot["items"][0]["id"] == ids[0] and hot["items"][0]["liked"] is True
    await expect(run, BadRequest, posts.list_group_posts(ANONYMOUS, group_id, {"sort": "old"}))
    await expect(run, NotFound, posts.list_group_posts(ANONYMOUS, 10**9, {}))
    mine = await run(posts.list_user_posts(ANONYMOUS, mike.user_id, {"limit": "2"}))
    assert [p["id"] for p in mine["items"]] == [ids[4], ids[3]] and mine["next_cursor"]
    await expect(run, NotFound, posts.list_user_posts(ANONYMOUS, 10**9, {}))


@pytest.mark.parametrize("sort", ["new", "hot"])
async def test_pages_survive_inserts(run: Any, forum: dict[str, Any], sort: str) -> None:
    """Rows added between pages neither repeat nor hide anything that was there at the start."""
    mike, group_id = forum["mike"], forum["group_id"]
    for n in range(6):
        await run(posts.create_post(mike, group_id, {"title": f"p{n}", "content": "c"}))
    start = {p["id"] for p in (await run(posts.list_group_posts(ANONYMOUS, group_id, {"sort": sort})))["items"]}
    seen: list[int] = []
    cursor = None
    while True:
        query = {"sort": sort, "limit": "2", **({"cursor": cursor} if cursor else {})}
        got = await run(posts.list_group_posts(ANONYMOUS, group_id, query))
        seen += [p["id"] for p in got["items"]]
        await run(posts.create_post(mike, group_id, {"title": "late", "content": "c"}))
        cursor = got["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and start <= set(seen)


async def test_foreign_cursor_is_a_bad_request(run: Any, forum: dict[str, Any]) -> None:
    group_cursor = encode_cursor([0, forum["post"]["id"]])            # (pinned, id): not a user-list cursor
    await expect(run, BadRequest, posts.list_user_posts(ANONYMOUS, forum["mike"].user_id, {"cursor": group_cursor}))
    await expect(run, BadRequest, posts.list_group_posts(ANONYMOUS, forum["group_id"], {"cursor": "forged"}))


# -- comments ---------------------------------------------------------------------------------------

async def test_comments_replies_counts_and_notifications(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, xena, post_id = forum["olga"], forum["mike"], forum["xena"], forum["post"]["id"]
    top = await run(comments.create_comment(olga, post_id, {"content": "first"}))
    assert (top["post_id"], top["parent_id"], top["reply_to"], top["reply_count"]) == (post_id, None, None, 0)
    reply = await run(comments.create_comment(mike, post_id, {
        "content": "thanks @olga and @xena", "parent_id": top["id"], "reply_to_user_id": olga.user_id}))
    assert reply["reply_to"]["username"] == "olga" and reply["parent_id"] == top["id"]
    await run(comments.create_comment(olga, post_id, {"content": "again", "parent_id": top["id"]}))
    # mike heard of olga's top-level comment; olga of mike's reply once (not again as mentioned);
    # xena only of the mention; nobody of their own acts
    assert (await run(notifications_of(mike)))[-1:] == [("comment", olga.user_id, "post", post_id)]
    assert await run(notifications_of(olga)) == [("reply", mike.user_id, "post", post_id)]
    assert (await run(notifications_of(xena)))[-1] == ("mention", mike.user_id, "post", post_id)

    assert await run(value("SELECT comment_count FROM posts WHERE id = %s", post_id)) == 3
    listed = await run(comments.list_comments(mike, post_id, {}))
    assert [(c["id"], c["reply_count"]) for c in listed["items"]] == [(top["id"], 2)]
    replies = await run(comments.list_replies(ANONYMOUS, top["id"], {}))
    assert [c["id"] for c in replies["items"]][0] == reply["id"] and len(replies["items"]) == 2

    await run(comments.like_comment(mike, top["id"]))
    assert (await run(comments.list_comments(mike, post_id, {})))["items"][0]["liked"] is True
    assert ("like", mike.user_id, "post", post_id) in await run(notifications_of(olga))

    await expect(run, Forbidden, comments.delete_comment(mike, top["id"]))
    await run(comments.delete_comment(mike, reply["id"]))
    assert await run(value("SELECT reply_count FROM comments WHERE id = %s", top["id"])) == 1
    await run(comments.delete_comment(olga, top["id"]))                       # and its last reply
    assert await run(value("SELECT comment_count FROM posts WHERE id = %s", post_id)) == 0
    assert await run(value("SELECT COUNT(*) FROM comments WHERE post_id = %s", post_id)) == 0
    await expect(run, NotFound, comments.list_replies(ANONYMOUS, top["id"], {}))


async def test_comment_rules(run: Any, forum: dict[str, Any]) -> None:
    olga, mike, xena, group_id, post_id = (forum[k] for k in ("olga", "mike", "xena", "group_id", "post"))
    post_id = post_id["id"]
    top = await run(comments.create_comment(olga, post_id, {"content": "top"}))
    reply = await run(comments.create_comment(olga, post_id, {"content": "r", "parent_id": top["id"]}))
    other = await run(posts.create_post(mike, group_id, {"title": "other", "content": "c"}))

    async def invalid(body: dict[str, Any], target: int = post_id) -> list[str]:
        err = await expect(run, Invalid, comments.create_comment(mike, target, body))
        return [e.field for e in err.errors]  # type: ignore[attr-defined]

    assert await invalid({"content": "x", "parent_id": reply["id"]}) == ["parent_id"]       # a reply
    assert await invalid({"content": "x", "parent_id": top["id"]}, other["id"]) == ["parent_id"]  # other post
    assert await invalid({"content": "x", "parent_id": 10**9}) == ["parent_id"]
    assert await invalid({"content": "x", "reply_to_user_id": olga.user_id}) == ["reply_to_user_id"]
    assert await invalid({"content": "x", "parent_id": top["id"], "reply_to_user_id": 10**9}) == ["reply_to_user_id"]
    assert await invalid({"content": "x" * 10001}) == ["content"]
    await expect(run, Forbidden, comments.create_comment(xena, post_id, {"content": "x"}))
    await expect(run, NotFound, comments.create_comment(mike, 10**9, {"content": "x"}))
    await expect(run, NotFound, comments.list_comments(ANONYMOUS, 10**9, {}))
    await run(posts.update_post(olga, post_id, {"locked": True}))
    await expect(run, Conflict, comments.create_comment(mike, post_id, {"content": "x"}))
    assert await run(value("SELECT comment_count FROM posts WHERE id = %s", post_id)) == 2   # nothing leaked


# -- questions and answers --------------------------------------------------------------------------

async def test_questions_answers(run: Any) -> None:
    ann, ben = [await run(add_user(n)) for n in ("ann", "ben")]
    q1 = await run(questions.create_question(ann, {"title": "Why 100% CPU?", "content": "it spins",
                                                   "category": "python"}))
    q2 = await run(questions.create_question(ben, {"title": "Tornado or Flask", "content": "which one",
                                                   "category": "web"}))
    assert set(q1) == {"id", "author", "title", "content", "content_html", "category", "view_count",
                       "answer_count", "created_at", "updated_at", "edited_at", "accepted_answer_id",
                       "bookmarked", "unread_answers"}
    listed = await run(questions.list_questions(ANONYMOUS, {}))
    assert [q["id"] for q in listed["items"]] == [q2["id"], q1["id"]]
    by_category = await run(questions.list_questions(ANONYMOUS, {"category": "python"}))
    assert [q["id"] for q in by_category["items"]] == [q1["id"]]
    for text, found in [("100%", [q1["id"]]), ("_", []), ("FLASK", [q2["id"]]), ("spins", [q1["id"]])]:
        got = await run(questions.list_questions(ANONYMOUS, {"q": text}))
        assert [q["id"] for q in got["items"]] == found, text

    answer = await run(answers.create_answer(ben, q1["id"], {"content": "a busy loop"}))
    assert answer["question_id"] == q1["id"]
    await run(answers.create_answer(ann, q1["id"], {"content": "thanks", "parent_id": answer["id"]}))
    assert await run(notifications_of(ann)) == [("answer", ben.user_id, "question", q1["id"])]
    assert await run(notifications_of(ben)) == [("reply", ann.user_id, "question", q1["id"])]
    hot = await run(questions.list_questions(ANONYMOUS, {"sort": "hot"}))
    assert hot["items"][0]["id"] == q1["id"] and hot["items"][0]["answer_count"] == 2
    assert (await run(questions.get_question(ANONYMOUS, q1["id"])))["view_count"] == 1
    assert await run(answers.like_answer(ann, answer["id"])) == {"liked": True, "like_count": 1}
    mine = await run(answers.list_user_answers(ann, ben.user_id, {}))
    assert [(a["id"], a["liked"]) for a in mine["items"]] == [(answer["id"], True)]

    edited = await run(questions.update_question(ann, q1["id"], {"category": "perf"}))
    assert edited["category"] == "perf" and edited["title"] == "Why 100% CPU?"
    await expect(run, Forbidden, questions.update_question(ben, q1["id"], {"title": "mine"}))
    await expect(run, Forbidden, questions.delete_question(ben, q1["id"]))
    await run(answers.delete_answer(ben, answer["id"]))
    assert (await run(questions.get_question(ANONYMOUS, q1["id"])))["answer_count"] == 0
    await run(questions.delete_question(ann, q1["id"]))
    await expect(run, NotFound, questions.get_question(ANONYMOUS, q1["id"]))
    users_questions = await run(questions.list_user_questions(ANONYMOUS, ben.user_id, {}))
    assert [q["id"] for q in users_questions["items"]] == [q2["id"]]


# -- 50 concurrent likers ---------------------------------------------------------------------------

async def _fifty_likers(run: Any, forum: dict[str, Any]) -> tuple[int, list[Viewer]]:
    likers = [await run(add_user(f"fan{n}")) for n in range(50)]
    return forum["post"]["id"], likers


async def test_fifty_threads_like_at_once(run: Any, forum: dict[str, Any], db_url: str, settings_for: Any) -> None:
    post_id, likers = await _fifty_likers(run, forum)
    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers_ = list(pool.map(lambda v: run_sync(db, posts.like_post(v, post_id)), likers))
    finally:
        db.close()
    assert sorted(a["like_count"] for a in answers_) == list(range(1, 51))
    assert await run(value("SELECT like_count FROM posts WHERE id = %s", post_id)) == 50
    assert await run(value("SELECT COUNT(*) FROM post_likes WHERE post_id = %s", post_id)) == 50


async def test_fifty_coroutines_like_at_once(run: Any, forum: dict[str, Any], db_url: str,
                                            settings_for: Any) -> None:
    post_id, likers = await _fifty_likers(run, forum)
    db = await open_async(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        answers_ = await asyncio.gather(*(run_async(db, posts.like_post(v, post_id)) for v in likers))
    finally:
        await db.close()
    assert sorted(a["like_count"] for a in answers_) == list(range(1, 51))
    assert await run(value("SELECT like_count FROM posts WHERE id = %s", post_id)) == 50
    assert await run(value("SELECT COUNT(*) FROM post_likes WHERE post_id = %s", post_id)) == 50


async def test_mixed_writers_keep_every_counter_exact(run: Any, forum: dict[str, Any], db_url: str,
                                                      settings_for: Any) -> None:
    """Likes, unlikes, comments, replies and deletes at once: no deadlock, and counters match the rows.

    Every write locks the post first (or only the liked row), so MySQL never finds a lock cycle.
    """
    post_id, likers = await _fifty_likers(run, forum)
    group_id, olga = forum["group_id"], forum["olga"]
    for fan in likers[:20]:
        await run(perform(Query("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, 'member', %s)",
                        (group_id, fan.user_id, clock.db_time()), "rowcount")))
    top = await run(comments.create_comment(olga, post_id, {"content": "top"}))

    def work(n: int) -> None:
        fan = likers[n % 20]
        run_sync(db, posts.like_post(fan, post_id))
        run_sync(db, comments.like_comment(fan, top["id"]))
        reply = run_sync(db, comments.create_comment(fan, post_id, {"content": "r", "parent_id": top["id"]}))
        run_sync(db, posts.unlike_post(fan, post_id))
        if n % 2:
            run_sync(db, comments.delete_comment(fan, reply["id"]))

    # then: authors delete top-level comments while others like them and their replies
    doomed = [await run(comments.create_comment(fan, post_id, {"content": "doomed"})) for fan in likers[:10]]
    doomed_replies = [await run(comments.create_comment(likers[19 - n], post_id, {
        "content": "r", "parent_id": c["id"]})) for n, c in enumerate(doomed)]

    def delete_while_liked(n: int) -> None:
        fan, item = likers[n], doomed[n % 10]
        if n < 10:
            run_sync(db, comments.delete_comment(fan, item["id"]))
            return
        for target in (item, doomed_replies[n % 10]):
            try:
                run_sync(db, comments.like_comment(fan, target["id"]))
            except NotFound:
                pass                                              # deleted first: fine

    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(work, range(40)))
            list(pool.map(delete_while_liked, range(20)))
    finally:
        db.close()
    counts = await run(perform(Query(
        "SELECT p.like_count, p.comment_count, c.reply_count, c.like_count AS comment_likes,"
        " (SELECT COUNT(*) FROM post_likes WHERE post_id = p.id) AS post_like_rows,"
        " (SELECT COUNT(*) FROM comments WHERE post_id = p.id) AS comment_rows,"
        " (SELECT COUNT(*) FROM comments WHERE parent_id = c.id) AS reply_rows,"
        " (SELECT COUNT(*) FROM comment_likes WHERE comment_id = c.id) AS comment_like_rows"
        " FROM posts p JOIN comments c ON c.post_id = p.id WHERE p.id = %s AND c.id = %s",
        (post_id, top["id"]), "row")))
    assert counts["like_count"] == counts["post_like_rows"] == 0
    assert counts["comment_count"] == counts["comment_rows"] == 1 + 20
    assert counts["reply_count"] == counts["reply_rows"] == 20
    assert counts["comment_likes"] == counts["comment_like_rows"] == 20


async def test_deleting_a_post_while_its_comments_are_liked(run: Any, forum: dict[str, Any], db_url: str,
                                                           settings_for: Any) -> None:
    """The post and all its comments are locked before the cascade: likers wait or find nothing."""
    mike, group_id = forum["mike"], forum["group_id"]
    _, likers = await _fifty_likers(run, forum)
    post = await run(posts.create_post(mike, group_id, {"title": "doomed", "content": "c"}))
    items = [await run(comments.create_comment(mike, post["id"], {"content": f"c{n}"})) for n in range(10)]
    for item in items[:5]:
        items.append(await run(comments.create_comment(mike, post["id"], {"content": "r", "parent_id": item["id"]})))

    def act(n: int) -> None:
        if n == 10:
            run_sync(db, posts.delete_post(mike, post["id"]))
            return
        for item in items[n::10]:
            try:
                run_sync(db, comments.like_comment(likers[n], item["id"]))
                run_sync(db, posts.like_post(likers[n], post["id"]))
            except NotFound:
                pass                                              # the post went first: fine

    db = open_sync(settings_for(db_url, pool_size=10, pool_timeout=60.0))
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            list(pool.map(act, range(20)))
    finally:
        db.close()
    assert await run(value("SELECT COUNT(*) FROM comments WHERE post_id = %s", post["id"])) == 0
    assert await run(value("SELECT COUNT(*) FROM comment_likes")) == 0
    assert await run(value("SELECT post_count FROM forum_groups WHERE id = %s", group_id)) == 1
