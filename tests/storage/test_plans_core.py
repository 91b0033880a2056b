"""Plans of the domain core, with canned rows and no database: the rules, and which queries they take.

Covers markdown, ranking, shapes, passwords and tokens, uploads, notifications, users, groups and
the guestbook. The same operations run on real databases in ``test_ops_core.py``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from PIL import Image

from shared import auth, clock, keys
from shared.auth import ANONYMOUS, Viewer
from shared.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from shared.keys import Keys
from shared.markdown import mentions, render
from shared.pagination import encode_cursor
from shared.ranking import hot_score
from shared.revocation import Standing, Standings
from shared.shapes import user_columns, user_summary
from shared.storage import groups, guestbook, notifications, sessions, users
from shared.storage.effects import Count, Hit, Reset
from shared.storage.runners import run_canned
from shared.uploads import process_image

KEY = b"k" * 32
NOW = "2026-11-24 09:51:25"


@pytest.fixture(autouse=True)
def _tokens() -> Iterator[None]:
    with keys.using(Keys.from_secret(KEY, 3600)):
        yield


def field_names(exc: Invalid) -> set[str]:
    return {e.field for e in exc.errors}


def png(size: tuple[int, int] = (8, 8), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


# -- markdown ---------------------------------------------------------------------------------------

class _Tags(HTMLParser):
    """Every tag and attribute a browser would see in an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen += [(tag, name, value or "") for name, value in attrs] or [(tag, "", "")]


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    '![x](x" onerror="alert(1))',
    "<a href='javascript:alert(1)'>x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
])
def test_render_leaves_no_script(source: str) -> None:
    for tag, name, value in _Tags(render(source)).seen:
        assert tag != "script" and not name.startswith("on"), (tag, name)
        assert not value.strip().lower().startswith(("javascript:", "data:")), value


def test_render_keeps_markdown_and_marks_links() -> None:
    html = render("**bold** and [a link](https://example.org)")
    assert "<strong>bold</strong>" in html
    assert 'rel="nofollow noopener"' in html and 'href="https://example.org"' in html


def test_mentions_rules() -> None:
    text = "hi @alice and @Bob_2, @ALICE again; mail me at x@carol.org; `@incode` @ab\n\n    @block\n"
    assert mentions(text) == ["alice", "Bob_2"]


def test_mentions_skip_urls_and_take_punctuation() -> None:
    assert mentions("https://example.org/@bob (@dan), @hal,@ivy **@joe**") == ["dan", "hal", "ivy", "joe"]


def test_bare_urls_become_links() -> None:
    assert '<a href="https://example.org/x" rel="nofollow noopener">' in render("see https://example.org/x")


def test_mentions_are_at_most_ten() -> None:
    assert len(mentions(" ".join(f"@user{i}" for i in range(30)))) == 10


# -- ranking and shapes -----------------------------------------------------------------------------

def test_hot_score_orders_by_engagement_and_age() -> None:
    day = datetime(2026, 11, 24)
    assert hot_score(10, 0, day) > hot_score(1, 0, day)
    assert hot_score(0, 5, day) == hot_score(10, 0, day)          # a comment weighs two likes
    assert hot_score(0, 0, day + timedelta(days=1)) > hot_score(50, 0, day)
    assert hot_score(0, 0, day) == hot_score(1, 0, day)           # no engagement counts as one


def test_user_columns_and_summary() -> None:
    # An erased account (deleted_at set) reads as no user: its id comes back NULL.
    assert user_columns("u", "author_").startswith(
        "CASE WHEN u.deleted_at IS NULL THEN u.id END AS author_id, u.username AS author_username")
    with pytest.raises(ValueError):
        user_columns("u; DROP TABLE users", "x")
    row = {"a_id": 3, "a_username": "ann", "a_nickname": "", "a_avatar_url": None}
    assert user_summary(row, "a_") == {"id": 3, "username": "ann", "nickname": "", "avatar_url": None}
    assert user_summary({**row, "a_id": None}, "a_") is None


# -- passwords and tokens ---------------------------------------------------------------------------

def test_password_hash_is_argon2id_at_owasp_minimum() -> None:
    stored = auth.hash_password("pässwörd long")
    assert stored.startswith("$argon2id$") and "m=19456,t=2,p=1" in stored
    assert auth.verify_password(stored, "pässwörd long") == (True, False)
    assert auth.verify_password(stored, "wrong") == (False, False)
    assert auth.verify_password("not a hash", "x") == (False, False)


