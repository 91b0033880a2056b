"""``forum seed``: a small demo forum, or bulk data for load tests.

``--demo`` goes through the domain operations, exactly as a user of the API would, so the demo
obeys every rule (and running it twice changes nothing). Bulk seeding cannot afford that: a million
comments one operation at a time would take hours. It plans every row in Python first, so each
counter and hot score is known before its row is written, then sends multi-row INSERTs in batches,
one transaction per batch (the statements are in :mod:`shared.storage.seeding`). Markdown is
rendered once per template text and the password hashed once.
"""

from __future__ import annotations

import argparse
import random
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shared import clock, markdown
from shared.auth import hash_password
from shared.cli.reindex import reindex
from shared.config import Settings
from shared.ranking import hot_score
from shared.storage.drivers import BlockingDatabase, check_schema, open_sync
from shared.storage.runners import run_sync
from shared.storage.seeding import insert_rows, next_ids, user_exists

BATCH = 5000
SEED_PASSWORD = "seed-password"   # every bulk user's password, hashed once
CATEGORIES = ("python", "databases", "web", "devops", "async", "testing", "security", "career")
TOPICS = ("Tornado", "Flask", "MariaDB", "SQLite", "asyncio", "nginx", "uWSGI", "gunicorn", "pytest", "Redis")

POST_TEXTS = (
    "How do you size a connection pool for **{topic}**? We run 4 workers and see timeouts under load.",
    "Sharing our notes on `{topic}` in production:\n\n- keep timeouts short\n- measure before tuning",
    "Is keyset pagination worth it over OFFSET for {topic}? Our page 1000 takes *seconds*.",
    "A small benchmark of {topic}, with the code: <https://example.com/bench>",
    "What changed for you after upgrading {topic}? Ours:\n\n1. fewer 502s\n2. faster deploys",
)
COMMENT_TEXTS = (
    "Thanks, this helped.",
    "Did you measure it with `wrk` or locust?",
    "We saw the same thing. A shorter *read timeout* fixed it for us.",
    "Could you share the config?",
    "+1, keyset pagination made our deep pages as fast as page one.",
    "Careful: that setting is **per worker**, not per server.",
)


def seed_command(settings: Settings, args: argparse.Namespace) -> int:
    """``forum seed --demo`` and/or ``forum seed --users N --groups N --posts N --comments N [--questions N]``."""
    size = Bulk(users=args.users, groups=args.groups, posts=args.posts, comments=args.comments,
                questions=args.questions)
    if not args.demo and not size.any():
        print("forum seed: say --demo, or how many rows: --users N --groups N --posts N --comments N")
        return 2
    problem = size.problem()
    if problem:
        print(f"forum seed: {problem}")
        return 2
    db = open_sync(settings)
    try:
        check_schema(db)
        if args.demo:
            print(seed_demo(db))
        if size.any():
            started = time.monotonic()
            seed_bulk(db, size, show_progress=not args.no_progress)
            reindex(db, show_progress=not args.no_progress)      # bulk rows skip the operations' index hooks
            print(f"seeded {size} in {time.monotonic() - started:.1f} s")
    finally:
        db.close()
    return 0


@dataclass(frozen=True)
class Bulk:
    users: int = 0
    groups: int = 0
    posts: int = 0
    comments: int = 0
    questions: int = 0

    def any(self) -> bool:
        return any((self.users, self.groups, self.posts, self.comments, self.questions))

    def problem(self) -> str | None:
        """Children need parents made in the same run (their authors must be members)."""
        if min(self.users, self.groups, self.posts, self.comments, self.questions) < 0:
            return "counts cannot be negative"
        if (self.groups or self.questions) and not self.users:
            return "--groups and --questions need --users"
        if self.posts and not self.groups:
            return "--posts needs --groups"
        if self.comments and not self.posts:
            return "--comments needs --posts"
        return None

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, n):,} {n}" for n in self.__dataclass_fields__ if getattr(self, n))


class Writer:
    """Sends rows in batches of :data:`BATCH`, one transaction each, and moves the progress bar."""

    def __init__(self, db: BlockingDatabase, progress: Progress) -> None:
        self.db, self.progress = db, progress

    def write(self, label: str, table: str, total: int, rows: Iterable[tuple[Any, ...]]) -> None:
        task = self.progress.add_task(label, total=total)
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                self._flush(table, batch, task)
        self._flush(table, batch, task)

    def _flush(self, table: str, batch: list[tuple[Any, ...]], task: Any) -> None:
        if batch:
            run_sync(self.db, insert_rows(table, batch))
            self.progress.advance(task, len(batch))
            batch.clear()


