"""API.md §9 on every flavour and both databases: verified e-mail, password reset, e-mail change,
watching, the e-mail preference and one-click unsubscribe — with every message read from a real
SMTP server the tests run (the ``mailbox`` fixture), its links used once.
"""

from __future__ import annotations

import requests

from tests.support.mail import link, token_in

from .client import field_errors, from_address, ok, problem, unique

ACCEPTED = {"status": "accepted"}


def verification_token(mailbox, user, count: int = 1) -> str:
    return token_in(mailbox.wait_for(user["email"], "Confirm your e-mail address", count), "/verify-email")


def verified_user(api, forum, mailbox) -> dict:
    user = forum.user()
    ok(api.post("/auth/verify-email", json={"token": verification_token(mailbox, user)}), 204)
    return user


def test_registration_sends_a_link_that_verifies_the_address_once(api, forum, mailbox):
    user = forum.user()
    assert ok(api.get("/me", user=user))["email_verified"] is False
    message = mailbox.wait_for(user["email"], "Confirm your e-mail address")
    assert link(message, "/verify-email").startswith(api.base_url + "/verify-email?token=")
    assert message.get_body(("html",)) is not None        # plain text and HTML
    token = token_in(message, "/verify-email")
    assert ok(api.post("/auth/verify-email", json={"token": token}), 204) is None
    me = ok(api.get("/me", user=user))
    assert me["email_verified"] is True and me["pending_email"] is None
    assert "token" in field_errors(api.post("/auth/verify-email", json={"token": token}))   # once only


def test_a_new_link_ends_the_older_one(api, forum, mailbox):
    user = forum.user()
    first = verification_token(mailbox, user)
    assert ok(api.post("/auth/resend-verification", user=user), 202) == ACCEPTED
    second = verification_token(mailbox, user, count=2)
    assert second != first
    assert "token" in field_errors(api.post("/auth/verify-email", json={"token": first}))
    ok(api.post("/auth/verify-email", json={"token": second}), 204)
    problem(api.post("/auth/resend-verification"), 401)


def test_bad_tokens_are_422_not_500(api):
    for token in ("", "x", "x" * 129, "not-a-token-at-all"):
        assert "token" in field_errors(api.post("/auth/verify-email", json={"token": token}))
        body = {"token": token, "new_password": "a fine new password"}
        assert "token" in field_errors(api.post("/auth/password-reset/confirm", json=body))


