"""Accounts: register, log in, the caller's own profile and password, public profiles, avatars.

Password hashing and image work are yielded as ``Compute`` effects, so the Tornado app runs them in
an executor and never on its event loop, and never while a transaction is open (RELIABILITY 46).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints

from shared import clock
from shared.auth import DUMMY_HASH, Viewer, hash_password, is_common_password, issue_token, verify_password
from shared.clock import db_time
from shared.errors import Conflict, Invalid, NotFound, Unauthorized
from shared.i18n import Locale, _l
from shared.ratelimit import account_key, login_attempt, login_succeeded
from shared.shapes import user_private, user_public
from shared.storage.effects import Compute, Op, Publish, Query, Transaction, read_only
from shared.storage.roles import refuse_banned
from shared.storage.sessions import start_session
from shared.storage.tokens import change_email, send_verification
from shared.uploads import MAX_PIXELS, ProcessedImage, process_image, save_image
from shared.validation import NOT_YOUR_PASSWORD, TAKEN, USERNAME_PATTERN, Body, parse

MAX_AVATAR_BYTES = 2 * 1024 * 1024
USERNAME_HELD_DAYS = 30          # an erased account's username is held this long, then free again
PROFILE_COLUMNS = ("id, username, email, nickname, bio, avatar_url, role, created_at, email_verified, pending_email,"
                   " locale")

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Email = Annotated[EmailStr, Field(max_length=254)]
# Passwords are taken exactly as typed: no trimming, any Unicode, no composition rules.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=8, max_length=128)]
AnyPassword = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=128)]


class Register(Body):
    username: Username
    email: Email
    password: Password


class Login(Body):
    login: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: AnyPassword


class UpdateMe(Body):
    nickname: Annotated[str, StringConstraints(max_length=64)] | None = None
    bio: Annotated[str, StringConstraints(max_length=1000)] | None = None
    email: Email | None = None       # kept pending until its link is opened (shared.storage.tokens)
    locale: Locale | None = None     # the language of their pages and e-mail (API.md §8)


class ChangePassword(Body):
    old_password: AnyPassword
    new_password: Password


def _normalise(password: str) -> str:
    """NFKC, so the same password typed on two keyboards (composed or not) is the same password."""
    return unicodedata.normalize("NFKC", password)


def _refuse_common(field: str, password: str) -> None:
    if is_common_password(password):
        raise Invalid.one(field, _l("one of the most common passwords; choose another"))


def _user_row(user_id: int) -> Op[dict[str, Any]]:
    row = yield Query(f"SELECT {PROFILE_COLUMNS} FROM users WHERE id = %s AND deleted_at IS NULL",  # noqa: S608
                      (user_id,), "row")
    if row is None:
        raise NotFound("user")
    return row


def register(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """A new account (201 User); a username or email already taken, in any case, is a 409.

    The password is hashed first, before any query, so no connection is held while argon2 works."""
    data = parse(Register, body)
    _refuse_common("password", data.password)
    password_hash = yield Compute(hash_password, (_normalise(data.password),))
    yield from _free_erased_username(data.username)
    taken = yield Query("SELECT username, email FROM users WHERE username = %s OR email = %s",
                        (data.username, data.email))
    if taken:
        what = "username" if any(r["username"].lower() == data.username.lower() for r in taken) else "email"
        raise Conflict(TAKEN[what])
    created_at = db_time()
    user_id = yield Query(
        "INSERT INTO users (username, email, password_hash, token_version, nickname, bio, created_at)"
        " VALUES (%s, %s, %s, 0, '', '', %s)",
        (data.username, data.email, password_hash, created_at), "lastrowid")   # a race still ends in 409
    yield from send_verification(user_id, data.username, data.email)
    return user_public({"id": user_id, "username": data.username, "nickname": "", "bio": "",
                        "avatar_url": None, "role": "member", "created_at": created_at})


def _free_erased_username(username: str) -> Op[None]:
    """A username whose account was erased more than ``USERNAME_HELD_DAYS`` ago is free again (API.md §6):
    the erased row is renamed to ``~erased-<id>``, a name no one can register (``~`` is not allowed)."""
    held_since = db_time(clock.now() - timedelta(days=USERNAME_HELD_DAYS))
    erased = yield Query("SELECT id FROM users WHERE username = %s AND deleted_at IS NOT NULL AND deleted_at < %s",
                         (username, held_since), "value")
    if erased is not None:
        yield Query("UPDATE users SET username = %s WHERE id = %s", (f"~erased-{erased}", erased), "rowcount")


def check_login(data: Login, address: str) -> Op[dict[str, Any]]:
    """The login flow, once for the API and the pages of both apps: look up, count, hash, decide.

    1. Look the account up (a read: no transaction, nothing locked).
    2. Count the attempt against that account and against the client address, *then* decide:
       past the limit is a 429 before any password is checked (RELIABILITY 40). The account's
       counter is keyed by the id the database matched, so every spelling it would match (case,
       full-width letters, accents, zero-width characters, username or e-mail) shares one count
       (RELIABILITY 41).
    3. Verify the password with no connection held (RELIABILITY 46); every failure is the same 401,
       in the same time (a dummy hash for unknown logins).
    4. A success clears the account's count; a hash made with older parameters is replaced in a
       short write of its own.
    """
    password = _normalise(data.password)
    yield Transaction(read_only=True)
    row = yield Query(f"SELECT {PROFILE_COLUMNS}, password_hash, token_version FROM users"  # noqa: S608
                      " WHERE username = %s OR email = %s", (data.login, data.login), "row")
    account = f"user:{row['id']}" if row else account_key(data.login)
    yield from login_attempt(account, address)
    ok, needs_rehash = yield Compute(verify_password, (row["password_hash"] if row else DUMMY_HASH, password))
    if row is None or not ok:
        raise Unauthorized(_l("Wrong login or password."))
    yield from refuse_banned(row["id"])          # told only to whoever knows the password
    yield from login_succeeded(account, address)
    if needs_rehash:   # the cost parameters went up since this hash was made
        new_hash = yield Compute(hash_password, (password,))
        yield Transaction()
        yield Query("UPDATE users SET password_hash = %s WHERE id = %s", (new_hash, row["id"]), "rowcount")
    return row


def login(viewer: Viewer, body: Any, address: str) -> Op[dict[str, Any]]:
    """``POST /auth/login``: an access token for a username or email and password."""
    row = yield from check_login(parse(Login, body), address)
    token, expires_in = issue_token(row["id"], row["token_version"])
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "user": user_public(row)}


def login_with_session(viewer: Viewer, body: Any, address: str) -> Op[str]:
    """The login form: the same checks, then a brand-new browser session (its id, for the cookie)."""
    row = yield from check_login(parse(Login, body), address)
    yield Transaction()
    session_id: str = yield from start_session(row["id"])
    return session_id


@read_only
def get_me(viewer: Viewer) -> Op[dict[str, Any]]:
    return user_private((yield from _user_row(viewer.require())))


def update_me(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """Change nickname, bio and/or language; fields left out stay as they are. A new email waits to be verified."""
    user_id = viewer.require()
    data = parse(UpdateMe, body)
    changes = data.model_dump(exclude_none=True)     # keys are UpdateMe's field names only
    email = changes.pop("email", None)
    if email is not None:
        yield from change_email(user_id, email)
    if changes:
        assignments = ", ".join(f"{name} = %s" for name in changes)
        yield Query(f"UPDATE users SET {assignments} WHERE id = %s",  # noqa: S608
                    (*changes.values(), user_id), "rowcount")
    return user_private((yield from _user_row(user_id)))


def change_password(viewer: Viewer, body: Any) -> Op[None]:
    """Set a new password; a wrong old password is a 422 on ``old_password`` (the caller stays signed in).

    Read, hash with nothing held, then one short write. Bumping ``token_version`` makes every token
    issued before now a 401, this caller's included.
    """
    user_id = viewer.require()
    data = parse(ChangePassword, body)
    _refuse_common("new_password", data.new_password)
    yield Transaction(read_only=True)
    current = yield Query("SELECT password_hash FROM users WHERE id = %s", (user_id,), "value")
    if current is None:
        raise NotFound("user")
    ok, _ = yield Compute(verify_password, (current, _normalise(data.old_password)))
    if not ok:
        raise Invalid.one("old_password", NOT_YOUR_PASSWORD)
    new_hash = yield Compute(hash_password, (_normalise(data.new_password),))
    yield Transaction()
    yield Query("UPDATE users SET password_hash = %s, token_version = token_version + 1 WHERE id = %s",
                (new_hash, user_id), "rowcount")
    yield Publish(user_id, close=True)   # every process forgets the old version; the user's sockets close


@read_only
def get_user(viewer: Viewer, user_id: int) -> Op[dict[str, Any]]:
    return user_public((yield from _user_row(user_id)))


@read_only
def id_by_name(username: str) -> Op[int]:
    """The id of the user with that name, in any case (where a rendered ``@username`` leads); 404 for a
    name nobody has, an erased account's, or one no username could be."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise NotFound("user")
    user_id = yield Query("SELECT id FROM users WHERE username = %s AND deleted_at IS NULL", (username,), "value")
    if user_id is None:
        raise NotFound("user")
    return int(user_id)


