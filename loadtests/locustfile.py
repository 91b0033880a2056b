"""Forum users for locust: readers, writers, I/O-bound link previews, and hello-world requests.

Plain use:  locust -f loadtests/locustfile.py --host http://127.0.0.1:8888
``forum bench`` runs it headless, one user class at a time. Settings come from the environment so a
plain locust run and the bench read the same ones:

FORUM_BENCH_WEIGHTS   mix for a plain run, e.g. ``reader=6,writer=1,io=2,hello=1`` (the default; ``search=N`` adds searchers)
FORUM_BENCH_THINK     seconds a reader pauses between pages: ``0.5-2`` (default), or ``0`` for none
FORUM_BENCH_WRITER_THINK  seconds between a writer's actions: ``1-3`` (default) keeps one writer under
                      the forum's posting limit (30 a minute per user); more writers than accounts hit it
FORUM_BENCH_ACCOUNTS  JSON file ``[{"username", "password", "token"}]`` made by the bench; without it
                      each writer or I/O user registers an account and logs in on start
FORUM_BENCH_UPSTREAM  base URL of the slow page the I/O users preview (``python -m loadtests.upstream``);
                      the server must allow it through FORUM_LINK_PREVIEW_ALLOW
FORUM_BENCH_HELLO_PATH  what hello users fetch (default ``/healthz``)
FORUM_BENCH_NO_LOGIN  ``1``: I/O users send no token (the bare hello-world servers take none)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import urllib.parse
from collections.abc import Iterator
from typing import Any

from locust import FastHttpUser, between, constant, task

from loadtests.searchwords import KINDS, SEARCHES

API = "/api/v1"


def _weights(raw: str) -> dict[str, int]:
    pairs = (item.split("=", 1) for item in raw.split(",") if item.strip())
    return {name.strip(): int(value) for name, value in pairs}


def _think(variable: str, default: str) -> Any:
    low, _, high = os.environ.get(variable, default).partition("-")
    return between(float(low), float(high)) if high else constant(float(low))


def _accounts() -> Iterator[dict[str, str]] | None:
    """Round-robin over the bench's accounts: each user has its own while there are enough."""
    path = os.environ.get("FORUM_BENCH_ACCOUNTS")
    if not path:
        return None
    with open(path) as f:
        return itertools.cycle(json.load(f))


WEIGHTS = _weights(os.environ.get("FORUM_BENCH_WEIGHTS", "reader=6,writer=1,io=2,hello=1"))
ACCOUNTS = _accounts()


