"""Languages in the API (API.md §8): ``detail`` and ``errors[].message`` follow ``Accept-Language``;
``type``, ``title`` and ``status`` never change; ``PATCH /me {locale}`` keeps the user's choice."""

from __future__ import annotations

import re
from typing import Any

import requests

from .client import Api, Forum, field_errors, ok, problem

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def both(send: Any) -> tuple[requests.Response, requests.Response]:
    """The same request in English and in Chinese."""
    return send(EN), send(ZH)


def same_problem(english: requests.Response, chinese: requests.Response, status: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both are the same problem (type, title, status, fields); only the words differ."""
    en, zh = problem(english, status), problem(chinese, status)
    assert {k: en[k] for k in ("type", "title", "status")} == {k: zh[k] for k in ("type", "title", "status")}
    assert zh["detail"] != en["detail"] and CHINESE.search(zh["detail"]), zh
    assert not CHINESE.search(en["detail"]), en
    return en, zh


def test_field_messages_and_detail_speak_the_clients_language(api: Api) -> None:
    body = {"username": "a b", "email": "nope", "password": "short", "extra": 1}
    english, chinese = both(lambda lang: api.post("/auth/register", json=body, headers=lang))
    en, zh = same_problem(english, chinese, 422)
    assert field_errors(english) == field_errors(chinese) == {"username", "email", "password", "extra"}
    messages = {e["field"]: e["message"] for e in zh["errors"]}
    assert messages["username"] == "3–32 个字母、数字或下划线" and messages["password"] == "至少 8 个字符"
    assert {e["field"]: e["message"] for e in en["errors"]}["username"] == "3–32 letters, digits or underscores"
    assert all(CHINESE.search(e["message"]) for e in zh["errors"]), zh


def test_one_message_per_field_for_a_common_password(api: Api) -> None:
    body = {"username": "commonpw", "email": "commonpw@example.org", "password": "password123"}
    english, chinese = both(lambda lang: api.post("/auth/register", json=body, headers=lang))
    en, zh = same_problem(english, chinese, 422)
    assert [e["field"] for e in zh["errors"]] == ["password"]
    assert zh["errors"][0]["message"] == "这是最常见的密码之一，请换一个"
    assert zh["detail"] == "密码：这是最常见的密码之一，请换一个"
    assert en["detail"] == "Password: one of the most common passwords; choose another"


def test_every_kind_of_refusal_is_translated(api: Api, forum: Forum) -> None:
    owner = forum.user()
    group = forum.group(owner)
    cases = [
        (lambda lang: api.get("/posts/999999999", headers=lang), 404),
        (lambda lang: api.get("/no/such/route", headers=lang), 404),
        (lambda lang: api.get("/me", headers=lang), 401),
        (lambda lang: api.get("/groups?limit=0", headers=lang), 400),
        (lambda lang: api.post("/auth/register", data=b"{not json", headers={**lang, "Content-Type": "application/json"}),
         400),
        (lambda lang: api.delete(f"/groups/{group['id']}/members/me", user=owner, headers=lang), 409),
        (lambda lang: api.post(f"/groups/{group['id']}/applications", user=owner, json={"reason": "x"}, headers=lang),
         409),
        (lambda lang: api.delete("/groups", user=owner, headers=lang), 405),
        (lambda lang: api.post("/groups", json={"name": "x"}, headers={**lang, "Content-Type": "text/plain"},
                               user=owner), 415),
    ]
    for send, status in cases:
        english, chinese = both(send)
        same_problem(english, chinese, status)
        assert english.headers.get("Allow") == chinese.headers.get("Allow")


def test_without_accept_language_the_api_speaks_english(api: Api) -> None:
    answer = problem(api.get("/posts/999999999"), 404)
    assert answer["detail"] == "No such post."


def test_the_user_chooses_a_language_with_patch_me(api: Api, forum: Forum) -> None:
    user = forum.user()
    assert ok(api.get("/me", user=user))["locale"] is None
    assert ok(api.patch("/me", user=user, json={"locale": "zh-CN"}))["locale"] == "zh-CN"
    assert ok(api.get("/me", user=user))["locale"] == "zh-CN"
    refused = api.patch("/me", user=user, json={"locale": "fr"}, headers=ZH)
    assert field_errors(refused) == {"locale"}
    assert problem(refused, 422)["errors"][0]["message"] == "必须是以下之一：en, zh-CN"