def test_weaker_hash_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("secret words")
    assert auth.verify_password(weak, "secret words") == (True, True)


def test_common_passwords() -> None:
    assert auth.is_common_password("Password1") and auth.is_common_password("iloveyou")
    assert not auth.is_common_password("demo-password")


def test_token_round_trip() -> None:
    token, expires_in = auth.issue_token(42, 3)
    assert expires_in == 3600 and auth.decode_token(token) == (42, 3)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "42", "iat": now, "exp": now + 60, "ver": 0, **over}


@pytest.mark.parametrize("token", [
    jwt.encode(_claims(), KEY * 2, algorithm="HS512"),
    jwt.encode(_claims(), b"another key of thirty-two bytes!", algorithm="HS256"),
    jwt.encode(_claims(exp=int(time.time()) - 120), KEY, algorithm="HS256"),
    jwt.encode(_claims(iat=int(time.time()) + 600), KEY, algorithm="HS256"),
    jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, KEY, algorithm="HS256"),
    jwt.encode({k: v for k, v in _claims().items() if k != "sub"}, KEY, algorithm="HS256"),
    jwt.encode(_claims(sub="0"), KEY, algorithm="HS256"),
    jwt.encode(_claims(sub=str(2**64)), KEY, algorithm="HS256"),
    jwt.encode(_claims(ver="1"), KEY, algorithm="HS256"),
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MiJ9.",
    "not a token",
])
def test_bad_tokens_are_401(token: str) -> None:
    with pytest.raises(Unauthorized):
        auth.decode_token(token)


def test_leeway_is_thirty_seconds_at_most() -> None:
    slightly_expired = jwt.encode(_claims(exp=int(time.time()) - 10), KEY, algorithm="HS256")
    assert auth.decode_token(slightly_expired) == (42, 0)


def test_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        Keys.from_secret(b"short", 60)


def _standing(version: int, banned: bool = False, until: str | None = None) -> dict[str, Any]:
    return {"token_version": version, "banned": 42 if banned else None, "banned_until": until}


def test_authenticate_checks_the_token_version_and_site_bans() -> None:
    token, _ = auth.issue_token(42, 1)
    viewer, queries = run_canned(sessions.authenticate(token), [_standing(1)])
    assert viewer == Viewer(42) and queries[0].params[0] == 0 and queries[0].params[-1] == 42   # site bans: group 0
    assert "LEFT JOIN bans b" in queries[0].sql
    later = clock.db_time(clock.now() + timedelta(hours=1))
    for refused in (_standing(2), None, _standing(1, banned=True), _standing(1, banned=True, until=later)):
        with pytest.raises(Unauthorized):     # the password changed since, the user is gone, banned (for a while)
            run_canned(sessions.authenticate(token), [refused])


def _trusted() -> Standings:
    standings = Standings()
    standings.trust()
    return standings


def test_authenticate_asks_the_database_once_while_revocations_reach_the_process() -> None:
    token, _ = auth.issue_token(42, 1)
    standings = _trusted()
    assert run_canned(sessions.authenticate(token, standings), [_standing(1)])[1] != []
    assert run_canned(sessions.authenticate(token, standings), []) == (Viewer(42), [])   # no query at all
    standings.forget(42)                         # a revocation: the next request asks again
    with pytest.raises(Unauthorized):
        run_canned(sessions.authenticate(token, standings), [_standing(2)])
    with pytest.raises(Unauthorized):            # and remembers what it found
        run_canned(sessions.authenticate(token, standings), [])
    standings.distrust()                         # the channel went away: every request asks again
    assert run_canned(sessions.authenticate(token, standings), [_standing(1)])[1] != []
    assert run_canned(sessions.authenticate(token, standings), [_standing(1)])[1] != []


def test_a_read_that_raced_with_a_revocation_is_not_remembered() -> None:
    token, _ = auth.issue_token(42, 1)
    standings = _trusted()
    op = sessions.authenticate(token, standings)
    next(op)                     # the read-only boundary
    op.send(None)                # the query is on its way ...
    standings.forget(42)         # ... when a password change is announced
    with pytest.raises(StopIteration):
        op.send(_standing(1))    # the old version, read before the change committed: admitted this once
    assert standings.get(42) is None    # but not remembered


