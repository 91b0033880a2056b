"""The fan-out without a web server: the hub, Redis between hubs, and publishing only after commit."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from shared.auth import Viewer
from shared.config import Settings
from shared.notifier import FORWARD_BATCH, Hub, RedisPublisher, SocketPublisher, decode, encode
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Publish, Query
from shared.storage.notifications import mark_read, notify
from shared.storage.runners import Services, run_canned, run_sync


class Inbox:
    """A subscriber that remembers what it was told."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Publish] = asyncio.Queue()

    def notify(self, event: Publish) -> None:
        self.events.put_nowait(event)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.events.put_nowait(Publish(-1, code))


async def test_an_event_published_from_a_thread_reaches_the_subscriber_on_the_loop():
    """wsgi-container: Flask runs on executor threads, the sockets on the loop."""
    hub, inbox = Hub(Settings(database_url="sqlite:///x")), Inbox()
    await hub.start()
    hub.subscribe(7, inbox)
    thread = threading.Thread(target=hub.publish, args=(Publish(7, 42),))
    thread.start()
    thread.join()
    assert await asyncio.wait_for(inbox.events.get(), 5) == Publish(7, 42)
    other = Inbox()
    hub.subscribe(8, other)
    hub.publish(Publish(8, 1))   # another user: theirs, not ours
    hub.unsubscribe(7, inbox)
    hub.publish(Publish(7, 43))  # unsubscribed: not delivered
    hub.publish(Publish(8, 2))   # handed over after the two above, on the same loop: once it is delivered, so are they
    assert [await asyncio.wait_for(other.events.get(), 5) for _ in range(2)] == [Publish(8, 1), Publish(8, 2)]
    assert inbox.events.empty()
    await hub.close()


async def test_close_sockets_says_going_away():
    hub, inbox = Hub(Settings(database_url="sqlite:///x")), Inbox()
    hub.subscribe(7, inbox)
    assert hub.close_sockets() == 1
    assert inbox.events.get_nowait() == Publish(-1, 1001)


async def test_redis_carries_events_between_processes_of_one_forum_only(redis_url):
    """Hubs (and sync publishers) on the same database hear each other; another forum's do not.

    Redis hands a subscriber its messages in the order it took the PUBLISHes: once an event sent after
    the other forum's has arrived, the other forum's would have arrived before it, had it been heard."""
    same = Settings(database_url="sqlite:///one.sqlite3", redis_url=redis_url)
    other = Settings(database_url="sqlite:///two.sqlite3", redis_url=redis_url)
    listening, talking, stranger, inbox, strangers_inbox = Hub(same), Hub(same), Hub(other), Inbox(), Inbox()
    for hub in (listening, talking, stranger):
        await hub.start()
    listening.subscribe(7, inbox)
    stranger.subscribe(7, strangers_inbox)
    talking.publish(Publish(7, 1))
    assert await asyncio.wait_for(inbox.events.get(), 5) == Publish(7, 1)
    await asyncio.to_thread(RedisPublisher(same), Publish(7, None))   # what a gunicorn worker does
    assert await asyncio.wait_for(inbox.events.get(), 5) == Publish(7, None)
    await asyncio.to_thread(RedisPublisher(other), Publish(7, 2))     # the other forum, the same user id
    assert await asyncio.wait_for(strangers_inbox.events.get(), 5) == Publish(7, 2)
    talking.publish(Publish(7, 3))
    assert await asyncio.wait_for(inbox.events.get(), 5) == Publish(7, 3)   # not (7, 2)
    stranger.publish(Publish(7, 4))
    assert await asyncio.wait_for(strangers_inbox.events.get(), 5) == Publish(7, 4)   # not (7, 1), (7, None), (7, 3)
    for hub in (listening, talking, stranger):
        await hub.close()


@pytest.mark.parametrize("raw", [b"not json", b"{}", b'{"user_id": "7", "notification_id": 1}',
                                 b'{"user_id": 7, "notification_id": 1.5}'])
def test_a_malformed_message_is_ignored(raw):
    assert decode(raw) is None


def test_messages_round_trip():
    assert decode(encode(Publish(7, 42))) == Publish(7, 42)
    assert decode(encode(Publish(7))) == Publish(7)


def test_notify_and_mark_read_yield_their_publish():
    published: list[Publish] = []
    run_canned(notify(7, "like", 8, "post", 1, "hi"), [42], published)
    run_canned(mark_read(Viewer(7), {"all": True}), [3], published)
    run_canned(mark_read(Viewer(7), {"all": True}), [0], published)   # nothing changed: nothing to say
    assert published == [Publish(7, 42), Publish(7)]
    run_canned(notify(7, "like", 7, "post", 1, "my own"), [], published)   # nobody is told of their own acts
    assert published == [Publish(7, 42), Publish(7)]


