"""GET/POST /guestbook: anyone signs, newest first, message 1–2000, limited per client address."""

from __future__ import annotations

from .client import GUESTBOOK_KEYS, field_errors, from_address, is_time, items, ok, problem


def sign(api, headers=None, **fields):
    body = {"name": "Ada", "email": "ada@example.org", "address": "London", "message": "Lovely forum.", **fields}
    return api.post("/guestbook", json=body, headers=headers or from_address())


def test_sign_and_list_newest_first(api):
    first = ok(sign(api, message="  first  "), 201)
    second = ok(sign(api, message="second"), 201)
    assert set(first) == GUESTBOOK_KEYS, first
    assert first["message"] == "first" and is_time(first["created_at"])
    listed = items(api.get("/guestbook", params={"limit": 100}))
    ids = [e["id"] for e in listed]
    assert ids.index(second["id"]) < ids.index(first["id"])
    assert all(set(e) == GUESTBOOK_KEYS for e in listed)


def test_message_limits(api):
    assert "message" in field_errors(sign(api, message=""))
    assert "message" in field_errors(sign(api, message="x" * 2001))
    ok(sign(api, message="x" * 2000), 201)
    assert "name" in field_errors(api.post("/guestbook", headers=from_address(),
                                           json={"email": "a@example.org", "address": "", "message": "hi"}))


def test_signing_is_limited_per_client_address(api):
    one_client = from_address()
    for _ in range(50):
        resp = sign(api, headers=one_client)
        if resp.status_code != 201:
            break
    problem(resp, 429)
    ok(sign(api), 201)  # another client is not held back
