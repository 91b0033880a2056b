"""Search (API.md §7, RELIABILITY 50): Chinese words, English in any case, a prefix, filters, edits
found at once, deleted content gone, and hostile queries that never get a 500.

Every server of a session shares one database, so each test searches for words of its own (a
unique Latin word) or within a group of its own (``group_id``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.support.servers import ServerUnavailable, fresh_database, running_server, tracebacks
from tests.support.services import missing_service

from .client import Api, describe, items, ok, problem
from .conftest import TARGETS
from .test_server_timing import timings

RESULT_KEYS = {"type", "id", "title", "excerpt_html", "author", "created_at", "url"}


def word(prefix: str = "kw") -> str:
    """A Latin word nobody else wrote: letters and digits only (an underscore would split it)."""
    return prefix + secrets.token_hex(5)


def found(api, q: str, **params) -> list[tuple[str, int]]:
    return [(item["type"], item["id"]) for item in items(api.get("/search", params={"q": q, **params}))]


def test_chinese_words_are_found(api, forum, make_user):
    alice = make_user()
    group = forum.group(alice, description="中文社区")
    post = forum.post(group, alice, title="基于协程的高并发", content="用 Tornado 写网络服务，不阻塞事件循环。")
    scope = {"group_id": group["id"]}
    assert found(api, "协程", **scope) == [("post", post["id"])], "a two-character word inside a phrase"
    assert found(api, "高并发", **scope) == [("post", post["id"])]
    assert found(api, "事件循环", **scope) == [("post", post["id"])]
    assert found(api, "协", **scope) == [("post", post["id"])], "a lone character: a prefix of 协程"
    assert found(api, "协程 事件", **scope) == [("post", post["id"])]
    assert found(api, "协程 数据库", **scope) == [], "every word must be there"
    [hit] = items(api.get("/search", params={"q": "事件循环", **scope}))
    assert set(hit) == RESULT_KEYS
    assert hit["excerpt_html"] == "用 Tornado 写网络服务，不阻塞<mark>事件循环</mark>。"
    assert hit["title"] == "基于协程的高并发" and hit["url"] == f"/posts/{post['id']}"
    assert hit["author"]["id"] == alice["id"]


def test_english_in_any_case_and_the_last_word_as_a_prefix(api, forum, make_user):
    alice = make_user()
    term = word("Quokka")
    question = forum.question(alice, title=f"Where do {term}s live?", content=f"The {term} is *small*.")
    assert found(api, term.upper()) == [("question", question["id"])]
    assert found(api, term.lower()) == [("question", question["id"])]
    assert found(api, term[:-3]) == [("question", question["id"])], "a prefix of the last word"
    assert found(api, f"{term[:-3]} small") == [], "only the last word is a prefix"
    assert found(api, f"SMALL {term[:-3]}") == [("question", question["id"])]
    [hit] = items(api.get("/search", params={"q": term}))
    assert hit["excerpt_html"] == f"The <mark>{term}</mark> is small."
    assert hit["url"] == f"/questions/{question['id']}"


def test_every_kind_and_the_filters(api, forum, make_user):
    alice, bob = make_user(), make_user()
    term = word()
    group = forum.group(alice, description=f"About {term}.")
    forum.join(group, bob)
    post = forum.post(group, alice, content=f"{term} in a post")
    comment = forum.comment(post, bob, content=f"{term} in a comment")
    question = forum.question(bob, content=f"{term} in a question")
    answer = forum.answer(question, alice, content=f"{term} in an answer")
    every = {("group", group["id"]), ("post", post["id"]), ("comment", comment["id"]),
             ("question", question["id"]), ("answer", answer["id"])}
    assert set(found(api, term)) == every
    for kind, item_id in every:
        assert found(api, term, type=kind) == [(kind, item_id)]
    assert set(found(api, term, group_id=group["id"])) == {("group", group["id"]), ("post", post["id"]),
                                                           ("comment", comment["id"])}
    assert found(api, term, group_id=group["id"], type="comment") == [("comment", comment["id"])]
    hits = {item["type"]: item for item in items(api.get("/search", params={"q": term}))}
    assert hits["comment"]["url"] == f"/posts/{post['id']}#comment-{comment['id']}"
    assert hits["comment"]["title"] == post["title"]
    assert hits["answer"]["url"] == f"/questions/{question['id']}#answer-{answer['id']}"
    assert hits["group"]["url"] == f"/groups/{group['id']}" and hits["group"]["title"] == group["name"]


def test_edits_are_found_at_once_and_deleted_content_is_gone(api, forum, make_user):
    alice, bob = make_user(), make_user()
    old, new, reply_word = word("old"), word("new"), word("reply")
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, alice, content=f"{old} text")
    ok(api.patch(f"/posts/{post['id']}", user=alice, json={"content": f"{new} text"}))
    assert found(api, new) == [("post", post["id"])]
    assert found(api, old) == []
    question = forum.question(alice, title=f"{old} title")
    ok(api.patch(f"/questions/{question['id']}", user=alice, json={"title": f"{new} title"}))
    assert set(found(api, new)) == {("post", post["id"]), ("question", question["id"])}

    top = forum.comment(post, bob, content=f"{reply_word} top")
    reply = forum.comment(post, alice, content=f"{reply_word} reply", parent_id=top["id"])
    assert len(found(api, reply_word)) == 2
    ok(api.delete(f"/comments/{top['id']}", user=bob), 204)
    assert found(api, reply_word) == [], "the reply went with its comment"
    assert ("comment", reply["id"]) not in found(api, "reply")

    doomed = forum.comment(post, bob, content=f"{reply_word} again")
    ok(api.delete(f"/posts/{post['id']}", user=alice), 204)
    assert ("comment", doomed["id"]) not in found(api, reply_word)
    assert found(api, new) == [("question", question["id"])]
    ok(api.delete(f"/questions/{question['id']}", user=alice), 204)
    assert found(api, new) == []


def test_pages_by_relevance_without_repeats(api, forum, make_user):
    alice = make_user()
    term = word()
    group = forum.group(alice)
    posts = [forum.post(group, alice, title=f"post {n}", content=" ".join([term] * (n + 1)) + " filler" * 5)
             for n in range(5)]
    seen: list[int] = []
    params = {"q": term, "limit": 2}
    while True:
        page = ok(api.get("/search", params=params))
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(p["id"] for p in posts), "each once"


def test_the_excerpt_is_escaped_but_for_the_marks(api, forum, make_user):
    alice = make_user()
    term = word()
    group = forum.group(alice)
    forum.post(group, alice, content=f"<script>alert(1)</script> {term} & <b>bold</b> \"quoted\"")
    [hit] = items(api.get("/search", params={"q": term}))
    html = hit["excerpt_html"]
    assert f"<mark>{term}</mark>" in html
    assert "<script" not in html and "<b>" not in html
    assert html.replace(f"<mark>{term}</mark>", "").count("<") == 0


def test_q_is_required_and_bounded(api):
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}):
        problem(api.get("/search", params=params), 422)
    assert ok(api.get("/search", params={"q": "x" * 200}))["next_cursor"] is None
    problem(api.get("/search", params={"q": "tornado", "type": "user"}), 400)
    problem(api.get("/search", params={"q": "tornado", "group_id": "abc"}), 400)
    problem(api.get("/search", params={"q": "tornado", "group_id": "9" * 30}), 400)
    problem(api.get("/search", params={"q": "tornado", "cursor": "not-a-cursor"}), 400)
    problem(api.get("/search", params={"q": "tornado", "limit": "0"}), 400)


HOSTILE = [
    '"', '""', '"unclosed', "'", "*", "**", "a*", "*a", "-", "--", "-tornado", "+", "+tornado +",
    "~", "~tornado", "<", ">", "<tornado >flask", "@", "@user", "NEAR", "NEAR(a b)", "NEAR/2",
    "a NEAR b", "MATCH", "MATCH AGAINST", "AND", "OR", "NOT", "a AND b OR NOT c", "(", ")", "((a)",
    "(a OR b) AND (c", "^", "{a b}", "col:term", "title_terms:x", "search_fts:x", ":", "\\", "%", "_",
    "%_%", "' OR 1=1 --", "'; DROP TABLE posts; --", "\" OR \"\"=\"", "\x00", "\t\n", "协", "的",
    "𠀀", "🙂", "ｱｲｳ", "Ⅻ", "İstanbul", "ß", "ﬁ", "\u200b", "a\u0301", "0", "9" * 200,
    "!" * 200, "".join(chr(c) for c in range(33, 127)) * 2, "@#$%^&*()" * 22, "协" * 200,
    " ".join("abcdefghijklmnopqrstuvwxyz"), " ".join(["the"] * 60), "a" * 100 + "*",
]


def test_hostile_queries_never_get_a_500(api):
    """Engine syntax in a query is data: a list or a refusal, never an error (RELIABILITY 50)."""
    assert len(HOSTILE) >= 30
    for q in HOSTILE:
        resp = api.get("/search", params={"q": q})
        assert resp.status_code in (200, 400, 422), (q, resp.status_code, resp.text[:200])
        if resp.status_code == 200:
            assert isinstance(resp.json()["items"], list)
        resp = api.get("/search", params={"q": q, "type": "comment"})
        assert resp.status_code in (200, 400, 422), (q, resp.status_code)


# -- a search MySQL stops at search_timeout (issue #14) ------------------------------------------------

# The medium data set's common words take MariaDB seconds; here the bound is a microsecond instead, so
# the server stops nearly every search, of any word, at once. "Nearly": a statement that ends within the first
# microsecond is not stopped (about 1 in 10 on an empty index), hence a few tries.
BOUNDED = [t for t in TARGETS if t.database == "mysql" and not t.driver and t.flavour in ("tornado", "gunicorn")]
TOO_BROAD = "These words are in too many posts to rank in time: add a more specific word"


@pytest.fixture(scope="module", params=BOUNDED, ids=str)
def bounded(request: pytest.FixtureRequest) -> Iterator[Api]:
    target = request.param
    try:
        with fresh_database(target.database) as url, \
                running_server(target.flavour, url, extra_env={"FORUM_SEARCH_TIMEOUT": "0.000001"}) as srv:
            api = Api(srv)
            for _ in range(15):     # each worker (gunicorn: 5) loads jieba's dictionary at its first search (1.3 s)
                assert api.get("/search", params={"q": "warm"}).status_code in (200, 422)
            yield api
            trace = tracebacks(srv)
            if trace:
                pytest.fail(f"{target}: the server logged a traceback:\n{trace}")
    except ServerUnavailable as exc:
        missing_service(f"the {target} server", exc)


def stopped(ask: Callable[[], requests.Response]) -> requests.Response:
    """The first of ten tries the server stopped. Every try answers (200 or that 422) with under 1 s of
    database time (its Server-Timing ``db``), and within 5 s of wall time on a loaded 2-core machine
    (at load 6 a gunicorn worker's answer alone took 2 s): never the 10 s read timeout's 503."""
    for _ in range(10):
        started = time.monotonic()
        resp = ask()
        assert time.monotonic() - started < 5, describe(resp)
        assert timings(resp)["db"] < 1000, describe(resp)
        if resp.status_code != 200:
            return resp
    pytest.fail("ten searches bounded to a microsecond all finished in time")


def test_a_search_past_search_timeout_is_a_422_asking_for_a_more_specific_word(bounded):
    body = problem(stopped(lambda: bounded.get("/search", params={"q": "the"})), 422)
    assert body["type"] == "/problems/search-too-broad" and body["title"] == "Search Too Broad"
    assert body["detail"] == TOO_BROAD
    assert body["errors"] == [{"field": "q", "message": TOO_BROAD}]
    zh = problem(stopped(lambda: bounded.get("/search", params={"q": "the"}, headers={"Accept-Language": "zh-CN"})),
                 422)
    assert zh["type"] == "/problems/search-too-broad" and zh["detail"] != TOO_BROAD and "更具体" in zh["detail"]
    page = stopped(lambda: bounded.get("/search", params={"q": "the"}, site=True))
    assert page.status_code == 422 and "text/html" in page.headers["Content-Type"]
    assert f'<span class="error" id="f-q-error">{TOO_BROAD}</span>' in page.text
    assert 'id="search-form"' in page.text and 'value="the"' in page.text