def test_the_runner_publishes_only_what_was_committed(sqlite_url, settings_for):
    db = open_sync(settings_for(sqlite_url))
    published: list[Publish] = []

    def op(fail: bool) -> Op[None]:
        yield Query("SELECT 1", (), "value")
        yield Publish(7, 1)
        if fail:
            raise ValueError("rolled back")

    try:
        with pytest.raises(ValueError):
            run_sync(db, op(True), Services(publish=published.append))
        assert published == []
        run_sync(db, op(False), Services(publish=published.append))
        assert published == [Publish(7, 1)]
        run_sync(db, op(False))   # no publisher: dropped
    finally:
        db.close()


class Watching(Inbox):
    """A subscriber that also watches threads: remembers the texts it was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: asyncio.Queue[str] = asyncio.Queue()

    def forward(self, text: str) -> None:
        self.texts.put_nowait(text)


COMMENT = Publish(topic="post:12", message={"type": "comment", "post_id": 12, "comment": {"id": 1}})


async def test_a_thread_event_reaches_its_watchers_only_and_close_user_closes_that_users_sockets():
    hub, alice, bob = Hub(Settings(database_url="sqlite:///x")), Watching(), Watching()
    hub.watch("post:12", alice)
    hub.watch("post:13", bob)
    hub.subscribe(7, alice)
    hub.subscribe(8, bob)
    hub.publish(COMMENT)
    assert json.loads(alice.texts.get_nowait()) == COMMENT.message
    assert bob.texts.empty()
    hub.unwatch("post:12", alice)
    hub.publish(COMMENT)
    assert alice.texts.empty() and "post:12" not in hub.watchers
    assert hub.close_user(7) == 1
    assert alice.events.get_nowait() == Publish(-1, 1008) and bob.events.empty()
    hub.publish(Publish(8, close=True))   # what a ban or a logout everywhere publishes, from any process
    assert bob.events.get_nowait() == Publish(-1, 1008)


def test_thread_and_close_events_cross_processes_intact():
    assert decode(encode(COMMENT)) == COMMENT
    assert decode(encode(Publish(7, close=True))) == Publish(7, close=True)
    for bad in ('{"topic": "post:x", "message": {}}', '{"topic": "post:1", "message": []}',
                '{"topic": "users:1", "message": {}}', '{"user_id": true, "close": true}'):
        assert decode(bad) is None


async def test_without_redis_workers_hand_events_to_the_notifier_over_its_unix_socket(tmp_path):
    """gunicorn/uWSGI on one host: each worker writes lines to the notifier's socket, from its threads."""
    inbox_path = str(tmp_path / "events.sock")
    hub, watcher = Hub(Settings(database_url="sqlite:///x"), inbox=inbox_path), Watching()
    await hub.start()
    hub.watch("post:12", watcher)
    hub.subscribe(7, watcher)
    publish = SocketPublisher(inbox_path)
    await asyncio.to_thread(publish, COMMENT)
    await asyncio.to_thread(publish, Publish(7, 42))
    assert json.loads(await asyncio.wait_for(watcher.texts.get(), 5)) == COMMENT.message
    assert await asyncio.wait_for(watcher.events.get(), 5) == Publish(7, 42)
    await hub.close()
    await asyncio.to_thread(publish, Publish(7, 43))   # the notifier is gone: logged, never raised


async def test_a_thread_with_many_watchers_is_written_in_batches_and_in_order():
    """Ten thousand watchers are handed a message a batch at a time (the loop serves others in
    between); every watcher gets every message, in the order they were published."""
    hub = Hub(Settings(database_url="sqlite:///x"))
    watchers = [Watching() for _ in range(3 * FORWARD_BATCH + 1)]
    for watcher in watchers:
        hub.watch("post:12", watcher)
    first = Publish(topic="post:12", message={"type": "comment", "post_id": 12, "comment": {"id": 1}})
    second = Publish(topic="post:12", message={"type": "comment", "post_id": 12, "comment": {"id": 2}})
    hub.publish(first)
    hub.publish(second)
    assert sorted(w.texts.qsize() for w in watchers) == [0] * (len(watchers) - FORWARD_BATCH) + [2] * FORWARD_BATCH
    for _turn in range(4):
        await asyncio.sleep(0)
    for watcher in watchers:
        assert [json.loads(watcher.texts.get_nowait())["comment"]["id"] for _ in range(2)] == [1, 2]
