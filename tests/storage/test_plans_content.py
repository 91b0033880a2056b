"""The rules of content operations, checked with canned rows and no database (``run_canned``).

These tests read the plan an operation makes: which queries, in which order, and where it stops.
That is where lock order, "no query per row" and "refuse before writing" are visible.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import ANONYMOUS, Viewer
from shared.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from shared.pagination import PageRequest, encode_cursor
from shared.storage import answers, comments, likes, posts, questions, threads
from shared.storage.effects import READ_ONLY, Query
from shared.storage.runners import run_canned

ALICE, BOB = Viewer(1), Viewer(2)
NOW = "2026-11-24 09:51:25"


def user(prefix: str, user_id: int | None) -> dict[str, Any]:
    names = ("id", "username", "nickname", "avatar_url")
    return {f"{prefix}{n}": (user_id if n == "id" else f"u{user_id}" if user_id else None) for n in names}


def comment_row(item_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "post_id": 7, "content": "c", "content_html": "<p>c</p>", "parent_id": None,
            "like_count": 0, "reply_count": 0, "created_at": NOW, "edited_at": None, "user_id": 1, "hidden_at": None,
            "hidden_reason": None, **user("author_", 1), **user("reply_to_", None), **extra}


def post_row(post_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": post_id, "group_id": 3, "title": "t", "content": "c", "content_html": "<p>c</p>", "pinned": 0,
            "locked": 0, "view_count": 0, "comment_count": 0, "like_count": 0, "hot_score": 1.5,
            "created_at": NOW, "updated_at": NOW, "edited_at": None, "user_id": 1, "hidden_at": None,
            "hidden_reason": None, **user("author_", 1), **extra}


def verbs(queries: list[Query]) -> list[str]:
    """The first two words of each statement: enough to read a plan."""
    return [" ".join(q.sql.split()[:2]) for q in queries]


def check_statements(queries: list[Query]) -> None:
    """Parameters bound for every placeholder; every UPDATE and DELETE has a WHERE (sql_safe_updates)."""
    for q in queries:
        assert q.sql.count("%s") == len(q.params), q.sql
        if q.sql.startswith(("UPDATE", "DELETE")):
            assert " WHERE " in q.sql, q.sql


# -- likes ------------------------------------------------------------------------------------------

def test_like_bumps_the_counter_before_inserting() -> None:
    result, queries = run_canned(posts.like_post(ALICE, 7), [
        1, 1,                                                     # UPDATE like_count, INSERT like
        {"like_count": 5, "user_id": 2, "page_id": 7, "excerpt": "A title"},
        {"likes": 5, "replies": 0, "created_at": NOW}, 1,         # hot score: read, write
        99,                                                       # the author's notification
    ])
    assert result == {"liked": True, "like_count": 5}
    assert verbs(queries) == ["UPDATE posts", "INSERT INTO", "SELECT like_count,", "SELECT like_count",
                              "UPDATE posts", "INSERT INTO"]
    assert "hot_score" in queries[4].sql and queries[5].params[:3] == (2, "like", 1)
    check_statements(queries)


def test_liking_again_undoes_the_bump_and_notifies_nobody() -> None:
    result, queries = run_canned(posts.like_post(ALICE, 7), [
        1, Conflict("duplicate"), 1, {"like_count": 5, "user_id": 2, "page_id": 7, "excerpt": "t"}])
    assert result == {"liked": True, "like_count": 5}
    assert queries[2].sql.startswith("UPDATE posts SET like_count") and queries[2].params == (-1, 7)
    assert len(queries) == 4


def test_like_of_a_missing_target_stops_at_the_counter() -> None:
    with pytest.raises(NotFound):
        run_canned(comments.like_comment(ALICE, 7), [0])
    with pytest.raises(Unauthorized):
        run_canned(answers.like_answer(ANONYMOUS, 7), [])


def test_unlike_also_locks_the_counter_first_and_undoes_a_no_op() -> None:
    result, queries = run_canned(comments.unlike_comment(ALICE, 7), [1, 0, 1, 4])
    assert result == {"liked": False, "like_count": 4}
    assert verbs(queries) == ["UPDATE comments", "DELETE FROM", "UPDATE comments", "SELECT like_count"]
    assert [q.params[0] for q in (queries[0], queries[2])] == [-1, 1]
    check_statements(queries)


def test_liked_flags_are_one_query_for_a_page_and_none_for_anonymous() -> None:
    flags, queries = run_canned(likes.liked_ids(comments.COMMENT_LIKES, ALICE, [3, 4, 5]), [[{"id": 4}]])
    assert flags == {4} and len(queries) == 1
    assert "IN (%s, %s, %s)" in queries[0].sql and queries[0].params == (1, 3, 4, 5)
    assert run_canned(likes.liked_ids(comments.COMMENT_LIKES, ANONYMOUS, [3]), []) == (set(), [])


# -- lists ------------------------------------------------------------------------------------------

def test_keyset_spells_tuple_comparison_for_any_engine() -> None:
    sql, params = posts.NEW.after([1, 40])
    assert sql == "(p.pinned < %s OR (p.pinned = %s AND p.id < %s))" and params == [1, 1, 40]
    assert threads.OLDEST_FIRST.after([9]) == ("t.id > %s", [9])
    assert posts.HOT.order_by() == "p.hot_score DESC, p.id DESC"
    for bad in ([1], [1, "x"], [True, 2], [1, 2, 3]):
        with pytest.raises(BadRequest):
            posts.NEW.after(bad)


def test_a_page_of_comments_costs_two_queries_whatever_its_size() -> None:
    op = comments.list_comments(ALICE, 7, {"limit": "3"})
    assert next(op) is READ_ONLY
    rows = [comment_row(i) for i in (1, 2, 3, 4)]
    result, queries = run_canned(op, [rows, [{"id": 2}]])
    assert len(queries) == 2                                      # the page (authors JOINed) + liked flags
    # + who sees hidden comments, and the hidden post they are on (JOINed)
    assert "LEFT JOIN users r" in queries[0].sql and queries[0].params == (7, 1, 1, 1, 1, 1, 1, 4)
    assert "t.hidden_at IS NULL OR t.user_id = %s" in queries[0].sql
    assert "c.hidden_at IS NULL OR c.user_id = %s" in queries[0].sql
    assert [c["liked"] for c in result["items"]] == [False, True, False]
    assert result["next_cursor"] == encode_cursor([3])
    check_statements(queries)


def test_an_empty_page_asks_whether_the_parent_exists() -> None:
    with pytest.raises(NotFound):
        run_canned(comments.list_comments(ANONYMOUS, 7, {}), [[], None])
    shown = {"user_id": 3, "hidden_at": None, "group_id": None, "parent_user_id": None, "parent_hidden_at": None}
    result, queries = run_canned(answers.list_answers(ANONYMOUS, 7, {}), [[], shown])
    assert result == {"items": [], "next_cursor": None} and "FROM questions" in queries[1].sql
    with pytest.raises(NotFound):                  # a hidden question's answers are as hidden as it is
        run_canned(answers.list_answers(ANONYMOUS, 7, {}), [[], {**shown, "hidden_at": "2026-01-01 00:00:00"}])
    with pytest.raises(NotFound):                  # and so are the replies to a hidden answer
        run_canned(answers.list_replies(ANONYMOUS, 9, {}), [[], {**shown, "parent_hidden_at": "2026-01-01 00:00:00"}])


def test_group_posts_new_and_hot_use_their_keys() -> None:
    after = encode_cursor([0, 40])
    _, queries = run_canned(posts.list_group_posts(ANONYMOUS, 3, {"cursor": after}), [[post_row(39)]])
    assert "ORDER BY p.pinned DESC, p.id DESC" in queries[0].sql and queries[0].params == (3, 0, 0, 40, 21)
    _, queries = run_canned(posts.list_group_posts(ANONYMOUS, 3, {"sort": "hot"}), [[post_row(39)]])
    assert "ORDER BY p.hot_score DESC, p.id DESC" in queries[0].sql
    with pytest.raises(BadRequest):
        run_canned(posts.list_group_posts(ANONYMOUS, 3, {"sort": "top"}), [])


def test_question_search_escapes_wildcards() -> None:
    _, queries = run_canned(questions.list_questions(ANONYMOUS, {"q": "100%_!", "category": "py"}), [[]])
    assert queries[0].params[:3] == ("py", "%100!%!_!!%", "%100!%!_!!%")
    with pytest.raises(BadRequest):
        run_canned(questions.list_questions(ANONYMOUS, {"q": "x" * 101}), [])


def test_fetch_page_without_filters_has_no_where() -> None:
    _, queries = run_canned(threads.fetch_page("SELECT 1 FROM t", [], [], posts.LATEST, PageRequest(5)), [[]])
    assert queries[0].sql == "SELECT 1 FROM t ORDER BY p.id DESC LIMIT %s"


# -- posts ------------------------------------------------------------------------------------------

def test_non_members_are_refused_before_anything_is_written() -> None:
    body = {"title": "t", "content": "c"}
    with pytest.raises(Forbidden):
        run_canned(posts.create_post(ALICE, 3, body), [None, 1])        # no role; the group exists
    with pytest.raises(NotFound):
        run_canned(posts.create_post(ALICE, 3, body), [None, None])
    with pytest.raises(Invalid):
        run_canned(posts.create_post(ALICE, 3, {"title": "t" * 121, "content": "c"}), [])


def test_create_post_counts_it_in_the_group() -> None:
    result, queries = run_canned(posts.create_post(ALICE, 3, {"title": "t", "content": "*c*"}),
                                 [("member"), 1, 70, 1, 1, post_row(70)])
    assert verbs(queries) == ["SELECT role", "UPDATE forum_groups", "INSERT INTO", "INSERT INTO", "INSERT INTO",
                              "SELECT p.id,"]
    assert queries[3].sql.startswith("INSERT INTO search_docs") and queries[3].params[:3] == ("post", 70, 70)
    assert queries[4].sql.startswith("INSERT INTO watches") and queries[4].params[:3] == (1, "post", 70)
    assert "<em>c</em>" in queries[2].params[4] and result["liked"] is False   # rendered at write time
    check_statements(queries)


POST_BY_ALICE = {"user_id": 1, "group_id": 3}


@pytest.mark.parametrize(("viewer", "body", "canned", "allowed"), [
    (ALICE, {"title": "new"}, [1, 1], True),           # the author rewrites (no role asked), reindexed
    (BOB, {"title": "new"}, [], False),                # the owner may not rewrite someone's words
    (BOB, {"pinned": True}, ["owner", 1], True),       # ... but pins
    (ALICE, {"locked": True}, ["member"], False),      # the author does not lock
    (BOB, {}, ["member"], False),                      # an empty edit still needs a right to edit
    (ALICE, {}, [], True),                             # ... and then changes nothing
])
def test_who_may_change_a_post(viewer: Viewer, body: dict[str, Any], canned: list[Any], allowed: bool) -> None:
    answers_ = [POST_BY_ALICE, *canned, post_row(7), []]
    if allowed:
        _, queries = run_canned(posts.update_post(viewer, 7, body), answers_)
        assert any(q.sql.startswith("UPDATE posts") for q in queries) == bool(body)
    else:
        with pytest.raises(Forbidden):
            run_canned(posts.update_post(viewer, 7, body), answers_)


def test_an_edit_is_one_statement_that_keeps_unsent_fields() -> None:
    _, queries = run_canned(posts.update_post(BOB, 7, {"pinned": True}),
                            [{"user_id": 1, "group_id": 3}, "owner", 1, post_row(7), []])
    edit = queries[2]
    assert "pinned = COALESCE(%s, pinned)" in edit.sql and "title = COALESCE(%s, title)" in edit.sql
    assert edit.params == (None, None, None, 1, None, None, 7)   # updated_at kept: pinning is no edit


# -- threads ----------------------------------------------------------------------------------------

def test_a_reply_to_a_user_needs_a_parent_and_is_checked_before_any_query() -> None:
    with pytest.raises(Invalid) as caught:
        run_canned(answers.create_answer(ALICE, 7, {"content": "x", "reply_to_user_id": 2}), [])
    assert caught.value.errors[0].field == "reply_to_user_id"


def test_a_locked_post_or_an_outsider_takes_no_comment() -> None:
    post = {"user_id": 2, "group_id": 3, "locked": 1}
    with pytest.raises(Conflict):
        run_canned(comments.create_comment(ALICE, 7, {"content": "x"}), [post, "member"])
    with pytest.raises(Forbidden):
        run_canned(comments.create_comment(ALICE, 7, {"content": "x"}), [post, None])


def test_a_parent_must_be_top_level_in_the_same_container() -> None:
    with pytest.raises(Invalid) as caught:
        run_canned(answers.create_answer(ALICE, 7, {"content": "x", "parent_id": 9}), [{"user_id": 2}, 1, 0])
    assert caught.value.errors[0].field == "parent_id"


def test_a_reply_locks_container_then_parent_and_tells_each_user_once() -> None:
    body = {"content": "hi @bob", "parent_id": 9, "reply_to_user_id": 2}
    result, queries = run_canned(answers.create_answer(ALICE, 7, body), [
        {"user_id": 3},                        # the question, by user 3
        1,                                     # reply_to user exists
        1, 1, 2,                               # answer_count, parent's reply_count, parent's author = 2
        50,                                    # INSERT
        {"likes": 0, "replies": 2, "created_at": NOW}, 1,
        [{"user_id": 3}, {"user_id": 2}],      # who watches the question: its author and user 2
        500,                                   # one 'reply' for user 2 (parent author and reply_to at once)
        501,                                   # one 'answer' for user 3, who watches
        1,                                     # the writer starts watching
        [{"id": 2}],                           # @bob is user 2: already told
        comment_row(50, question_id=7, score=0, accepted=0),
        1,                                     # indexed for search
    ])
    assert verbs(queries)[2:6] == ["UPDATE questions", "UPDATE answers", "SELECT user_id", "INSERT INTO"]
    assert queries[-1].sql.startswith("INSERT INTO search_docs") and queries[-1].params[:3] == ("answer", 50, 7)
    notices = [q.params for q in queries if q.sql.startswith("INSERT INTO notifications")]
    assert [(p[0], p[1]) for p in notices] == [(2, "reply"), (3, "answer")]
    assert [q.params[:3] for q in queries if q.sql.startswith("INSERT INTO watches")] == [(1, "question", 7)]
    assert result["question_id"] == 7
    check_statements(queries)


def test_delete_locks_before_deleting_and_counts_what_was_really_deleted() -> None:
    item = {"user_id": 1, "container_id": 7, "parent_id": None, "hidden_at": None, "group_id": 3}
    _, queries = run_canned(comments.delete_comment(ALICE, 9), [
        [{"id": 9}, {"id": 10}],   # the comment and its reply, for their search documents
        item,
        1, 1, 3, 2, 3, 1, 1, 1,    # post -1, lock it, lock its 3 replies, their histories, delete the 3
        {"likes": 0, "replies": 0, "created_at": NOW}, 1,   # visible ones, then the hidden ones (1), it, post -3
        4,                         # the search documents of the comment and its replies
    ])
    assert verbs(queries)[2:10] == ["UPDATE posts", "UPDATE comments", "UPDATE comments", "DELETE FROM",
                                    "DELETE FROM", "DELETE FROM", "DELETE FROM", "UPDATE posts"]
    assert queries[2].params == (-1, 7) and queries[9].params == (-3, 7)
    assert queries[5].sql.startswith("DELETE FROM revisions") and queries[5].params == ("comment", 9, 9)
    assert "hidden_at IS NULL" in queries[6].sql                # only visible replies were counted
    assert queries[-1].sql.startswith("DELETE FROM search_docs") and queries[-1].params == ("comment", 9, 10)
    with pytest.raises(Forbidden):                              # not the author, and moderates nothing
        run_canned(comments.delete_comment(BOB, 9), [[{"id": 9}], item, {"role": "member", "group_role": "member"}])
    check_statements(queries)


def test_deleting_a_reply_lowers_its_parents_count_first() -> None:
    _, queries = run_canned(answers.delete_answer(ALICE, 10), [
        [{"id": 10}], {"user_id": 1, "container_id": 7, "parent_id": 9, "hidden_at": None, "group_id": None},
        1, 0, 1, 0, 1, {"likes": 0, "replies": 0, "created_at": NOW}, 1, 1])
    assert verbs(queries)[2:7] == ["UPDATE questions", "UPDATE questions", "UPDATE answers", "DELETE FROM",
                                   "DELETE FROM"]
    assert "accepted_answer_id = NULL" in queries[3].sql and queries[3].params == (7, 10)
    assert queries[4].sql.startswith("UPDATE answers SET reply_count = reply_count - %s") and queries[4].params == (1, 9)
    assert queries[5].sql.startswith("DELETE FROM revisions") and queries[5].params == ("answer", 10)
    assert queries[-1].params == ("answer", 10)


def test_excerpt_is_one_short_line() -> None:
    assert likes.excerpt("a\n\n  b") == "a b"
    assert len(likes.excerpt("x" * 500)) == likes.EXCERPT_CHARS


def test_a_reply_that_renders_beyond_its_column_is_refused_before_writing() -> None:
    links = "[a](b)" * 1666                                      # 9,996 characters, ~68 KB of HTML
    with pytest.raises(Invalid) as caught:
        run_canned(answers.create_answer(ALICE, 7, {"content": links}), [{"user_id": 2}])
    assert caught.value.errors[0].field == "content"