def test_a_read_begun_before_trust_began_is_not_remembered() -> None:
    """A listener that (re)subscribes may have missed a revocation made while it was away: what a
    request read before then may be stale, so it is not remembered once the lease begins."""
    token, _ = auth.issue_token(42, 1)
    standings = Standings()
    op = sessions.authenticate(token, standings)
    next(op)
    op.send(None)                # the query is on its way, nothing trusted yet ...
    standings.trust(time.monotonic() + 60)   # ... when the listener's first ping is answered
    with pytest.raises(StopIteration):
        op.send(_standing(1))
    assert standings.get(42) is None


def test_a_bans_end_counts_without_any_event() -> None:
    token, _ = auth.issue_token(42, 1)
    standings = _trusted()
    ended = clock.now() - timedelta(seconds=1)
    standings.remember(42, Standing(1, banned=True, banned_until=ended), standings.ticket())
    assert run_canned(sessions.authenticate(token, standings), []) == (Viewer(42), [])
    standings.remember(42, Standing(1, banned=True, banned_until=ended + timedelta(hours=1)), standings.ticket())
    with pytest.raises(Unauthorized):
        run_canned(sessions.authenticate(token, standings), [])


def test_standings_stay_bounded_and_expire() -> None:
    standings = Standings(size=3, ttl=60)
    standings.trust()
    for user_id in range(10):
        standings.remember(user_id, Standing(0), standings.ticket())
    assert [standings.get(user_id) for user_id in range(10)].count(None) == 7
    expiring = Standings(size=3, ttl=0.01)
    expiring.trust()
    expiring.remember(1, Standing(0), expiring.ticket())
    time.sleep(0.02)
    assert expiring.get(1) is None


# -- uploads ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                                ("GIF", "image/png"), ("WEBP", "image/png")])
def test_images_are_reencoded(fmt: str, content_type: str) -> None:
    img = process_image(png(fmt=fmt), 1 << 20)
    assert img.content_type == content_type and (img.width, img.height) == (8, 8)


def test_metadata_is_stripped() -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    assert b"SecretCam" in out.getvalue()
    assert b"SecretCam" not in process_image(out.getvalue(), 1 << 20).data


@pytest.mark.parametrize("data, error", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, UnsupportedMediaType),
    (b"just text", UnsupportedMediaType),
    (png(fmt="BMP"), UnsupportedMediaType),
    (png((5000, 5000), mode="1"), Invalid),                     # 25 Mpx > the 1 Mpx allowed below
    (png()[:60], Invalid),                                      # a PNG header, then nothing
    (png() * 1000, PayloadTooLarge),
])
def test_bad_images_are_refused(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        process_image(data, 64 * 1024, max_pixels=1_000_000)


def test_truncated_image_data_is_422() -> None:
    data = png((64, 64), mode="RGB")
    with pytest.raises((Invalid, UnsupportedMediaType)):
        process_image(data[: len(data) - 30], 1 << 20)


# -- notifications ----------------------------------------------------------------------------------

def test_notify_skips_the_actor_and_cuts_the_excerpt() -> None:
    assert run_canned(notifications.notify(5, "like", 5, "post", 1, "x"), []) == (None, [])
    new_id, queries = run_canned(notifications.notify(5, "like", 6, "post", 1, "y" * 500), [77])
    assert new_id == 77 and len(queries[0].params[5]) == 200


def test_notify_mentions_is_one_select_then_one_insert_per_user() -> None:
    _, queries = run_canned(
        notifications.notify_mentions("@ann @bob @cy_d and @ann", 1, "post", 9, "hi", exclude={2}),
        [[{"id": 1}, {"id": 2}, {"id": 3}], 10])
    assert queries[0].params == ("ann", "bob", "cy_d")
    assert [q.params[0] for q in queries[1:]] == [3]            # not the actor (1), not excluded (2)


def test_notify_mentions_without_mentions_asks_nothing() -> None:
    assert run_canned(notifications.notify_mentions("no one `@here`", 1, "post", 9, "", set()), []) == (None, [])


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"all": False}, {"ids": list(range(1, 102))},
                                  {"ids": ["1"]}, {"ids": [0]}, {"ids": [2**63]}])
def test_mark_read_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        run_canned(notifications.mark_read(Viewer(1), body), [])