class ForumUser(FastHttpUser):
    """What every forum user shares: its own client address, JSON helpers, and a way to get a token."""

    abstract = True
    connection_timeout = 5.0
    network_timeout = 15.0          # a hung request becomes a failure inside the step, not after it

    def on_start(self) -> None:
        # Each simulated user is a distinct client. The app honours X-Forwarded-For only from its
        # trusted proxies (the bench sets loopback), so this spreads per-address rate limits as real clients would;
        # behind nginx the header is replaced by nginx and every user shares one address.
        self.headers = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}

    def get_json(self, path: str, name: str) -> Any:
        with self.client.get(API + path, name=name, headers=self.headers, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            return response.json()

    def items(self, path: str, name: str) -> list[dict[str, Any]]:
        page = self.get_json(path, name)
        return page["items"] if page else []

    def send(self, method: str, path: str, name: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> Any:
        with self.client.request(method, API + path, name=name, headers=self.headers, json=body,
                                 catch_response=True) as response:
            if response.status_code not in ok:
                response.failure(f"HTTP {response.status_code}")
                return None
            response.success()
            return response.json() if response.status_code in (200, 201) else {}

    def log_in(self) -> None:
        """Use the bench's token, or log in (registering first when no accounts file is given)."""
        account = next(ACCOUNTS) if ACCOUNTS else None
        if account and account.get("token"):
            token = account["token"]
        else:
            if account is None:
                name = "lt_" + secrets.token_hex(6)
                account = {"username": name, "password": secrets.token_urlsafe(12)}
                self.send("POST", "/auth/register", "/auth/register",
                          {"username": name, "email": f"{name}@example.com", "password": account["password"]})
            answer = self.send("POST", "/auth/login", "/auth/login",
                               {"login": account["username"], "password": account["password"]})
            token = answer["access_token"] if answer else ""
        if token:                   # else carry on anonymously: the failed login is in the stats already
            self.headers["Authorization"] = f"Bearer {token}"


class ReaderUser(ForumUser):
    """Anonymous reading, the bulk of a forum's traffic: a group, a post and its comments, a question."""

    weight = WEIGHTS.get("reader", 0)
    wait_time = _think("FORUM_BENCH_THINK", "0.5-2")

    @task
    def visit(self) -> None:
        groups = self.items("/groups?limit=20", "/groups")
        if groups:
            group_id = random.choice(groups)["id"]
            posts = self.items(f"/groups/{group_id}/posts?limit=20", "/groups/{id}/posts")
            self.wait()
            if posts:
                post_id = random.choice(posts)["id"]
                self.get_json(f"/posts/{post_id}", "/posts/{id}")
                self.get_json(f"/posts/{post_id}/comments?limit=20", "/posts/{id}/comments")
                self.wait()
        questions = self.items("/questions?limit=20", "/questions")
        if questions:
            self.wait()
            question_id = random.choice(questions)["id"]
            self.get_json(f"/questions/{question_id}", "/questions/{id}")
            self.get_json(f"/questions/{question_id}/answers?limit=20", "/questions/{id}/answers")


class WriterUser(ForumUser):
    """A member who logs in once, joins an open group, then comments, replies, likes and posts."""

    weight = WEIGHTS.get("writer", 0)
    wait_time = _think("FORUM_BENCH_WRITER_THINK", "1-3")

    def on_start(self) -> None:
        super().on_start()
        self.log_in()
        self.group_id = self.join_a_group()
        self.post_ids: list[int] = []

    def join_a_group(self) -> int | None:
        """An open group joins at once (409 when already a member); with none, make one."""
        open_groups = [g for g in self.items("/groups?limit=50", "/groups") if g["join_policy"] == "open"]
        if open_groups:
            group_id = int(random.choice(open_groups)["id"])
            self.send("POST", f"/groups/{group_id}/applications", "/groups/{id}/applications",
                      {"reason": "load test"}, ok=(201, 409))
            return group_id
        group = self.send("POST", "/groups", "/groups [create]",
                          {"name": "bench " + secrets.token_hex(4), "category": "bench",
                           "description": "made by the load test", "join_policy": "open"})
        return int(group["id"]) if group else None

    def a_post(self) -> int | None:
        if not self.post_ids and self.group_id:
            posts = self.items(f"/groups/{self.group_id}/posts?limit=20", "/groups/{id}/posts")
            self.post_ids = [int(p["id"]) for p in posts if not p.get("locked")]
        return random.choice(self.post_ids) if self.post_ids else None

    @task(3)
    def comment(self) -> None:
        post_id = self.a_post()
        if post_id:
            self.send("POST", f"/posts/{post_id}/comments", "/posts/{id}/comments [create]",
                      {"content": f"A comment from the load test, {secrets.token_hex(4)}."})

    @task(2)
    def reply(self) -> None:
        post_id = self.a_post()
        if post_id:
            comments = self.items(f"/posts/{post_id}/comments?limit=20", "/posts/{id}/comments")
            if comments:
                parent = random.choice(comments)
                self.send("POST", f"/posts/{post_id}/comments", "/posts/{id}/comments [reply]",
                          {"content": "Agreed, and a reply from the load test.", "parent_id": parent["id"],
                           "reply_to_user_id": parent["author"]["id"]})

    @task(3)
    def like(self) -> None:
        post_id = self.a_post()
        if post_id:
            self.send("PUT", f"/posts/{post_id}/like", "/posts/{id}/like")

    @task(1)
    def post(self) -> None:
        if self.group_id:
            post = self.send("POST", f"/groups/{self.group_id}/posts", "/groups/{id}/posts [create]",
                             {"title": "A post from the load test",
                              "content": "Some *Markdown* with a [link](https://example.org/)."})
            if post:
                self.post_ids.append(int(post["id"]))


# What searchers type: words of the bulk data (forum seed), prefixes of them, two-word queries, and
# words it does not have (Chinese among them), which must answer an empty list as fast.


class SearchUser(ForumUser):
    """Anonymous search, with the reader's think time: a query, sometimes its second page or one kind."""

    weight = WEIGHTS.get("search", 0)
    wait_time = _think("FORUM_BENCH_THINK", "0.5-2")

    @task
    def search(self) -> None:
        query = {"q": random.choice(SEARCHES)}
        if random.random() < 0.2:
            query["type"] = random.choice(KINDS)
        page = self.get_json("/search?" + urllib.parse.urlencode(query), "/search")
        if page and page["next_cursor"] and random.random() < 0.3:
            self.get_json("/search?" + urllib.parse.urlencode({**query, "cursor": page["next_cursor"]}), "/search")


class IOUser(ForumUser):
    """Link previews of a page that answers after a delay: the server mostly waits on the network."""

    weight = WEIGHTS.get("io", 0)
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        if os.environ.get("FORUM_BENCH_NO_LOGIN") != "1":
            self.log_in()
        self.upstream = os.environ.get("FORUM_BENCH_UPSTREAM", "http://127.0.0.1:8900").rstrip("/")

    @task
    def preview(self) -> None:
        # Many distinct pages, so a cache in the server would not turn this into a CPU benchmark.
        url = urllib.parse.quote(f"{self.upstream}/page/{random.randrange(100000)}", safe="")
        self.get_json(f"/link-preview?url={url}", "/link-preview")


class HelloUser(FastHttpUser):
    """The cheapest request a server can answer: what the framework and server cost on their own."""

    weight = WEIGHTS.get("hello", 0)
    wait_time = constant(0)
    path = os.environ.get("FORUM_BENCH_HELLO_PATH", "/healthz")

    @task
    def hello(self) -> None:
        self.client.get(self.path, name="/healthz")
