"""The wording of every e-mail the forum sends, in one place: subjects, paragraphs, link texts.

An operation queues a message by template name and parameters (``Send("reset", {...}, user_id)``);
the sender (:mod:`shared.mail`) renders it here when it delivers, into a plain-text part and an
HTML part made from the same words, in the recipient's language (their ``locale``, API.md §8): every
sentence below is marked for the catalog and said with :func:`shared.i18n.translate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from shared.i18n import DEFAULT_LOCALE, Text, _l, _ln, translate

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
    subject: Text
    paragraphs: tuple[Text, ...]     # %(username)s stands for the recipient's name
    action: Text                     # the link's text
    path: str                        # the link, under the site's base URL ({token}: the message's token)


HELLO = _l("Hello %(username)s,")
ACCOUNT: dict[str, Wording] = {
    "verify": Wording(
        _l("Confirm your e-mail address"),
        (HELLO,
         _ln("please confirm that this is your e-mail address by opening the link below within %(num)d hour. "
             "It works once.",
             "please confirm that this is your e-mail address by opening the link below within %(num)d hours. "
             "It works once.", VERIFY_HOURS),
         _l("If you did not sign up or change your address on the forum, ignore this message.")),
        _l("Confirm my address"), "/verify-email?token={token}"),
    "reset": Wording(
        _l("Reset your password"),
        (HELLO,
         _ln("someone (we hope you) asked to reset the password of your forum account. Open the link below "
             "within %(num)d hour to choose a new one. It works once, and signs you out everywhere.",
             "someone (we hope you) asked to reset the password of your forum account. Open the link below "
             "within %(num)d hours to choose a new one. It works once, and signs you out everywhere.", RESET_HOURS),
         _l("If you did not ask for this, ignore this message: your password stays as it is.")),
        _l("Choose a new password"), "/reset-password?token={token}"),
}

NOTIFICATION_SUBJECTS: dict[str, Text] = {
    "comment": _l("New comment on a post you watch"),
    "answer": _l("New answer to a question you watch"),
    "reply": _l("New reply to you"),
    "like": _l("Someone liked what you wrote"),
    "mention": _l("You were mentioned"),
    "application": _l("New application to your group"),
    "approved": _l("Your application was approved"),
    "rejected": _l("Your application was rejected"),
}
OTHER_NOTIFICATION = _l("New activity on the forum")
OPEN_IT = _l("Open it on the forum")
SETTINGS_LINE = _l("You get these because of your e-mail settings: %(url)s")
TARGET_PATHS = {"post": "/posts/{id}", "question": "/questions/{id}", "group": "/groups/{id}", "user": "/users/{id}"}


def target_path(target_type: str, target_id: int) -> str:
    return TARGET_PATHS.get(target_type, "/notifications").format(id=int(target_id))


def render(template: str, params: Mapping[str, Any], base_url: str, locale: str = DEFAULT_LOCALE) -> Rendered:
    """A queued message's subject and both bodies in ``locale``; unknown templates are a bug (KeyError)."""
    base = base_url.rstrip("/")

    def say(message: Text, **values: Any) -> str:
        return translate(message, locale) % values if values else translate(message, locale)

    if template in ACCOUNT:
        wording = ACCOUNT[template]
        paragraphs = [say(p, username=params["username"]) if p is HELLO else say(p) for p in wording.paragraphs]
        return _render(say(wording.subject), paragraphs,
                       [(say(wording.action), base + wording.path.format(token=params["token"]))])
    footer = say(SETTINGS_LINE, url=base + "/settings")
    unsubscribe = base + "/api/v1/email/unsubscribe?token=" + str(params["unsubscribe"])
    if template == "notification":
        subject = say(NOTIFICATION_SUBJECTS.get(params["kind"], OTHER_NOTIFICATION))
        link = base + target_path(params["target_type"], params["target_id"])
        return _render(subject, [params["excerpt"]], [(say(OPEN_IT), link)], footer, unsubscribe)
    if template == "digest":
        items = params["items"]
        links = [(say(_l("%(what)s: %(excerpt)s", what=NOTIFICATION_SUBJECTS.get(i["kind"], OTHER_NOTIFICATION),
                         excerpt=i["excerpt"])), base + target_path(i["target_type"], i["target_id"])) for i in items]
        subject = say(_ln("Your day on the forum: %(num)d new notification",
                          "Your day on the forum: %(num)d new notifications", len(items)))
        return _render(subject, [], links, footer, unsubscribe)
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