def test_mark_read_touches_only_the_callers_rows() -> None:
    _, queries = run_canned(notifications.mark_read(Viewer(7), {"ids": [3, 4]}), [2])
    assert "user_id = %s" in queries[0].sql and queries[0].params == (7, 3, 4)
    _, queries = run_canned(notifications.mark_read(Viewer(7), {"all": True}), [5])
    assert queries[0].params == (7,)


def test_notifications_need_a_user() -> None:
    with pytest.raises(Unauthorized):
        run_canned(notifications.unread_count(ANONYMOUS), [])


def test_list_notifications_bad_flag_or_foreign_cursor_is_400() -> None:
    with pytest.raises(BadRequest):
        run_canned(notifications.list_notifications(Viewer(1), {"unread": "maybe"}), [])
    with pytest.raises(BadRequest):
        run_canned(notifications.list_notifications(Viewer(1), {"cursor": encode_cursor([1.5, 3])}), [])


# -- users ------------------------------------------------------------------------------------------

GOOD = {"username": "ann_1", "email": "ann@example.org", "password": "correct horse battery"}


@pytest.mark.parametrize("field, value", [("username", "ab"), ("username", "a" * 33), ("username", "ann-1"),
                                          ("username", "änn"), ("email", "nope"), ("password", "short"),
                                          ("password", "p" * 129), ("password", "password123")])
def test_register_field_rules(field: str, value: str) -> None:
    with pytest.raises(Invalid) as caught:
        run_canned(users.register(ANONYMOUS, {**GOOD, field: value}), [])
    assert field_names(caught.value) == {field}


def test_register_taken_is_409() -> None:
    with pytest.raises(Conflict, match="username"):      # (no erased account holds the name: None)
        run_canned(users.register(ANONYMOUS, GOOD), [None, [{"username": "ANN_1", "email": "x@example.org"}]])
    with pytest.raises(Conflict, match="email"):
        run_canned(users.register(ANONYMOUS, GOOD), [None, [{"username": "other", "email": "ann@example.org"}]])


def test_register_keeps_the_password_as_typed() -> None:
    user, queries = run_canned(users.register(ANONYMOUS, {**GOOD, "password": "  spaced out  "}), [None, [], 5, 0, 1])
    assert [q.sql.split()[2] for q in queries[3:]] == ["email_tokens", "email_tokens"]   # its verification link
    assert user["id"] == 5 and set(user) == {"id", "username", "nickname", "bio", "avatar_url", "role", "created_at"}
    assert auth.verify_password(queries[2].params[2], "  spaced out  ")[0]


def _user_row(password: str = "correct horse battery", version: int = 0) -> dict[str, Any]:
    return {"id": 5, "username": "ann_1", "email": "ann@example.org", "nickname": "", "bio": "",
            "avatar_url": None, "role": "member", "created_at": NOW, "password_hash": auth.hash_password(password),
            "token_version": version, "email_verified": 0, "pending_email": None,
            "locale": None}


ADDRESS = "192.0.2.1"
UNDER = Count(1, 5, 900)      # a hit that stays under its limit


def _login(login: str, password: str) -> Any:
    return users.login(ANONYMOUS, {"login": login, "password": password}, ADDRESS)


def test_login_unknown_and_wrong_password_are_the_same_401() -> None:
    with pytest.raises(Unauthorized) as unknown:
        run_canned(_login("nobody", "whatever it is"), [None, UNDER, UNDER])
    with pytest.raises(Unauthorized) as wrong:
        run_canned(_login("ann_1", "whatever it is"), [_user_row(), UNDER, UNDER])
    assert unknown.value.body() == wrong.value.body()


def test_login_counts_first_then_decides() -> None:
    """The attempt is counted against the account the database matched, then refused when over,
    before any password is checked."""
    with pytest.raises(TooManyRequests) as over:
        _, seen = run_canned(_login("ANN_1", "correct horse battery"), [_user_row(), Count(6, 5, 42), UNDER])
    assert over.value.headers["Retry-After"] == "42"
    _, seen = run_canned(_login("ann@example.org", "correct horse battery"),
                         [_user_row(), UNDER, UNDER, None, None, UNDER])
    assert seen[1:3] == [Hit("login", "user:5"), Hit("login-address", ADDRESS)]
    assert seen[3].sql.startswith("SELECT reason, ends_at FROM bans")          # no site ban in force
    assert seen[4:] == [Reset("login", "user:5"), Hit("login-address", ADDRESS, by=-1)]


