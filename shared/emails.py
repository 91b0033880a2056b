"""The wording of every e-mail the forum sends, in one place: subjects, paragraphs, link texts.

An operation queues a message by template name and parameters (``Send("reset", {...}, user_id)``);
the sender (:mod:`shared.mail`) renders it here when it delivers, into a plain-text part and an
HTML part made from the same words. Translating the e-mails (API.md §8) means translating this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

VERIFY_HOURS = 48
RESET_HOURS = 1


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    unsubscribe: str | None = None     # the one-click unsubscribe URL (RFC 8058), for notification e-mail


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str
    paragraphs: tuple[str, ...]
    action: str               # the link's text
    path: str                 # the link, under the site's base URL


ACCOUNT: dict[str, Wording] = {
    "verify": Wording(
        "Confirm your e-mail address",
        ("Hello {username},",
         "please confirm that this is your e-mail address by opening the link below within "
         f"{VERIFY_HOURS} hours. It works once.",
         "If you did not sign up or change your address on the forum, ignore this message."),
        "Confirm my address", "/verify-email?token={token}"),
    "reset": Wording(
        "Reset your password",
        ("Hello {username},",
         "someone (we hope you) asked to reset the password of your forum account. Open the link "
         f"below within {RESET_HOURS} hour to choose a new one. It works once, and signs you out everywhere.",
         "If you did not ask for this, ignore this message: your password stays as it is."),
        "Choose a new password", "/reset-password?token={token}"),
}

NOTIFICATION_SUBJECTS: dict[str, str] = {
    "comment": "New comment on a post you watch",
    "answer": "New answer to a question you watch",
    "reply": "New reply to you",
    "like": "Someone liked what you wrote",
    "mention": "You were mentioned",
    "application": "New application to your group",
    "approved": "Your application was approved",
    "rejected": "Your application was rejected",
}
OTHER_NOTIFICATION = "New activity on the forum"
DIGEST_SUBJECT = "Your day on the forum: {count} new notification(s)"
OPEN_IT = "Open it on the forum"
SETTINGS_LINE = "You get these because of your e-mail settings: {url}"
TARGET_PATHS = {"post": "/posts/{id}", "question": "/questions/{id}", "group": "/groups/{id}", "user": "/users/{id}"}


def target_path(target_type: str, target_id: int) -> str:
    return TARGET_PATHS.get(target_type, "/notifications").format(id=int(target_id))


def render(template: str, params: Mapping[str, Any], base_url: str) -> Rendered:
    """A queued message's subject and both bodies; unknown templates are a bug (KeyError)."""
    base = base_url.rstrip("/")
    if template in ACCOUNT:
        wording = ACCOUNT[template]
        paragraphs = [p.format(**params) for p in wording.paragraphs]
        return _render(wording.subject, paragraphs, [(wording.action, base + wording.path.format(**params))])
    footer = SETTINGS_LINE.format(url=base + "/settings")
    unsubscribe = base + "/api/v1/email/unsubscribe?token=" + str(params["unsubscribe"])
    if template == "notification":
        subject = NOTIFICATION_SUBJECTS.get(params["kind"], OTHER_NOTIFICATION)
        link = base + target_path(params["target_type"], params["target_id"])
        return _render(subject, [params["excerpt"]], [(OPEN_IT, link)], footer, unsubscribe)
    if template == "digest":
        items = params["items"]
        links = [(f"{NOTIFICATION_SUBJECTS.get(i['kind'], OTHER_NOTIFICATION)}: {i['excerpt']}",
                  base + target_path(i["target_type"], i["target_id"])) for i in items]
        return _render(DIGEST_SUBJECT.format(count=len(items)), [], links, footer, unsubscribe)
    raise KeyError(f"no wording for e-mail template {template!r}")


def _render(subject: str, paragraphs: list[str], links: list[tuple[str, str]], footer: str = "",
            unsubscribe: str | None = None) -> Rendered:
    text = "\n\n".join([*paragraphs, *(f"{label}:\n{url}" for label, url in links),
                        *([f"-- \n{footer}"] if footer else [])]) + "\n"
    html = "".join([*(f"<p>{escape(p)}</p>" for p in paragraphs),
                    *(f'<p><a href="{escape(url)}">{escape(label)}</a></p>' for label, url in links),
                    *([f"<hr><p><small>{escape(footer)}</small></p>"] if footer else [])])
    page = f'<!DOCTYPE html><html><body style="font-family: sans-serif">{html}</body></html>\n'
    return Rendered(subject, text, page, unsubscribe)
