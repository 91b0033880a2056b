"""POST /auth/register, POST /auth/login, POST /me/password and the access token's rules (API.md §2, §4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest

from .client import USER_KEYS, field_errors, from_address, is_time, ok, problem, unique


def test_register_answers_201_with_the_user(api):
    name = unique("Reg_")
    body = ok(api.post("/auth/register", json={"username": name, "email": f"{name}@example.org",
                                               "password": "correct horse battery"}), 201)
    assert set(body) == USER_KEYS, body  # email is shown on GET /me only
    assert body["username"] == name
    assert isinstance(body["id"], int) and body["id"] > 0
    assert is_time(body["created_at"])


def test_username_taken_ignoring_case_is_409(api, make_user):
    alice = make_user()
    taken = alice["username"].upper()
    problem(api.post("/auth/register", json={"username": taken, "email": f"other_{taken}@example.org",
                                             "password": "long enough pw"}), 409)


def test_email_taken_is_409(api, make_user):
    alice = make_user()
    problem(api.post("/auth/register", json={"username": unique("e"), "email": alice["email"],
                                             "password": "long enough pw"}), 409)


@pytest.mark.parametrize(("field", "value"), [
    ("username", "ab"),                     # too short
    ("username", "x" * 33),                 # too long
    ("username", "has space"),              # outside [A-Za-z0-9_]
    ("username", "dash-name"),
    ("email", "not-an-email"),
    ("password", "short"),                  # fewer than 8
    ("password", "p" * 129),                # more than 128
])
def test_register_field_rules_are_422_naming_the_field(api, field, value):
    name = unique("r")
    body = {"username": name, "email": f"{name}@example.org", "password": "long enough pw", field: value}
    assert field in field_errors(api.post("/auth/register", json=body))


def test_register_missing_fields_are_named(api):
    assert {"email", "password"} <= field_errors(api.post("/auth/register", json={"username": unique("m")}))


def test_login_with_username_or_email(api, make_user):
    alice = make_user()
    for login in (alice["username"], alice["email"]):
        body = ok(api.post("/auth/login", headers=from_address(), json={"login": login, "password": alice["password"]}))
        assert set(body) == {"access_token", "token_type", "expires_in", "user"}, body
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 86400
        assert body["user"]["id"] == alice["id"]
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert claims["sub"] == str(alice["id"])
        assert claims["exp"] - claims["iat"] == 86400
        assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


def test_unknown_user_and_wrong_password_get_the_same_401(api, make_user):
    alice = make_user()
    client = from_address()
    wrong = api.post("/auth/login", headers=client, json={"login": alice["username"], "password": "not the password"})
    unknown = api.post("/auth/login", headers=client, json={"login": unique("nobody"), "password": "not the password"})
    assert problem(wrong, 401) == problem(unknown, 401)
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def test_five_failures_for_one_login_give_429_with_retry_after(api, make_user):
    alice = make_user()
    for _ in range(5):
        problem(api.post("/auth/login", headers=from_address(),
                         json={"login": alice["username"], "password": "wrong password"}), 401)
    # now even the right password waits, from any address
    problem(api.post("/auth/login", headers=from_address(),
                     json={"login": alice["username"], "password": alice["password"]}), 429)
    make_user()  # others still log in


def test_twenty_failures_from_one_address_give_429(api, make_user):
    client = from_address()
    for _ in range(20):
        problem(api.post("/auth/login", headers=client,
                         json={"login": unique("ghost"), "password": "wrong password"}), 401)
    alice = make_user()
    problem(api.post("/auth/login", headers=client,
                     json={"login": alice["username"], "password": alice["password"]}), 429)


def test_me_needs_a_token(api):
    problem(api.get("/me"), 401)
    problem(api.get("/me", token="not-a-jwt"), 401)
    problem(api.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


# --------------------------------------------------------------------------- token attacks (RFC 8725)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _forge(server, claims: dict[str, Any], algorithm: str = "HS256") -> str:
    return jwt.encode(claims, server.secret, algorithm=algorithm)


def test_a_token_signed_with_the_servers_key_works(api, server, make_user):
    """The control for the attacks below: re-signing the same claims with the real key is accepted."""
    alice = make_user()
    token = _forge(server, _claims(alice["token"]))
    assert ok(api.get("/me", token=token))["id"] == alice["id"]


def test_alg_none_is_401(api, make_user):
    alice = make_user()
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(alice['token']))}."
    problem(api.get("/me", token=token), 401)


def test_hs512_with_the_right_key_is_401(api, server, make_user):
    alice = make_user()
    problem(api.get("/me", token=_forge(server, _claims(alice["token"]), "HS512")), 401)


def test_tampered_payload_or_signature_is_401(api, make_user):
    alice, bob = make_user(), make_user()
    header, payload, signature = alice["token"].split(".")
    other = {**_claims(alice["token"]), "sub": str(bob["id"])}
    problem(api.get("/me", token=f"{header}.{_b64(other)}.{signature}"), 401)
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    problem(api.get("/me", token=f"{header}.{payload}.{flipped}"), 401)


def test_expired_token_is_401(api, server, make_user):
    alice = make_user()
    now = int(time.time())
    claims = {**_claims(alice["token"]), "iat": now - 7200, "exp": now - 3600}
    problem(api.get("/me", token=_forge(server, claims)), 401)


def test_not_yet_valid_token_is_401(api, server, make_user):
    alice = make_user()
    now = int(time.time())
    claims = {**_claims(alice["token"]), "iat": now + 3600, "exp": now + 7200}
    problem(api.get("/me", token=_forge(server, claims)), 401)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
def test_token_without_a_required_claim_is_401(api, server, make_user, missing):
    alice = make_user()
    claims = {k: v for k, v in _claims(alice["token"]).items() if k != missing}
    problem(api.get("/me", token=_forge(server, claims)), 401)


def test_token_for_a_user_that_does_not_exist_is_401(api, server, make_user):
    alice = make_user()
    problem(api.get("/me", token=_forge(server, {**_claims(alice["token"]), "sub": "999999999"})), 401)


def test_password_change_ends_older_tokens(api, make_user):
    alice = make_user()
    ok(api.post("/me/password", user=alice, json={"old_password": alice["password"],
                                                  "new_password": "a brand new secret"}), 204)
    problem(api.get("/me", user=alice), 401)
    problem(api.post("/auth/login", headers=from_address(),
                     json={"login": alice["username"], "password": alice["password"]}), 401)
    fresh = ok(api.post("/auth/login", headers=from_address(), json={"login": alice["username"], "password": "a brand new secret"}))
    assert ok(api.get("/me", token=fresh["access_token"]))["id"] == alice["id"]


def test_password_change_needs_the_old_password(api, make_user):
    alice = make_user()
    resp = api.post("/me/password", user=alice, json={"old_password": "not it at all",
                                                      "new_password": "a brand new secret"})
    assert resp.status_code in (401, 403, 422), resp.text
    ok(api.get("/me", user=alice))


def test_new_password_rules_are_422(api, make_user):
    alice = make_user()
    resp = api.post("/me/password", user=alice, json={"old_password": alice["password"], "new_password": "short"})
    assert "new_password" in field_errors(resp)


def test_login_field_errors_are_422(api):
    assert "password" in field_errors(api.post("/auth/login", json={"login": "someone"}))
    assert "login" in field_errors(api.post("/auth/login", json={"login": 42, "password": "whatever pw"}))


def test_unicode_passwords_work(api):
    name = unique("uni")
    password = "pässwörd – 密码 🔑"
    ok(api.post("/auth/register", json={"username": name, "email": f"{name}@example.org", "password": password}), 201)
    ok(api.post("/auth/login", headers=from_address(), json={"login": name, "password": password}))


@pytest.mark.parametrize("password", ["password", "12345678", "qwertyuiop"])
def test_the_most_common_passwords_are_refused(api, password):
    name = unique("common")
    resp = api.post("/auth/register", json={"username": name, "email": f"{name}@example.org", "password": password})
    assert "password" in field_errors(resp)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "RS256", "ES256", "PS256", "HS384"])
def test_any_algorithm_but_hs256_is_401_even_with_a_valid_hmac(api, server, make_user, alg):
    """The header names another algorithm, the signature is the real key's HS256 MAC: still refused."""
    alice = make_user()
    signing_input = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(alice['token']))}"
    mac = hmac.new(server.secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    problem(api.get("/me", token=token), 401)
