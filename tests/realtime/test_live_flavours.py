"""Live threads from every flavour, with and without nginx, with and without Redis (API.md §11).

A comment made through one flavour's workers reaches a socket watching the post, wherever that
flavour keeps its sockets: the Tornado process itself, the wsgi-container's Tornado front, or the
notifier the gunicorn and uWSGI launchers start beside their workers (fed by Redis, or without it by
the workers' lines on its Unix socket). Without nginx the pages of gunicorn and uWSGI are told the
notifier's port, and the notifier lets exactly that site's pages in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
import websocket

from tests.contract.client import Api, Forum, next_of, watching
from tests.support.servers import Server, ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service

# (flavour, extra arguments, with Redis)
SETUPS = [
    ("tornado", (), False),
    ("wsgi-container", (), False),
    ("gunicorn", ("--workers", "2"), False),
    ("uwsgi", ("--processes", "2"), False),
    ("gunicorn", ("--workers", "2", "--worker-class", "gthread", "--threads", "2"), True),
    ("tornado", ("--nginx",), False),
    ("wsgi-container", ("--nginx",), False),
    ("gunicorn", ("--nginx", "--workers", "2"), False),
    ("uwsgi", ("--nginx", "--processes", "2"), False),
]


def own_database(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    return parts._replace(path="/9").geturl()


def label(setup: tuple[str, tuple[str, ...], bool]) -> str:
    flavour, args, redis = setup
    return "-".join([flavour, *(["nginx"] if "--nginx" in args else []), "redis" if redis else "no-redis"])


@contextlib.contextmanager
def serving(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The setup ``request.param`` names, on a fresh SQLite database (for module fixtures here and in
    test_events.py)."""
    flavour, args, redis = request.param
    # A Redis database of its own: rate-limit keys name user ids, not the forum, so other test forums
    # on the shared Redis could otherwise have locked this one's user 6 (see the report on #18).
    env = {"FORUM_REDIS_URL": own_database(request.getfixturevalue("redis_url"))} if redis else {}
    try:
        with fresh_database("sqlite") as url, running_server(flavour, url, extra_env=env, extra_args=args) as server:
            yield server
    except ServerUnavailable as exc:
        missing_service(f"forum serve {flavour} {' '.join(args)}", exc)


@pytest.fixture(scope="module", params=SETUPS, ids=label)
def served(request: pytest.FixtureRequest) -> Iterator[Server]:
    with serving(request) as server:
        yield server


def test_a_comment_and_an_answer_reach_the_sockets_watching_them(served: Server) -> None:
    api = Api(served)
    forum = Forum(api)
    alice, bob = forum.user(), forum.user()
    post = forum.post(forum.group(alice, join_policy="open"), alice)
    question = forum.question(alice)
    on_post, on_question = watching(api, bob, post_id=post["id"]), watching(api, bob, question_id=question["id"])
    try:
        for _ in range(3):   # several, so that more than one worker is likely to have made one
            comment = forum.comment(post, alice)
            assert next_of(on_post, "comment") == {"type": "comment", "post_id": post["id"], "comment": comment}
            answer = forum.answer(question, alice)
            assert next_of(on_question, "answer") == {"type": "answer", "question_id": question["id"],
                                                     "answer": answer}
    finally:
        on_post.close()
        on_question.close()


def test_the_pages_know_where_their_socket_is_and_it_lets_them_in(served: Server) -> None:
    """Without nginx, gunicorn's and uWSGI's pages connect to the notifier's port: their policy allows
    it and the notifier accepts their Origin (and no other). Everywhere else: the page's own origin."""
    site, sockets = urlsplit(served.base_url), urlsplit(served.notifications_url)
    policy = requests.get(served.base_url + "/", timeout=10).headers["Content-Security-Policy"]
    token = Forum(Api(served)).user()["token"]
    url = f"{served.notifications_url}?token={token}"
    if sockets.port == site.port:
        assert "connect-src" not in policy
        return
    assert f"connect-src 'self' ws://*:{sockets.port} wss://*:{sockets.port}" in policy
    websocket.create_connection(url, timeout=10, origin=f"http://127.0.0.1:{site.port}").close()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=10, origin="http://127.0.0.1:1")
    assert refused.value.status_code == 403
