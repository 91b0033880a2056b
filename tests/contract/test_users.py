"""GET/PATCH /me, PUT /me/avatar, GET /users/{id} and a user's activity lists."""

from __future__ import annotations

import io
import struct
import zlib
from urllib.parse import urljoin

import pytest
from PIL import Image

from .client import POST_KEYS, USER_KEYS, describe, field_errors, is_time, items, ok, problem
from .rawhttp import multipart, raw_request


def test_me_has_email(api, make_user):
    alice = make_user()
    me = ok(api.get("/me", user=alice))
    assert set(me) == USER_KEYS | {"email", "email_verified", "pending_email", "locale"}, me
    assert me["email"] == alice["email"] and me["username"] == alice["username"]
    assert is_time(me["created_at"])


def test_patch_me_trims_and_stores(api, make_user):
    alice = make_user()
    me = ok(api.patch("/me", user=alice, json={"nickname": "  Alice A.  ", "bio": "I write <b>Python</b>."}))
    assert me["nickname"] == "Alice A." and me["bio"] == "I write <b>Python</b>."
    assert set(me) == USER_KEYS | {"email", "email_verified", "pending_email", "locale"}
    assert ok(api.get(f"/users/{alice['id']}"))["nickname"] == "Alice A."


def test_patch_me_refuses_unknown_fields_and_wrong_types(api, make_user):
    alice = make_user()
    assert "username" in field_errors(api.patch("/me", user=alice, json={"username": "renamed"}))
    assert "bio" in field_errors(api.patch("/me", user=alice, json={"bio": 42}))
    problem(api.patch("/me", json={"bio": "anonymous"}), 401)


def test_get_user_is_public_and_has_no_email(api, make_user):
    alice = make_user()
    user = ok(api.get(f"/users/{alice['id']}"))
    assert set(user) == USER_KEYS, user
    problem(api.get("/users/999999999"), 404)


# --------------------------------------------------------------------------- avatar


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def pixel_bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A small file whose header claims a huge image: it must be refused before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


def test_avatar_png_is_stored_and_served_with_nosniff(api, make_user):
    alice = make_user()
    user = ok(api.put("/me/avatar", user=alice, files={"avatar": ("me.png", png_bytes(), "image/png")}))
    assert set(user) >= USER_KEYS and user["id"] == alice["id"]
    assert isinstance(user["avatar_url"], str) and user["avatar_url"]
    assert "me.png" not in user["avatar_url"]  # random names, never the client's
    image = api.http.get(urljoin(api.base_url + "/", user["avatar_url"]), timeout=30)
    assert image.status_code == 200, describe(image)
    assert image.headers.get("X-Content-Type-Options") == "nosniff", describe(image)
    assert image.headers.get("Content-Type", "").startswith("image/"), describe(image)
    Image.open(io.BytesIO(image.content)).verify()
    assert ok(api.get(f"/users/{alice['id']}"))["avatar_url"] == user["avatar_url"]


def test_avatar_name_with_dot_dot_is_ignored(api, make_user):
    alice = make_user()
    user = ok(api.put("/me/avatar", user=alice, files={"avatar": ("../../evil.png", png_bytes(), "image/png")}))
    assert ".." not in user["avatar_url"] and "evil" not in user["avatar_url"]


def test_avatar_over_2_mib_is_413(api, make_user):
    alice = make_user()
    body, content_type = multipart("avatar", "big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024), "image/png")
    status, headers, text = raw_request(api.base_url, "PUT", "/api/v1/me/avatar", body,
                                        {"Content-Type": content_type, "Authorization": f"Bearer {alice['token']}"})
    assert status == 413, (status, text[:300])
    assert headers.get("content-type") == "application/problem+json", headers


def test_avatar_that_is_not_an_image_is_refused(api, make_user):
    alice = make_user()
    resp = api.put("/me/avatar", user=alice, files={"avatar": ("notes.png", b"just some text\n" * 20, "image/png")})
    assert resp.status_code in (415, 422), describe(resp)
    problem(resp, resp.status_code)


def test_avatar_pixel_bomb_is_refused(api, make_user):
    alice = make_user()
    resp = api.put("/me/avatar", user=alice, files={"avatar": ("bomb.png", pixel_bomb_png(), "image/png")})
    assert resp.status_code in (413, 422), describe(resp)
    problem(resp, resp.status_code)


def test_avatar_without_the_field_is_refused(api, make_user):
    alice = make_user()
    resp = api.put("/me/avatar", user=alice, files={"picture": ("me.png", png_bytes(), "image/png")})
    assert resp.status_code in (400, 415, 422), describe(resp)
    problem(resp, resp.status_code)


def test_avatar_needs_a_user(api):
    problem(api.put("/me/avatar", files={"avatar": ("me.png", png_bytes(), "image/png")}), 401)


# --------------------------------------------------------------------------- activity


def test_user_activity_lists_newest_first(api, forum, make_user):
    alice, bob = make_user(), make_user()
    group = forum.group(alice)
    first = forum.post(group, alice)
    second = forum.post(group, alice)
    question = forum.question(alice)
    answer = forum.answer(forum.question(bob), alice)

    posts = items(api.get(f"/users/{alice['id']}/posts"))
    assert [p["id"] for p in posts] == [second["id"], first["id"]]
    assert all(set(p) == POST_KEYS for p in posts)
    assert [q["id"] for q in items(api.get(f"/users/{alice['id']}/questions"))] == [question["id"]]
    assert [a["id"] for a in items(api.get(f"/users/{alice['id']}/answers"))] == [answer["id"]]
    assert [g["id"] for g in items(api.get(f"/users/{alice['id']}/groups"))] == [group["id"]]
    assert items(api.get(f"/users/{bob['id']}/posts")) == []


@pytest.mark.parametrize("kind", ["posts", "questions", "answers", "groups"])
def test_activity_of_a_missing_user_is_404(api, kind):
    problem(api.get(f"/users/999999999/{kind}"), 404)


def test_overlong_profile_fields_are_422(api, make_user):
    alice = make_user()
    assert "bio" in field_errors(api.patch("/me", user=alice, json={"bio": "b" * 100_000}))
    assert "nickname" in field_errors(api.patch("/me", user=alice, json={"nickname": "n" * 10_000}))