def test_unknown_logins_share_a_folded_counter() -> None:
    """No account matched: look-alike spellings of one name count together (RELIABILITY 41)."""
    keys_seen = set()
    for spelling in ("rl94e23a38", "ŕl94e23a38", "ｒl94e23a38", "rl94e23a38\u200b", "RL94E23A38"):
        with pytest.raises(Unauthorized):
            _, seen = run_canned(_login(spelling, "whatever it is"), [None, UNDER, UNDER])
        op = _login(spelling, "whatever it is")
        next(op), op.send(None)
        keys_seen.add(op.send(None).key)
    assert len(keys_seen) == 1


def test_login_issues_a_token_with_the_version() -> None:
    answer, seen = run_canned(_login("ann@example.org", "correct horse battery"),
                              [_user_row(version=4), UNDER, UNDER, None, None, UNDER])
    assert len(seen) == 6 and answer["token_type"] == "Bearer" and "email" not in answer["user"]
    assert auth.decode_token(answer["access_token"]) == (5, 4)


def test_login_rehashes_a_weak_hash() -> None:
    row = {**_user_row(), "password_hash": PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw pw pw pw")}
    _, seen = run_canned(_login("ann_1", "pw pw pw pw"), [row, UNDER, UNDER, None, None, UNDER, 1])
    assert seen[-1].sql.startswith("UPDATE users SET password_hash") and "m=19456" in seen[-1].params[0]


def test_change_password_needs_the_old_one() -> None:
    stored = auth.hash_password("the old password")
    with pytest.raises(Invalid) as caught:
        run_canned(users.change_password(Viewer(5), {"old_password": "not it", "new_password": "new and long"}),
                   [stored])
    assert field_names(caught.value) == {"old_password"}
    _, queries = run_canned(users.change_password(Viewer(5), {"old_password": "the old password",
                                                             "new_password": "new and long"}), [stored, 1])
    assert "token_version = token_version + 1" in queries[1].sql


def test_update_me_sets_only_what_was_sent() -> None:
    me, queries = run_canned(users.update_me(Viewer(5), {"bio": " hello "}), [1, _user_row()])
    assert queries[0].sql == "UPDATE users SET bio = %s WHERE id = %s" and queries[0].params == ("hello", 5)
    assert "email" in me
    with pytest.raises(Invalid):
        run_canned(users.update_me(Viewer(5), {"nickname": "n" * 65}), [])


def test_get_user_missing_is_404() -> None:
    with pytest.raises(NotFound):
        run_canned(users.get_user(ANONYMOUS, 9), [None])


# -- groups -----------------------------------------------------------------------------------------

def test_only_the_owner_may_edit() -> None:
    with pytest.raises(Forbidden):
        run_canned(groups.update_group(Viewer(2), 1, {"name": "x"}), [1])
    with pytest.raises(NotFound):
        run_canned(groups.update_group(Viewer(2), 1, {"name": "x"}), [None])
    with pytest.raises(Unauthorized):
        run_canned(groups.update_group(ANONYMOUS, 1, {"name": "x"}), [])


@pytest.mark.parametrize("body", [{"name": "", "category": "c"}, {"name": "n", "category": "c" * 33},
                                  {"name": "n", "category": "c", "join_policy": "closed"},
                                  {"name": "n", "category": "c", "description": "d" * 2001}])
def test_new_group_rules(body: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        run_canned(groups.create_group(Viewer(1), body), [])


def test_group_name_taken_is_409() -> None:
    with pytest.raises(Conflict):
        run_canned(groups.create_group(Viewer(1), {"name": "Python", "category": "code"}), [3])


def test_apply_when_member_or_pending_is_409() -> None:
    group = {"owner_id": 1, "join_policy": "approval"}
    with pytest.raises(Conflict):
        run_canned(groups.apply(Viewer(2), 4, {}), [group, "member"])
    with pytest.raises(Conflict):
        run_canned(groups.apply(Viewer(2), 4, {}), [group, None, 17])


def test_apply_to_an_approval_group_notifies_the_owner() -> None:
    application = {"id": 9, "group_id": 4, "reason": "hi", "status": "pending", "created_at": NOW,
                   "user_id": 2, "user_username": "bob", "user_nickname": "", "user_avatar_url": None}
    result, queries = run_canned(groups.apply(Viewer(2), 4, {"reason": "hi"}),
                                 [{"owner_id": 1, "join_policy": "approval"}, None, None, None, 9, 30, application])
    assert result["status"] == "pending" and result["user"]["username"] == "bob"
    assert not any("member_count" in q.sql for q in queries)
    assert queries[3].sql.startswith("SELECT reason, ends_at FROM bans") and queries[3].params[:2] == (2, 4)
    notice = queries[5]
    assert notice.sql.startswith("INSERT INTO notifications") and notice.params[:3] == (1, "application", 2)


def test_apply_to_an_open_group_joins_at_once_counting_first() -> None:
    application = {"id": 9, "group_id": 4, "reason": "", "status": "approved", "created_at": NOW,
                   "user_id": 2, "user_username": "bob", "user_nickname": "", "user_avatar_url": None}
    _, queries = run_canned(groups.apply(Viewer(2), 4, {}),
                            [{"owner_id": 1, "join_policy": "open"}, None, None, None, 1, 50, 9, application])
    assert queries[4].sql.startswith("UPDATE forum_groups SET member_count") and queries[4].params == (1, 4)
    assert queries[5].sql.startswith("INSERT INTO memberships")
    assert not any(q.sql.startswith("INSERT INTO notifications") for q in queries)


def test_decided_application_is_409() -> None:
    with pytest.raises(Conflict):
        run_canned(groups.decide_application(Viewer(1), 4, 9, {"status": "approved"}), [1, 2, 1, 0])
    with pytest.raises(Conflict):
        run_canned(groups.decide_application(Viewer(1), 4, 9, {"status": "rejected"}), [1, 2, 0])
    with pytest.raises(Invalid):
        run_canned(groups.decide_application(Viewer(1), 4, 9, {"status": "pending"}), [1])


def test_approval_locks_the_group_first() -> None:
    application = {"id": 9, "group_id": 4, "reason": "", "status": "approved", "created_at": NOW,
                   "user_id": 2, "user_username": "bob", "user_nickname": "", "user_avatar_url": None}
    _, queries = run_canned(groups.decide_application(Viewer(1), 4, 9, {"status": "approved"}),
                            [1, 2, 1, 1, 60, "Rust", 70, application])
    writes = [q.sql.split(" (")[0].split(" SET")[0] for q in queries if not q.sql.startswith("SELECT")]
    assert writes == ["UPDATE forum_groups", "UPDATE applications", "INSERT INTO memberships",
                      "INSERT INTO notifications"]
    assert queries[-2].params[:3] == (2, "approved", 1)


def test_a_lost_leave_race_writes_nothing() -> None:
    with pytest.raises(NotFound):
        run_canned(groups.leave(Viewer(2), 4), ["member", 1, 0])


def test_owner_cannot_leave_and_stranger_gets_404() -> None:
    with pytest.raises(Conflict):
        run_canned(groups.leave(Viewer(1), 4), ["owner"])
    with pytest.raises(NotFound):
        run_canned(groups.leave(Viewer(1), 4), [None])


def test_search_takes_wildcards_literally() -> None:
    _, queries = run_canned(groups.list_groups(ANONYMOUS, {"q": "100%_done!", "category": "code"}), [[]])
    assert queries[0].params == (None, None, "code", "%100!%!_done!!%", "%100!%!_done!!%", 21)
    with pytest.raises(BadRequest):
        run_canned(groups.list_groups(ANONYMOUS, {"q": "x" * 101}), [])


def test_bad_application_status_filter_is_400() -> None:
    with pytest.raises(BadRequest):
        run_canned(groups.list_applications(Viewer(1), 4, {"status": "maybe"}), [1])


# -- guestbook --------------------------------------------------------------------------------------

def test_guestbook_email_is_optional_but_checked() -> None:
    entry, _ = run_canned(guestbook.sign(ANONYMOUS, {"name": "Ann", "message": "Hello", "email": ""}), [1])
    assert entry["email"] == "" and entry["address"] == ""
    with pytest.raises(Invalid) as caught:
        run_canned(guestbook.sign(ANONYMOUS, {"name": "Ann", "message": "Hello", "email": "nope"}), [])
    assert field_names(caught.value) == {"email"}
    with pytest.raises(Invalid) as caught:
        run_canned(guestbook.sign(ANONYMOUS, {"name": "", "message": "m" * 2001}), [])
    assert field_names(caught.value) == {"name", "message"}