def seed_bulk(db: BlockingDatabase, size: Bulk, show_progress: bool = True, seed: int = 1) -> None:
    """Write ``size`` rows of each kind with consistent counters and hot scores."""
    rng = random.Random(seed)
    first = run_sync(db, next_ids())
    now = clock.now()
    columns = (TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not show_progress) as progress:
        out = Writer(db, progress)
        user_ids = range(first["users"], first["users"] + size.users)
        out.write("users", "users", size.users, _users(user_ids, now))
        group_ids = range(first["forum_groups"], first["forum_groups"] + size.groups)
        members = _plan_memberships(rng, group_ids, user_ids)
        posts = _plan_posts(rng, size.posts, group_ids, members)
        comments = _plan_comments(rng, size.comments, posts, members)
        out.write("groups", "forum_groups", size.groups, _groups(group_ids, members, posts, now))
        out.write("memberships", "memberships", sum(map(len, members.values())), _memberships(members, now))
        out.write("posts", "posts", size.posts, _posts(first["posts"], posts, comments, now))
        out.write("comments", "comments", size.comments, _comments(first, posts, comments, now))
        out.write("questions", "questions", size.questions,
                  _questions(rng, first["questions"], size.questions, user_ids, now))


# --- planning: every row decided up front, so counters are known when their row is written --------

