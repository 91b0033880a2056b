"""The outbox (RELIABILITY 47) against a real SMTP server: both runners × both databases.

No message for a rolled-back transaction; none lost while the server is down or refusing; none sent
twice, but for at most one duplicate (same Message-ID) after a crash between send and mark; two
senders at once deliver each message once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from shared import clock
from shared.auth import ANONYMOUS, Viewer
from shared.mail import Mailer, deliver_sync, one_pass
from shared.storage import outbox, posts, users, verification
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Query, Send, Transaction
from shared.storage.runners import run_sync
from tests.storage.test_ops_content import add_group
from tests.support.mail import Sink, smtp_sink, token_in


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def mail_settings(db_url: str, settings_for: Any, sink: Sink, tmp_path: Any) -> Any:
    return settings_for(db_url, smtp_url=sink.url, base_url="http://forum.test", mail_retry_max=0.0,
                        mail_dir=str(tmp_path / "mail"))


def queue(n: int, prefix: str = "m") -> Op[None]:
    for i in range(n):
        yield Send("verify", {"username": f"{prefix}{i}", "token": f"t{i}"}, 1, to=f"{prefix}{i}@example.org")


async def deliver_all(run: Any, mailer: Mailer, holder: str = "test", passes: int = 20) -> int:
    sent = 0
    for _ in range(passes):
        done = await run(one_pass(mailer, holder, 0.0))
        mailer.close()
        sent += done
        if not done:
            break
    return sent


async def test_a_registration_sends_its_link_once_and_the_row_forgets_it(run: Any, mail_settings: Any,
                                                                         sink: Sink) -> None:
    await run(users.register(ANONYMOUS, {"username": "mia", "email": "mia@example.org",
                                         "password": "a long password"}))
    mailer = Mailer(mail_settings)
    assert await deliver_all(run, mailer) == 1
    message = sink.wait_for("mia@example.org", "Confirm your e-mail address")
    assert token_in(message, "http://forum.test/verify-email")
    assert message.get_body(("html",)) is not None and message["Message-ID"].endswith("@forum.test>")
    assert await deliver_all(run, mailer) == 0 and len(sink.received()) == 1
    row = await run(_rows())
    assert row[0]["sent_at"] is not None and row[0]["params"] is None   # the link is not kept once sent


def _rows() -> Op[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = yield Query("SELECT * FROM outbox ORDER BY id")
    return rows


async def test_a_rolled_back_operation_sends_nothing(run: Any, mail_settings: Any, sink: Sink) -> None:
    def fails_after_sending() -> Op[None]:
        yield from queue(1)
        yield Query("INSERT INTO no_such_table VALUES (1)", (), "rowcount")

    with pytest.raises(Exception):  # noqa: B017 - whatever the driver calls it
        await run(fails_after_sending())
    assert await run(_rows()) == []
    assert await deliver_all(run, Mailer(mail_settings)) == 0 and sink.received() == []


@pytest.mark.parametrize("trouble", ["down", "refusing"])
async def test_nothing_is_lost_or_doubled_while_the_server_is_away(run: Any, mail_settings: Any, sink: Sink,
                                                                    trouble: str) -> None:
    await run(queue(3))
    if trouble == "down":
        sink.down()
    else:
        sink.refusing = True
    mailer = Mailer(mail_settings)
    for _ in range(4):   # several passes, each stopped by the first refusal
        assert await run(one_pass(mailer, "test", 0.0)) == 0
        mailer.close()
    rows = await run(_rows())
    assert all(r["sent_at"] is None for r in rows) and rows[0]["attempts"] >= 1 and rows[0]["last_error"]
    if trouble == "down":
        sink.up()
    else:
        sink.refusing = False
    assert await deliver_all(run, mailer) == 3
    assert Counter(m["To"] for m in sink.received()) == {f"m{i}@example.org": 1 for i in range(3)}


async def test_a_recipient_refused_for_good_is_marked_failed_not_retried(run: Any, mail_settings: Any,
                                                                          sink: Sink) -> None:
    async def refuse(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "550 5.1.1 no such mailbox"

    sink.handle_RCPT = refuse  # type: ignore[method-assign]
    await run(queue(1))
    assert await deliver_all(run, Mailer(mail_settings)) == 0
    row = (await run(_rows()))[0]
    assert row["failed_at"] is not None and row["sent_at"] is None and "550" in row["last_error"]


class Crash(Exception):
    pass


class CrashAfterSending(Mailer):
    """A sender that dies right after the server took a message, before it could mark it sent."""

    def send(self, row: Any) -> Any:
        assert super().send(row) is None
        raise Crash("between send and mark")


async def test_a_crash_between_send_and_mark_sends_at_most_one_duplicate(run: Any, mail_settings: Any,
                                                                          sink: Sink) -> None:
    await run(queue(3))
    with pytest.raises(Crash):
        await run(one_pass(CrashAfterSending(mail_settings), "crashed", 0.0))
    assert len(sink.received()) == 1
    mailer = Mailer(mail_settings)
    assert await run(one_pass(mailer, "next", 0.0)) == 0       # the dead sender's lease still runs
    await run(_expire_lease())
    assert await deliver_all(run, mailer, "next") == 3
    ids = Counter(m["Message-ID"] for m in sink.received())
    assert len(ids) == 3 and sorted(ids.values()) == [1, 1, 2]   # one duplicate, with the same Message-ID


def _expire_lease() -> Op[None]:
    yield Query("UPDATE outbox_lease SET expires_at = %s WHERE name = %s", ("2000-01-01 00:00:00", outbox.LEASE), "rowcount")


def test_two_senders_at_once_send_each_message_once(db_url: str, mail_settings: Any, sink: Sink) -> None:
    pools = [open_sync(mail_settings) for _ in range(2)]
    try:
        run_sync(pools[0], queue(40))
        barrier = threading.Barrier(2)

        def sender(pool: Any) -> None:
            mailer = Mailer(mail_settings)
            holder = f"sender-{id(pool)}"
            barrier.wait()
            for _ in range(60):
                deliver_sync(pool, mailer, holder, mail_settings)
                if not run_sync(pool, outbox.sent_count())["waiting"]:
                    return

        threads = [threading.Thread(target=sender, args=(pool,)) for pool in pools]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        ids = Counter(m["Message-ID"] for m in sink.received())
        assert len(ids) == 40 and set(ids.values()) == {1}
    finally:
        for pool in pools:
            pool.close()


async def test_without_an_smtp_url_each_message_is_an_eml_file(run: Any, db_url: str, settings_for: Any,
                                                                tmp_path: Any) -> None:
    settings = settings_for(db_url, mail_dir=str(tmp_path / "mail"))
    await run(queue(2))
    assert await deliver_all(run, Mailer(settings)) == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2 and b"Confirm your e-mail address" in files[0].read_bytes()


def _make_daily_reader() -> Op[tuple[int, int]]:
    """A verified user on daily digests whose day began yesterday, with two notifications since about a
    post of theirs (a real one: a notification whose post is gone is left out of the digest)."""
    user_id: int = yield Query("INSERT INTO users (username, email, password_hash, token_version, nickname, bio,"
                               " created_at, email_verified, email_notifications, digest_through)"
                               " VALUES ('dee', 'dee@example.org', 'x', 0, '', '', %s, 1, 'daily', %s)",
                               ("2026-01-01 00:00:00", "2026-01-01 00:00:00"), "lastrowid")
    group_id = yield from add_group(Viewer(user_id))
    yield Transaction()                                             # the post renders its Markdown first
    post = yield from posts.create_post(Viewer(user_id), group_id, {"title": "t", "content": "c"})
    for kind in ("comment", "answer"):
        yield Query("INSERT INTO notifications (user_id, kind, actor_id, target_type, target_id, excerpt, is_read,"
                    " created_at) VALUES (%s, %s, NULL, 'post', %s, %s, 0, %s)",
                    (user_id, kind, post["id"], f"about {kind}", "2026-01-01 12:00:00"), "rowcount")
    return user_id, post["id"]


async def test_a_daily_reader_gets_one_digest_a_day_with_an_unsubscribe_link(run: Any, mail_settings: Any,
                                                                              sink: Sink) -> None:
    _, post_id = await run(_make_daily_reader())
    mailer = Mailer(mail_settings)
    assert await deliver_all(run, mailer) == 1
    assert await deliver_all(run, mailer) == 0                      # the next one is a day away
    digest = sink.wait_for("dee@example.org", "Your day on the forum: 2 new notifications")
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "about comment" in text and "about answer" in text and f"http://forum.test/posts/{post_id}" in text
    assert digest["List-Unsubscribe"].startswith("<http://forum.test/api/v1/email/unsubscribe?token=")


def _token_rows() -> Op[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = yield Query("SELECT token_hash, purpose, expires_at, created_at FROM email_tokens")
    return rows


async def test_a_reset_token_is_stored_only_as_its_hash_and_gone_from_the_outbox_once_sent(
        run: Any, mail_settings: Any, sink: Sink) -> None:
    await run(users.register(ANONYMOUS, {"username": "rae", "email": "rae@example.org", "password": "a long password"}))
    assert await run(verification.request_password_reset(ANONYMOUS, {"email": "rae@example.org"})) == {
        "status": "accepted"}
    assert await run(verification.request_password_reset(ANONYMOUS, {"email": "nobody@example.org"})) == {
        "status": "accepted"}
    await deliver_all(run, Mailer(mail_settings))
    token = token_in(sink.wait_for("rae@example.org", "Reset your password"), "/reset-password")
    rows = [r for r in await run(_token_rows()) if r["purpose"] == "reset"]
    assert [r["token_hash"] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert clock.parse(rows[0]["expires_at"]) - clock.parse(rows[0]["created_at"]) == timedelta(hours=1)
    dump = repr(await run(_rows())) + repr(await run(_token_rows()))
    assert token not in dump                                    # nowhere in clear once the e-mail is out
    assert [m["To"] for m in sink.received()] == ["rae@example.org", "rae@example.org"]   # verify + reset


async def test_a_message_that_cannot_be_rendered_fails_alone(run: Any, mail_settings: Any, sink: Sink) -> None:
    def broken_then_fine() -> Op[None]:
        yield Send("no-such-template", {}, 1, to="broken@example.org")
        yield from queue(1)

    await run(broken_then_fine())
    assert await deliver_all(run, Mailer(mail_settings)) == 1
    rows = await run(_rows())
    assert rows[0]["failed_at"] is not None and "cannot render" in rows[0]["last_error"]
    assert [m["To"] for m in sink.received()] == ["m0@example.org"]