def record_upload(user_id: int, purpose: str, url: str, img: ProcessedImage) -> Op[None]:
    """Remember who uploaded which file (for audits and clean-up); groups' covers use it too."""
    yield Query(
        "INSERT INTO uploads (user_id, purpose, filename, content_type, byte_size, width, height, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (user_id, purpose, url.rsplit("/", 1)[-1], img.content_type, len(img.data), img.width, img.height,
         db_time()), "lastrowid")


def set_avatar(viewer: Viewer, data: bytes, media_dir: str) -> Op[dict[str, Any]]:
    """Replace the caller's avatar with an uploaded image (checked and re-encoded) → User with email."""
    user_id = viewer.require()
    img = yield Compute(process_image, (data, MAX_AVATAR_BYTES, MAX_PIXELS, "avatar"))
    url = yield Compute(save_image, (img, media_dir))
    yield Query("UPDATE users SET avatar_url = %s WHERE id = %s", (url, user_id), "rowcount")
    yield from record_upload(user_id, "avatar", url, img)
    return user_private((yield from _user_row(user_id)))


def upload_image(viewer: Viewer, data: bytes, media_dir: str) -> Op[dict[str, Any]]:
    """An image for a text (``![](url)``), by the avatar's rules → 201 ``{url, width, height}``."""
    user_id = viewer.require()
    img = yield Compute(process_image, (data, MAX_AVATAR_BYTES, MAX_PIXELS, "file"))
    url = yield Compute(save_image, (img, media_dir))
    yield from record_upload(user_id, "text", url, img)
    return {"url": url, "width": img.width, "height": img.height}