def _when(now: datetime, index: int, total: int, days: int = 365) -> datetime:
    """Spread ``total`` rows evenly over the last ``days`` days, oldest first (ids and times agree)."""
    return now - timedelta(days=days) + timedelta(seconds=index * days * 86400 // max(total, 1))


def _users(ids: range, now: datetime) -> Iterator[tuple[Any, ...]]:
    password_hash = hash_password(SEED_PASSWORD)
    for n, user_id in enumerate(ids):
        when = clock.db_time(_when(now, n, len(ids), days=400))
        yield user_id, f"user{user_id}", f"user{user_id}@example.com", password_hash, f"User {user_id}", when


def _plan_memberships(rng: random.Random, group_ids: range, user_ids: range) -> dict[int, list[int]]:
    """Each group's members, owner first; every user joins up to three groups."""
    members: dict[int, list[int]] = {g: [rng.choice(user_ids)] for g in group_ids}
    if not group_ids:
        return members
    for user_id in user_ids:
        for group_id in rng.sample(group_ids, min(3, len(group_ids))):
            if user_id != members[group_id][0]:
                members[group_id].append(user_id)
    return members


@dataclass
class PostPlan:
    group: array[int]     # group id per post (index = post number)
    author: array[int]


def _plan_posts(rng: random.Random, count: int, group_ids: range,
                members: dict[int, list[int]]) -> PostPlan:
    plan = PostPlan(array("q"), array("q"))
    for _ in range(count):
        group_id = rng.choice(group_ids)
        plan.group.append(group_id)
        plan.author.append(rng.choice(members[group_id]))
    return plan


@dataclass
class CommentPlan:
    post: array[int]      # post number per comment
    parent: array[int]    # comment number of the parent, -1 for a top-level comment
    author: array[int]
    per_post: array[int]  # comments (replies included) per post number
    replies: array[int]   # replies per comment number


def _plan_comments(rng: random.Random, count: int, posts: PostPlan,
                   members: dict[int, list[int]]) -> CommentPlan:
    """A third of comments reply to the post's latest top-level comment; a few posts get most of them."""
    n_posts = len(posts.group)
    plan = CommentPlan(array("q"), array("q"), array("q"), array("q", bytes(8 * n_posts)), array("q"))
    latest_top: dict[int, int] = {}
    for number in range(count):
        post = int(n_posts * rng.random() ** 2)       # skewed: some threads are long, most are short
        parent = latest_top.get(post, -1) if rng.random() < 0.33 else -1
        plan.post.append(post)
        plan.parent.append(parent)
        plan.author.append(rng.choice(members[posts.group[post]]))
        plan.replies.append(0)
        plan.per_post[post] += 1
        if parent < 0:
            latest_top[post] = number
        else:
            plan.replies[parent] += 1
    return plan


def _rendered(texts: Sequence[str]) -> list[tuple[str, str]]:
    """Markdown rendered once per template, never per row."""
    return [(text, markdown.render(text)) for text in texts]


def _groups(ids: range, members: dict[int, list[int]], posts: PostPlan, now: datetime) -> Iterator[tuple[Any, ...]]:
    post_counts = dict.fromkeys(ids, 0)
    for group_id in posts.group:
        post_counts[group_id] += 1
    when = clock.db_time(_when(now, 0, 1))
    for n, group_id in enumerate(ids):
        topic = TOPICS[n % len(TOPICS)]
        yield (group_id, f"{topic} circle {group_id}", CATEGORIES[n % len(CATEGORIES)],
               f"People who run {topic} in production.", "open", members[group_id][0],
               len(members[group_id]), post_counts[group_id], when)


def _memberships(members: dict[int, list[int]], now: datetime) -> Iterator[tuple[Any, ...]]:
    when = clock.db_time(_when(now, 0, 1))
    for group_id, user_ids in members.items():
        for n, user_id in enumerate(user_ids):
            yield group_id, user_id, "owner" if n == 0 else "member", when


def _post_time(now: datetime, number: int, total: int) -> datetime:
    return _when(now - timedelta(days=1), number, total)


def _posts(first_id: int, posts: PostPlan, comments: CommentPlan, now: datetime) -> Iterator[tuple[Any, ...]]:
    texts = [_rendered([t.format(topic=topic) for t in POST_TEXTS]) for topic in TOPICS]
    total = len(posts.group)
    for number in range(total):
        created = _post_time(now, number, total)
        topic = number % len(TOPICS)
        content, html = texts[topic][number % len(POST_TEXTS)]
        replies = comments.per_post[number]
        when = clock.db_time(created)
        yield (first_id + number, posts.group[number], posts.author[number],
               f"{TOPICS[topic]} question #{first_id + number}", content, html, replies,
               hot_score(0, replies, created), when, when)


def _comments(first: dict[str, int], posts: PostPlan, comments: CommentPlan,
              now: datetime) -> Iterator[tuple[Any, ...]]:
    texts = _rendered(COMMENT_TEXTS)
    total_posts = len(posts.group)
    post_times: dict[int, datetime] = {}
    for number, post in enumerate(comments.post):
        parent = comments.parent[number]
        if post not in post_times:
            post_times[post] = _post_time(now, post, total_posts)
        when = clock.db_time(post_times[post] + timedelta(minutes=1 + number % 600))
        content, html = texts[number % len(texts)]
        yield (first["comments"] + number, first["posts"] + post, comments.author[number],
               None if parent < 0 else first["comments"] + parent,
               None if parent < 0 else comments.author[parent],
               content, html, comments.replies[number], when)


def _questions(rng: random.Random, first_id: int, count: int, user_ids: range,
               now: datetime) -> Iterator[tuple[Any, ...]]:
    texts = _rendered([t.format(topic=topic) for t in POST_TEXTS for topic in TOPICS])
    for number in range(count):
        created = _when(now, number, count)
        content, html = texts[number % len(texts)]
        when = clock.db_time(created)
        yield (first_id + number, rng.choice(user_ids), f"How do I tune {TOPICS[number % len(TOPICS)]}? #{number}",
               content, html, CATEGORIES[number % len(CATEGORIES)], hot_score(0, 0, created), when, when)



# --- the demo: through the domain operations, as the API's users would --------------------------

DEMO_USERS = ("demo", "alice", "bob", "carol")
DEMO_GROUPS = (  # (owner, name, category, policy, description)
    ("demo", "Tornado users", "python", "open", "Coroutines, IOLoop, WebSockets, and serving them well."),
    ("alice", "Flask users", "python", "open", "Blueprints, app factories and WSGI servers."),
    ("bob", "Database tuning", "databases", "approval", "Indexes, pools and EXPLAIN. Ask to join."),
    ("carol", "Python 中文社区", "python", "open", "用中文讨论 Python、协程、高并发服务和数据库。"),
)
DEMO_THREADS = (  # (group, author, title, content, [(commenter, text, replying-to-previous?)])
    ("Tornado users", "demo", "Welcome to the forum",
     "This is the **demo** forum. Log in as `demo` / `demo-password` and look around.",
     [("alice", "Thanks! Is there a WebSocket demo?", False),
      ("demo", "Yes: keep this post open in a second tab and reply here; the new comment appears"
               " without a reload. Threads and notifications come over one WebSocket (Tornado's"
               " `WebSocketHandler`), or as Server-Sent Events from `/api/v1/events`.", True),
      ("bob", "Works nicely behind nginx too.", False)]),
    ("Tornado users", "alice", "Never block the event loop",
     "Run password hashing in an executor:\n\n```python\nawait loop.run_in_executor(None, hash, pw)\n```",
     [("carol", "Same for Pillow when resizing avatars.", False)]),
    ("Flask users", "alice", "gthread or gevent workers?",
     "We serve a Flask API with gunicorn. Which worker class holds up best under slow clients?",
     [("bob", "Put nginx in front with buffering on, then sync workers are fine.", False),
      ("alice", "Good point, I will measure both with `forum bench`.", True)]),
    ("Python 中文社区", "carol", "基于协程的高并发网络服务",
     "用 Tornado 的协程写高并发网络服务：一个进程就能同时处理上万个连接，关键是不要阻塞事件循环。",
     [("demo", "数据库也要用异步驱动，比如 aiomysql 和 aiosqlite。", False),
      ("alice", "密码哈希这种计算密集的工作要放到线程池里。", True)]),
    ("Python 中文社区", "demo", "Flask 部署经验分享",
     "我们用 gunicorn 加 nginx 部署 Flask 应用。打开缓冲以后，慢客户端不再占用工作进程。",
     [("bob", "uWSGI 也可以，记得把 buffer-size 调大。", False)]),
)
DEMO_REPORTED = ("Tornado users", "bob")   # the comment carol reports in the demo: bob's, in this group
DEMO_QUESTIONS = (  # (author, title, category, content, [(answerer, text)])
    ("carol", "Why keyset pagination instead of OFFSET?", "databases",
     "Our page 1000 is slow. Would a cursor help?",
     [("bob", "Yes: `WHERE id < last_id ORDER BY id DESC LIMIT 20` reads 20 rows at any depth."),
      ("demo", "And no row repeats when new ones arrive while you page.")]),
    ("bob", "How big should a connection pool be?", "databases",
     "4 worker processes, MariaDB with max_connections = 151.",
     [("alice", "Processes × pool size must stay well under max_connections; start small and measure.")]),
    ("alice", "如何给论坛做中文全文搜索？", "databases",
     "SQLite 的 FTS5 默认把连续的汉字当成一个词，搜索“协程”找不到“基于协程的高并发”。",
     [("carol", "先用结巴分词把文本切成词，用空格隔开，再交给 FTS5 或 InnoDB 建索引。")]),
)


def seed_demo(db: BlockingDatabase) -> str:
    """A few users (``demo`` / ``demo-password``), groups, posts, comments, questions, answers and
    guestbook entries. Nothing happens if the ``demo`` user exists already, so it can run at every start."""
    from shared.auth import Viewer
    from shared.storage import answers, comments, groups, guestbook, moderation, posts, questions, users

    if run_sync(db, user_exists("demo")):
        return "demo data is already there (user demo / demo-password)"
    people = {}
    for name in DEMO_USERS:
        body = {"username": name, "email": f"{name}@example.com", "password": f"{name}-password"}
        people[name] = Viewer(run_sync(db, users.register(Viewer(), body))["id"])
    group_ids = {}
    for owner, name, category, policy, description in DEMO_GROUPS:
        body = {"name": name, "category": category, "join_policy": policy, "description": description}
        group_ids[name] = run_sync(db, groups.create_group(people[owner], body))["id"]
    for name, viewer in people.items():
        for group, group_id in group_ids.items():
            owner = next(o for o, g, *_ in DEMO_GROUPS if g == group)
            if name != owner:
                run_sync(db, groups.apply(viewer, group_id, {"reason": "I would like to learn."}))
    reported = 0
    for group, author, title, content, thread in DEMO_THREADS:
        post = run_sync(db, posts.create_post(people[author], group_ids[group], {"title": title, "content": content}))
        previous: dict[str, Any] | None = None
        for commenter, text, replying in thread:
            reply = {"parent_id": previous["id"]} if replying and previous else {}
            previous = run_sync(db, comments.create_comment(people[commenter], post["id"], {"content": text, **reply}))
            if (group, commenter) == DEMO_REPORTED:
                reported = previous["id"]
        for liker in ("bob", "carol"):
            run_sync(db, posts.like_post(people[liker], post["id"]))
    for author, title, category, content, replies in DEMO_QUESTIONS:
        body = {"title": title, "category": category, "content": content}
        question = run_sync(db, questions.create_question(people[author], body))
        for answerer, text in replies:
            run_sync(db, answers.create_answer(people[answerer], question["id"], {"content": text}))
    for name, message in (("Ada", "Lovely little forum!"), ("Grace", "Found the bug. It was a moth.")):
        run_sync(db, guestbook.sign(Viewer(), {"name": name, "message": message}))
    # Moderation at once: demo is an admin, alice moderates Tornado users, and carol's report waits there.
    run_sync(db, moderation.change_role(None, people["demo"].require(), "admin"))
    run_sync(db, moderation.add_moderator(people["demo"], group_ids[DEMO_REPORTED[0]], people["alice"].require()))
    run_sync(db, moderation.create_report(people["carol"], {"target": {"type": "comment", "id": reported},
                                                            "reason": "off_topic", "note": "Not about Tornado."}))
    return (f"demo forum seeded: users {', '.join(DEMO_USERS)} (password: <name>-password; demo / demo-password);"
            " demo is an admin, alice moderates Tornado users, one report is open")
