"""Search through both runners on both databases: the index moves with the content, in its transaction.

The contract suite (tests/contract/test_search.py) checks the same over HTTP; here are the parts a
client cannot see: the documents a delete leaves behind (none), a rebuild from the rows, and the
switch for hidden content (moderation) agreeing with the schema.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import pytest_asyncio

from shared.auth import ANONYMOUS
from shared.errors import BadRequest, Invalid
from shared.pagination import decode_cursor, encode_cursor
from shared.search_text import excerpt_html, index_terms, parse_query
from shared.storage import answers, comments, groups, posts, questions, search
from shared.storage.effects import Op, Query
from tests.storage.test_ops_content import add_group, add_user, perform


def found(run: Any, q: str, **filters: str) -> Any:
    return run(search.search(ANONYMOUS, {"q": q, **filters}))


def ids(page: dict[str, Any]) -> list[tuple[str, int]]:
    return [(item["type"], item["id"]) for item in page["items"]]


def documents() -> Op[list[tuple[str, int]]]:
    rows = yield Query("SELECT kind, item_id FROM search_docs ORDER BY kind, item_id")
    return [(row["kind"], row["item_id"]) for row in rows]


@pytest_asyncio.fixture(loop_scope="function")
async def forum(run: Any) -> dict[str, Any]:
    olga, mike = [await run(add_user(n)) for n in ("olga", "mike")]
    group_id = await run(add_group(olga, mike))
    post = await run(posts.create_post(mike, group_id, {"title": "基于协程的高并发", "content": "Tornado 的 IOLoop"}))
    return {"olga": olga, "mike": mike, "group_id": group_id, "post": post}


async def test_content_is_found_as_soon_as_it_is_written_and_gone_when_deleted(run: Any, forum: dict[str, Any]) -> None:
    mike, post_id = forum["mike"], forum["post"]["id"]
    assert ids(await found(run, "协程")) == [("post", post_id)]
    assert ids(await found(run, "ioloop")) == [("post", post_id)]

    comment = await run(comments.create_comment(forum["olga"], post_id, {"content": "Pooling matters"}))
    reply = await run(comments.create_comment(mike, post_id, {"content": "Pooling, yes", "parent_id": comment["id"]}))
    assert set(ids(await found(run, "pooling"))) == {("comment", comment["id"]), ("comment", reply["id"])}

    await run(posts.update_post(mike, post_id, {"content": "Flask 的线程池"}))
    assert ids(await found(run, "ioloop")) == []
    assert ids(await found(run, "线程池")) == [("post", post_id)]
    assert ids(await found(run, "协程")) == [("post", post_id)], "the title was kept"

    await run(comments.delete_comment(forum["olga"], comment["id"]))
    assert ids(await found(run, "pooling")) == []
    assert await run(documents()) == [("post", post_id)], "the reply's document went with it"

    await run(posts.delete_post(mike, post_id))
    assert await run(documents()) == []


async def test_questions_answers_and_groups(run: Any, forum: dict[str, Any]) -> None:
    question = await run(questions.create_question(forum["mike"], {"title": "Keyset pagination?", "content": "OFFSET is slow",
                                                                   "category": "db"}))
    answer = await run(answers.create_answer(forum["olga"], question["id"], {"content": "Use a keyset cursor"}))
    assert set(ids(await found(run, "keyset"))) == {("question", question["id"]), ("answer", answer["id"])}
    assert ids(await found(run, "keyset", type="answer")) == [("answer", answer["id"])]

    group = await run(groups.create_group(forum["olga"], {"name": "Async", "category": "python"}))
    await run(groups.update_group(forum["olga"], group["id"], {"description": "Asynchronous 服务"}))
    assert ids(await found(run, "asynchronous")) == [("group", group["id"])]
    assert ids(await found(run, "async")) == [("group", group["id"])], "name, and a prefix of the description"
    assert ids(await found(run, "服务 OR 高并发")) == [], "every word must match"
    assert ids(await found(run, "tornado", group_id=str(forum["group_id"]))) == [("post", forum["post"]["id"])]
    assert ids(await found(run, "tornado", group_id=str(forum["group_id"] + 1))) == []

    await run(answers.delete_answer(forum["olga"], answer["id"]))
    await run(questions.delete_question(forum["mike"], question["id"]))
    assert [kind for kind, _ in await run(documents())] == ["group", "post"]  # the group made above


async def test_results_page_by_score_and_id_without_repeats(run: Any, forum: dict[str, Any]) -> None:
    made = {("post", forum["post"]["id"])}
    for n in range(7):
        post = await run(posts.create_post(forum["mike"], forum["group_id"],
                                           {"title": f"tornado {n}", "content": "tornado " * (n + 1)}))
        made.add(("post", post["id"]))
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = await found(run, "tornado", limit="3", **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == made


async def test_sqlite_ranks_only_the_newest_matches(run: Any, forum: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``search.RANKED``: FTS5 ranks the newest N matches, every page the same N; InnoDB ranks every match."""
    monkeypatch.setattr(search, "RANKED", 4)
    made = [("post", forum["post"]["id"])]
    for n in range(7):
        post = await run(posts.create_post(forum["mike"], forum["group_id"],
                                           {"title": f"tornado {n}", "content": "tornado " * (7 - n)}))
        made.append(("post", post["id"]))
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = await found(run, "tornado", limit="3", **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    engine = await run(perform(Query("SELECT engine FROM search_state", returns="value")))
    assert len(seen) == len(set(seen)) and set(seen) == set(made[-4:] if engine == "fts5" else made)


def groups_of_documents() -> Op[list[tuple[str, int, int | None]]]:
    rows = yield Query("SELECT kind, item_id, group_id FROM search_docs ORDER BY kind, item_id")
    return [(row["kind"], row["item_id"], row["group_id"]) for row in rows]


async def test_a_rebuild_matches_what_the_hooks_wrote(run: Any, forum: dict[str, Any]) -> None:
    comment = await run(comments.create_comment(forum["olga"], forum["post"]["id"], {"content": "协程 and pools"}))
    question = await run(questions.create_question(forum["mike"], {"title": "Pools?", "content": "sizes", "category": "db"}))
    group = await run(groups.create_group(forum["olga"], {"name": "Pools", "category": "python"}))
    before = await run(documents())
    written = await run(groups_of_documents())
    assert written == [("comment", comment["id"], forum["group_id"]), ("group", group["id"], group["id"]),
                       ("post", forum["post"]["id"], forum["group_id"]), ("question", question["id"], None)], \
        "a post's and its comments' group is the post's, a group's its own, a question has none"
    await run(perform(Query("DELETE FROM search_docs WHERE kind = 'post' AND item_id > 0", (), "rowcount")))
    assert ids(await found(run, "协程")) == [("comment", before[0][1])]
    for kind in search.KINDS:
        after, done = 0, 1
        while done:
            after, done = await run(search.reindex_batch(kind, after, 1))
    assert await run(documents()) == sorted([*before, ("group", forum["group_id"])]), "and the group made by SQL"
    assert await run(groups_of_documents()) == sorted([*written, ("group", forum["group_id"], forum["group_id"])])
    assert len(ids(await found(run, "协程"))) == 2


async def test_bad_queries_are_refused_or_find_nothing(run: Any, forum: dict[str, Any]) -> None:
    for q in ("", "   ", "x" * 201):
        with pytest.raises(Invalid):
            await found(run, q)
    for bad in ({"type": "user"}, {"group_id": "x"}, {"group_id": "0"}):
        with pytest.raises((BadRequest, Invalid)):
            await found(run, "tornado", **bad)
    for q in ('"', "*", "-", "NEAR(a b)", "()", "!" * 200, "协"):
        page = await found(run, q)
        assert page["next_cursor"] is None


async def test_hidden_content_is_never_found(run: Any, forum: dict[str, Any]) -> None:
    """A post hidden by a moderator (``hidden_at``) leaves the results, its comments with it."""
    assert ids(await found(run, "协程"))
    await run(perform(Query("UPDATE posts SET hidden_at = %s WHERE id = %s",
                            ("2026-01-01 00:00:00", forum["post"]["id"]), "rowcount")))
    assert ids(await found(run, "协程")) == []


async def test_a_reply_under_a_hidden_comment_is_not_found(run: Any, forum: dict[str, Any]) -> None:
    top = await run(comments.create_comment(forum["olga"], forum["post"]["id"], {"content": "first"}))
    reply = await run(comments.create_comment(forum["mike"], forum["post"]["id"],
                                              {"content": "uvloop reply", "parent_id": top["id"]}))
    assert ids(await found(run, "uvloop")) == [("comment", reply["id"])]
    await run(perform(Query("UPDATE comments SET hidden_at = %s WHERE id = %s",
                            ("2026-01-01 00:00:00", top["id"]), "rowcount")))
    assert ids(await found(run, "uvloop")) == []


def test_words_are_segmented_and_marked() -> None:
    assert index_terms("基于协程的高并发 ＰＹＴＨＯＮ") == "zz基于 zz协程 zz的 zz高 zz并发 zzpython"
    query = parse_query('"C++" -python NEAR(协程)')
    assert query.words == ("c", "python", "near", "协程") and query.prefix
    assert query.fts5() == '"zzc" "zzpython" "zznear" "zz协程" *'
    assert query.boolean_mode() == "+zzc +zzpython +zznear +zz协程*"
    assert parse_query("a").prefix is False and parse_query("协").prefix is True
    assert parse_query("!!! *** ---").empty


def test_jieba_is_loaded_only_for_chinese_text() -> None:
    """Its import and dictionary are ~70 MB: a process that segments no Chinese never loads them (#18)."""
    script = ("import sys; from shared.search_text import index_terms, parse_query; "
              "index_terms('Plain English, 2 words'); parse_query('python tornado'); "
              "print('jieba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_excerpts_escape_everything_but_the_marks() -> None:
    text = "<script>alert(1)</script> Tornado runs 基于协程的高并发 servers"
    html = excerpt_html(text, parse_query("tornad 协程"))
    assert html == ("&lt;script&gt;alert(1)&lt;/script&gt; Tornado runs 基于<mark>协程</mark>的高并发 servers")
    assert excerpt_html("Tornado and tornadoes", parse_query("TORNADO")) == \
        "<mark>Tornado</mark> and <mark>tornadoes</mark>"
    long = "word " * 100 + "needle " + "word " * 100
    assert excerpt_html(long, parse_query("needle")).startswith("…")


async def test_documents_whose_rows_are_gone_are_skipped_and_paging_goes_on(run: Any, forum: dict[str, Any]) -> None:
    """A page whose best matches may not be shown reads on: the next rows fill it, the cursor holds."""
    made = [await run(posts.create_post(forum["mike"], forum["group_id"], {"title": "orphan", "content": "x" * n}))
            for n in range(1, 6)]
    for post in made[1:4]:      # gone behind the index's back (as a row hidden by moderation would be)
        await run(perform(Query("DELETE FROM posts WHERE id = %s", (post["id"],), "rowcount")))
    first = await found(run, "orphan", limit="1")
    second = await found(run, "orphan", limit="1", cursor=first["next_cursor"])
    assert sorted(ids(first) + ids(second)) == [("post", made[0]["id"]), ("post", made[4]["id"])]
    assert second["next_cursor"] is None


def walk(run: Any, q: str, **filters: str) -> Any:
    """Every page of a search, three at a time: the items in order, and each next cursor's length
    (``[score, doc id]`` ranked, ``[doc id]`` newest first)."""
    async def pages() -> tuple[list[tuple[str, int]], list[int]]:
        seen: list[tuple[str, int]] = []
        shapes: list[int] = []
        cursor = None
        while True:
            page = await found(run, q, limit="3", **filters, **({"cursor": cursor} if cursor else {}))
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                return seen, shapes
            shapes.append(len(decode_cursor(cursor)))
    return pages()


@pytest_asyncio.fixture(loop_scope="function")
async def crowd(run: Any, forum: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``search.COMMON`` at 6: among ~45 documents, a word in most of the newest is common.

    Oldest first: two posts with a rare word (the one with it five times the better match), thirty
    posts with ``tornado``, twelve comments with ``tornado`` on the first of those posts.
    """
    monkeypatch.setattr(search, "COMMON", 6)
    mike, group_id = forum["mike"], forum["group_id"]
    rare = [await run(posts.create_post(mike, group_id, {"title": "rare", "content": text}))
            for text in ("rare rare rare rare rare", "rare words")]
    made = [await run(posts.create_post(mike, group_id, {"title": f"tornado {n}",
                                                          "content": "tornado"}))
            for n in range(30)]
    replies = [await run(comments.create_comment(forum["olga"], made[0]["id"], {"content": f"tornado reply {n}"}))
               for n in range(12)]
    engine = await run(perform(Query("SELECT engine FROM search_state", returns="value")))
    return {"rare": [("post", p["id"]) for p in rare], "posts": [("post", p["id"]) for p in made],
            "comments": [("comment", c["id"]) for c in replies], "engine": engine}


async def test_common_words_are_found_newest_first_on_mysql_and_ranked_on_sqlite(run: Any, forum: dict[str, Any],
                                                                                 crowd: dict[str, Any]) -> None:
    """InnoDB: a page of the word among the newest documents makes it common, read down by id, every
    page after a ``[doc id]`` cursor, none twice, none skipped. SQLite is unaffected: best match first."""
    everything = [("post", forum["post"]["id"]), *crowd["posts"], *crowd["comments"]]
    seen, shapes = await walk(run, "tornado")
    assert len(seen) == len(set(seen)) and set(seen) == set(everything)
    if crowd["engine"] == "innodb":
        assert seen == sorted(everything, key=lambda item: (item[0] == "comment", item[1]), reverse=True)
        assert set(shapes) == {1}
        assert ids(await found(run, "tornad", limit="3")) == crowd["comments"][:-4:-1], "a prefix too"
    else:
        assert set(shapes) == {2}, "ranked, every page"


async def test_rare_words_are_ranked_on_both(run: Any, crowd: dict[str, Any]) -> None:
    """Not a page of them among the newest documents: the probe gives way to the engine's ranking."""
    seen, _ = await walk(run, "rare")
    assert seen == crowd["rare"][::-1] or seen == crowd["rare"]
    assert (await found(run, "rare", limit="1"))["items"][0]["id"] == crowd["rare"][0][1], "five times: the best"
    assert len(decode_cursor((await found(run, "rare", limit="1"))["next_cursor"])) == 2
    assert len(decode_cursor((await found(run, "rare", type="post", limit="1"))["next_cursor"])) == 2, \
        "not among the newest 30 posts either"
    assert ids(await found(run, "rare tornado")) == [], "every word must match"


async def test_newest_first_keeps_filters_and_hidden_content_out(run: Any, forum: dict[str, Any],
                                                                 crowd: dict[str, Any]) -> None:
    assert (await walk(run, "tornado", type="comment"))[0] == crowd["comments"][::-1]
    assert (await walk(run, "tornado reply", type="comment"))[0] == crowd["comments"][::-1]
    newest_posts = [*crowd["posts"][::-1], ("post", forum["post"]["id"])]
    seen, shapes = await walk(run, "tornado", type="post")
    assert seen == newest_posts or crowd["engine"] == "fts5" and sorted(seen) == sorted(newest_posts)
    grouped, _ = await walk(run, "tornado", group_id=str(forum["group_id"]))
    assert sorted(grouped) == sorted([*newest_posts, *crowd["comments"]])
    assert ids(await found(run, "tornado", group_id=str(forum["group_id"] + 1))) == []

    hidden_post, hidden_reply = crowd["posts"][-1][1], crowd["comments"][-2][1]
    for table, item in (("posts", hidden_post), ("comments", hidden_reply)):
        await run(perform(Query(f"UPDATE {table} SET hidden_at = %s WHERE id = %s",  # noqa: S608
                                ("2026-01-01 00:00:00", item), "rowcount")))
    await run(perform(Query("UPDATE posts SET hidden_at = %s WHERE id = %s",   # the post of all the comments
                            ("2026-01-01 00:00:00", crowd["posts"][0][1]), "rowcount")))
    seen, _ = await walk(run, "tornado")
    assert set(seen) == {("post", forum["post"]["id"]), *crowd["posts"][1:-1]}
    assert len(seen) == len(set(seen))
    if crowd["engine"] == "innodb":
        assert seen == sorted(seen, reverse=True)


async def test_an_edit_is_found_at_once_newest_first(run: Any, forum: dict[str, Any], crowd: dict[str, Any]) -> None:
    """An edit keeps its document's id: the edited post is found in its place, and gone from it."""
    oldest = crowd["posts"][0][1]
    await run(posts.update_post(forum["mike"], oldest, {"content": "uvloop"}))
    seen, _ = await walk(run, "tornado", type="post")
    assert ("post", oldest) in seen, "still in its title"
    await run(posts.update_post(forum["mike"], crowd["posts"][-1][1], {"title": "quiet", "content": "quiet"}))
    seen, _ = await walk(run, "tornado", type="post")
    assert crowd["posts"][-1] not in seen and len(seen) == 30


async def test_a_cursor_of_the_other_mode_is_refused_or_continues(run: Any, crowd: dict[str, Any]) -> None:
    """A one-number cursor is newest first on InnoDB (a document id; with ``type``, the item's id) and
    not a cursor for SQLite's ranked list."""
    eleventh = crowd["posts"][10][1]
    document = await run(perform(Query("SELECT id FROM search_docs WHERE kind = 'post' AND item_id = %s",
                                       (eleventh,), "value")))
    if crowd["engine"] == "innodb":
        page = await found(run, "tornado", limit="3", cursor=encode_cursor([document]))
        assert ids(page) == crowd["posts"][9:6:-1]
        page = await found(run, "tornado", type="post", limit="3", cursor=encode_cursor([eleventh]))
        assert ids(page) == crowd["posts"][9:6:-1]
    else:
        with pytest.raises(BadRequest):
            await found(run, "tornado", cursor=encode_cursor([document]))


async def test_a_word_of_the_newest_documents_pages_on_to_its_oldest(run: Any, forum: dict[str, Any],
                                                                    crowd: dict[str, Any],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Newest first, a window below the cursor holds less than a page: the rest comes from the index, by id."""
    monkeypatch.setattr(search, "COMMON", 30)        # ~50 documents, 4 a page: windows of 7 documents
    oldest = crowd["posts"][0][1]
    await run(posts.update_post(forum["mike"], oldest, {"content": "trend"}))
    made = [await run(posts.create_post(forum["mike"], forum["group_id"], {"title": "news", "content": "trend"}))
            for _ in range(6)]
    seen, shapes = await walk(run, "trend")
    expected = [*(("post", p["id"]) for p in made[::-1]), ("post", oldest)]
    if crowd["engine"] == "innodb":
        assert seen == expected and set(shapes) == {1}
    else:
        assert sorted(seen) == sorted(expected) and set(shapes) == {2}


async def test_a_group_is_searched_among_its_own_documents(run: Any, forum: dict[str, Any], crowd: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``?group_id=``: a word common in the forum is read newest first from the group's own documents
    (a small group whole), not from the forum's newest, which hold few of the group's: ranking every
    match in the forum instead was refused at the time bound on a large forum. With ``?type=`` too,
    the group's items of that kind, by item id. A word rare in the forum is ranked, as without a group."""
    monkeypatch.setattr(search, "COMMON", 30)        # ~60 documents, 4 a page: windows of 8 documents
    small = await run(add_group(forum["olga"], forum["mike"]))
    made = [await run(posts.create_post(forum["mike"], small, {"title": f"tornado {n}", "content": "small"}))
            for n in range(4)]
    reply = await run(comments.create_comment(forum["olga"], made[0]["id"], {"content": "tornado too"}))
    for n in range(10):                              # the newest documents are all the big group's
        await run(posts.create_post(forum["mike"], forum["group_id"], {"title": f"tornado {n}", "content": "x"}))
    in_small = [("comment", reply["id"]), *(("post", p["id"]) for p in made[::-1])]
    seen, shapes = await walk(run, "tornado", group_id=str(small))
    kinds, kind_shapes = await walk(run, "tornado", group_id=str(small), type="post")
    if crowd["engine"] == "innodb":
        assert (seen, shapes) == (in_small, [1]), "newest first, by document id"
        assert (kinds, kind_shapes) == (in_small[1:], [1]), "newest first, by the post's id"
    else:
        assert sorted(seen) == sorted(in_small) and sorted(kinds) == sorted(in_small[1:])
    assert ids(await found(run, "tornado", group_id=str(small), type="question")) == []
    assert ids(await found(run, "small", group_id=str(forum["group_id"]))) == []
    rare, rare_shapes = await walk(run, "small", group_id=str(small))
    assert sorted(rare) == sorted(in_small[1:]) and rare_shapes == [2], \
        "a word rare in the whole forum is ranked, the group a filter (reading a group costs a row read each)"