def test_reset_answers_the_same_for_known_and_unknown_addresses(api, forum):
    user = forum.user()
    known = api.post("/auth/password-reset", headers=from_address(), json={"email": user["email"]})
    unknown = api.post("/auth/password-reset", headers=from_address(), json={"email": unique("nobody") + "@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content and known.json() == ACCEPTED
    assert known.headers["Content-Type"] == unknown.headers["Content-Type"]


def test_password_reset_sets_a_new_password_and_ends_everything_older(api, forum, mailbox):
    user = forum.user()
    ok(api.post("/auth/password-reset", headers=from_address(), json={"email": user["email"]}), 202)
    ok(api.post("/auth/password-reset", headers=from_address(), json={"email": user["email"]}), 202)
    older = token_in(mailbox.wait_for(user["email"], "Reset your password", 1), "/reset-password")
    newest = token_in(mailbox.wait_for(user["email"], "Reset your password", 2), "/reset-password")
    assert link(mailbox.wait_for(user["email"], "Reset your password", 2), "/reset-password").startswith(
        api.base_url + "/reset-password?token=")
    body = {"token": older, "new_password": "a brand new passphrase"}
    assert "token" in field_errors(api.post("/auth/password-reset/confirm", json=body))   # replaced by newest
    assert "new_password" in field_errors(api.post("/auth/password-reset/confirm",
                                                   json={"token": newest, "new_password": "short"}))
    ok(api.post("/auth/password-reset/confirm", json={**body, "token": newest}), 204)
    assert "token" in field_errors(api.post("/auth/password-reset/confirm", json={**body, "token": newest}))
    problem(api.get("/me", user=user), 401)                                  # the old token has ended
    problem(api.post("/auth/login", headers=from_address(),
                     json={"login": user["username"], "password": user["password"]}), 401)
    login = ok(api.post("/auth/login", json={"login": user["username"], "password": "a brand new passphrase"}))
    assert ok(api.get("/me", token=login["access_token"]))["email_verified"] is True   # the link proved it


def test_reset_requests_are_limited_per_address_known_or_not(api, forum):
    user = forum.user()
    for email in (user["email"], unique("ghost") + "@example.org"):
        answers = [api.post("/auth/password-reset", headers=from_address(), json={"email": email})
                   for _ in range(4)]
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert "Retry-After" in answers[-1].headers
    assert "email" in field_errors(api.post("/auth/password-reset", json={"email": "not an address"}))
    client = from_address()                                     # and per client, whatever the address
    answers = [api.post("/auth/password-reset", headers=client, json={"email": unique("any") + "@example.org"})
               for _ in range(11)]
    assert [a.status_code for a in answers] == [202] * 10 + [429]


def test_changing_the_address_keeps_the_old_one_until_the_new_one_is_verified(api, forum, mailbox):
    user = verified_user(api, forum, mailbox)
    new = unique("new") + "@example.org"
    me = ok(api.patch("/me", user=user, json={"email": new}))
    assert me["email"] == user["email"] and me["pending_email"] == new and me["email_verified"] is True
    other = forum.user()
    problem(api.patch("/me", user=other, json={"email": user["email"]}), 409)   # someone's address
    token = token_in(mailbox.wait_for(new, "Confirm your e-mail address"), "/verify-email")
    ok(api.post("/auth/verify-email", json={"token": token}), 204)
    me = ok(api.get("/me", user=user))
    assert me["email"] == new and me["pending_email"] is None and me["email_verified"] is True
    ok(api.post("/auth/login", json={"login": new, "password": user["password"]}))


def test_watching_posts_and_questions(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    forum.join(group, carol)
    post = forum.post(group, alice)
    ok(api.put(f"/posts/{post['id']}/watch", user=carol), 204)
    ok(api.put(f"/posts/{post['id']}/watch", user=carol), 204)                  # already watching: fine
    ok(api.delete(f"/posts/{post['id']}/watch", user=alice), 204)               # the author stops
    forum.comment(post, bob)
    assert [n["kind"] for n in forum.notifications(carol)] == ["comment"]
    assert forum.notifications(alice) == []
    forum.comment(post, carol)                                                  # bob watches since he commented
    assert [n["kind"] for n in forum.notifications(bob)] == ["comment"]

    question = forum.question(alice)
    ok(api.put(f"/questions/{question['id']}/watch", user=bob), 204)
    forum.answer(question, carol)
    assert [n["kind"] for n in forum.notifications(alice)] == ["answer"]        # authors watch
    assert [n["kind"] for n in forum.notifications(bob)] == ["answer", "comment"]
    ok(api.delete(f"/questions/{question['id']}/watch", user=bob), 204)

    problem(api.put(f"/posts/{post['id']}/watch"), 401)
    problem(api.put("/posts/999999999/watch", user=bob), 404)
    problem(api.delete("/questions/999999999/watch", user=bob), 404)


def test_e_mail_preference_and_one_click_unsubscribe(api, forum, mailbox):
    alice, bob = verified_user(api, forum, mailbox), forum.user()
    question = forum.question(alice)
    assert "email" in field_errors(api.patch("/me/preferences", user=alice, json={"email": "weekly"}))
    assert ok(api.patch("/me/preferences", user=alice, json={"email": "instant"})) == {"email": "instant"}
    forum.answer(question, bob, content="First answer")
    message = mailbox.wait_for(alice["email"], "New answer to a question you watch")
    assert "First answer" in message.get_body(("plain",)).get_content()
    assert link(message, f"/questions/{question['id']}")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(api.base_url + "/api/v1/email/unsubscribe?token=")
    one_click = requests.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, timeout=30)   # as RFC 8058 says
    assert one_click.status_code == 204
    problem(api.post("/email/unsubscribe?token=" + unique("forged")), 400)
    problem(api.post(unsubscribe.replace("token=", f"token={alice['id'] + 1}") + "x"), 400)

    forum.answer(question, bob, content="Second answer")                        # no e-mail for this one ...
    ok(api.post("/auth/password-reset", headers=from_address(), json={"email": alice["email"]}), 202)
    mailbox.wait_for(alice["email"], "Reset your password")                     # ... the outbox sends in order
    assert [m["Subject"] for m in mailbox.received(alice["email"])].count("New answer to a question you watch") == 1
