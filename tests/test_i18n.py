"""Languages (API.md §8) without a server: the catalog is complete and fresh, and the rules say each
thing in the reader's language.

The first tests are the ones to rerun after adding page text (docs/i18n.md): they extract every
message from the code and both template sets as ``make messages`` does, and fail on a message the
catalog lacks, on one without Chinese, on a translation that drops a placeholder, and on a compiled
``.mo`` older than its ``.po``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from shared import catalog, emails, i18n, pages
from shared.errors import Invalid, NotFound, TooManyRequests, problem
from shared.i18n import Text, _l, _ln, translate
from shared.storage.users import Register
from shared.validation import parse

PO = catalog.ROOT / "shared" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
RERUN = "run `make messages`, translate what is new in messages.po, run it again (docs/i18n.md)"


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _text(string: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return tuple(string) if isinstance(string, (tuple, list)) else string


@pytest.fixture(scope="module")
def po() -> dict[str, object]:
    with PO.open("rb") as f:
        return {_key(m.id): m for m in read_po(f) if m.id}


def test_every_message_of_the_code_and_templates_has_chinese(po: dict[str, object]) -> None:
    extracted = {_key(m.id) for m in catalog.extract() if m.id}
    assert len(extracted) > 300, "the extraction found almost nothing: is babel.cfg right?"
    missing = sorted(extracted - set(po))
    assert not missing, f"not in the catalog ({RERUN}):\n" + "\n".join(missing)
    untranslated = sorted(key for key in extracted if not _strings(po[key]) or getattr(po[key], "fuzzy", False))
    assert not untranslated, f"no Chinese yet ({RERUN}):\n" + "\n".join(untranslated)
    stale = sorted(set(po) - extracted)
    assert not stale, f"the catalog holds messages no code says any more ({RERUN}):\n" + "\n".join(stale)


def _strings(message: object) -> list[str]:
    string = message.string
    return [s for s in (string if isinstance(string, tuple) else (string,)) if s]


def test_translations_keep_their_placeholders(po: dict[str, object]) -> None:
    """A msgstr that drops or renames a %(name)s would fail at the edge (KeyError) or say the wrong thing."""
    with PO.open("rb") as f:
        problems = [(m.id, [str(e) for e in errors]) for m, errors in read_po(f).check() if errors]
    assert not problems, problems


def test_the_compiled_catalog_is_the_po_file() -> None:
    """The apps read the .mo (committed, so a fresh clone runs): it must say what the .po says."""
    with PO.open("rb") as f:
        source = {_key(m.id): _text(m.string) for m in read_po(f) if m.id}
    with MO.open("rb") as f:
        compiled = {_key(m.id): _text(m.string) for m in read_mo(f) if m.id}
    assert compiled == source, f"messages.mo is stale: {RERUN}"


def test_a_text_reads_as_english_and_translates_at_the_edge() -> None:
    message = _l("No such %(what)s.", what=_l("post"))
    assert message == "No such post." and isinstance(message, str)
    assert translate(message, "zh-CN") == "没有这个帖子。"
    assert translate(message, "en") == "No such post."
    assert translate("a user's own words", "zh-CN") == "a user's own words"   # not marked: as it is
    assert translate(None, "zh-CN") == ""


def test_plurals_come_from_gettext_in_each_language() -> None:
    one, two = _ln("%(num)d member", "%(num)d members", 1), _ln("%(num)d member", "%(num)d members", 2)
    assert (one, two) == ("1 member", "2 members")
    assert translate(two, "zh-CN") == "2 位成员"
    assert translate(pages.counted(1, "comment"), "en") == "1 comment"
    assert translate(pages.counted(5, "reply"), "zh-CN") == "还有 5 条回复"


@pytest.mark.parametrize(("query", "cookie", "user", "header", "chosen"), [
    ("zh-CN", "en", "en", "en", "zh-CN"),          # ?lang= first
    (None, "zh-CN", "en", "en", "zh-CN"),          # then the switcher's cookie
    (None, None, "zh-CN", "en", "zh-CN"),          # then the user's own locale
    (None, None, None, "zh-CN,zh;q=0.9", "zh-CN"),  # then Accept-Language
    ("fr", "nonsense", None, "en-GB", "en"),       # what we do not speak is passed over
    (None, None, None, None, "en"),
])
def test_the_page_language_follows_the_order_of_the_contract(query, cookie, user, header, chosen) -> None:
    assert i18n.page_locale(query, cookie, user, header) == chosen


def test_accept_language_is_read_with_its_weights() -> None:
    assert i18n.from_accept_language("fr;q=0.9, zh-CN;q=0.8, en;q=0.7") == "zh-CN"
    assert i18n.from_accept_language("en-US,en;q=0.9,zh;q=0.8") == "en"
    assert i18n.from_accept_language("zh-TW") == "zh-CN"              # the one Chinese we have
    assert i18n.from_accept_language("zh;q=0, en;q=0.1") == "en"      # q=0: not acceptable
    assert i18n.from_accept_language("*;q=x, zh_Hans") == "zh-CN"


def test_problem_details_keep_type_title_status_and_translate_detail_and_fields() -> None:
    with pytest.raises(Invalid) as refused:
        parse(Register, {"username": "a b", "email": "nope", "password": "short", "extra": 1})
    english, chinese = problem(refused.value, "en").body, problem(refused.value, "zh-CN").body
    assert {k: english[k] for k in ("type", "title", "status")} == {k: chinese[k] for k in ("type", "title", "status")}
    assert [e["field"] for e in english["errors"]] == [e["field"] for e in chinese["errors"]]
    messages = {e["field"]: e["message"] for e in chinese["errors"]}
    assert messages == {"username": "3–32 个字母、数字或下划线", "email": "不是有效的邮箱地址",
                        "password": "至少 8 个字符", "extra": "未知字段"}
    assert english["errors"][0]["message"] == "3–32 letters, digits or underscores"   # for people, not pydantic
    assert chinese["detail"] == "有些字段无效。"
    one = problem(Invalid.one("username", _l("3–32 letters, digits or underscores")), "zh-CN").body
    assert one["detail"] == "用户名：3–32 个字母、数字或下划线"
    assert problem(NotFound("group"), "zh-CN").body["detail"] == "没有这个小组。"
    assert problem(TooManyRequests(3), "zh-CN").body["detail"] == "请求过多，请在 3 秒后重试。"
    assert problem(TooManyRequests(1), "en").body["detail"] == "Too many requests; try again in 1 second."


def test_a_refused_form_says_each_field_once() -> None:
    refusal = Invalid.one("password", _l("one of the most common passwords; choose another"))
    state = pages.form_state(refusal, {"username": "x", "password": "password"})
    assert state["message"] is None and state["errors"] == {"password": refusal.errors[0].message}
    hidden_field = Invalid.one("parent_id", _l("no such user"))
    assert pages.form_state(hidden_field, {})["message"] == hidden_field.detail   # no place beside a field


def test_times_are_relative_when_recent_with_the_full_time_on_hover() -> None:
    now = datetime(2026, 11, 24, 9, 51, 25)
    three_minutes = (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    english = i18n.time_html(three_minutes, "en", "Asia/Shanghai", now=now)
    chinese = i18n.time_html(three_minutes, "zh-CN", "Asia/Shanghai", now=now)
    assert english.startswith('<time datetime="2026-11-24T09:48:25Z" title="') and ">3 minutes ago</time>" in english
    assert ">3分钟前</time>" in chinese and "2026年11月24日" in chinese and "17:48:25" in chinese
    assert ">刚刚</time>" in i18n.time_html("2026-11-24T09:51:20Z", "zh-CN", now=now)
    assert ">Oct 1, 2026</time>" in i18n.time_html("2026-10-01T00:00:00Z", "en", now=now)   # older: the date
    assert ">2天后</time>" in i18n.time_html("2026-11-26T09:51:25Z", "zh-CN", now=now)       # a ban's end


def test_a_notification_names_who_and_links_the_page_by_its_title() -> None:
    note = {"kind": "comment", "actor": {"id": 7, "username": "pike"}, "target": {"type": "post", "id": 3}}
    assert pages.notification_html(note, "Hello <world>", "en") == (
        '<a class="user" href="/users/7">pike</a> commented on <a class="target" href="/posts/3">Hello &lt;world&gt;</a>')
    assert pages.notification_html(note, "你好", "zh-CN") == (
        '<a class="user" href="/users/7">pike</a> 评论了 <a class="target" href="/posts/3">你好</a>')
    joining = {"kind": "application", "actor": None, "target": {"type": "group", "id": 4}}
    assert pages.notification_html(joining, None, "zh-CN") == (
        '<span class="user deleted">已注销用户</span> 申请加入 <a class="target" href="/groups/4">一个小组</a>')


def test_emails_speak_the_recipients_language() -> None:
    mail = emails.render("reset", {"username": "pike", "token": "t0k"}, "https://forum.example", "zh-CN")
    assert mail.subject == "重置密码" and "pike，你好：" in mail.text and "1 小时内" in mail.text
    assert "https://forum.example/reset-password?token=t0k" in mail.text
    english = emails.render("reset", {"username": "pike", "token": "t0k"}, "https://forum.example")
    assert english.subject == "Reset your password" and "within 1 hour" in english.text
    digest = emails.render("digest", {"unsubscribe": "u", "items": [
        {"kind": "comment", "excerpt": "hi", "target_type": "post", "target_id": 1}] * 2}, "https://f.example", "zh-CN")
    assert digest.subject == "你在论坛的一天：2 条新通知" and "你关注的帖子有新评论：hi" in digest.text


def test_messages_survive_pickling_as_texts() -> None:
    """An exception may cross a process boundary (the executor): its message keeps its msgid."""
    import pickle

    message = pickle.loads(pickle.dumps(_l("No such %(what)s.", what=_l("user"))))
    assert isinstance(message, Text) and translate(message, "zh-CN") == "没有这个用户。"
