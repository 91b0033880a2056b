"""Languages (API.md §8): which one a request gets, and every message and date in it, once for both apps.

One gettext catalog serves everything: ``shared/translations/`` (kept with Babel: ``make messages``).
The Tornado app reads it with ``tornado.locale.load_gettext_translations`` for its templates' ``_()``,
the Flask app through Jinja's i18n extension, and this module with :mod:`gettext` for what the core
says: problem details, field messages, page titles, flash messages, notification wording, e-mails.

The core never knows who is reading, so it does not translate: it *marks* a message with :func:`_l`
(or :func:`_ln` for a count), which gives a :class:`Text`. A Text is a ``str`` holding its English
wording, so logs and tests read it as before, and it keeps its msgid and values, so the edge (a
problem+json answer, a page, an e-mail) says it in the reader's language with :func:`translate`.
"""

from __future__ import annotations

import gettext
import html
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta

from shared import clock

Locale = Literal["en", "zh-CN"]     # as <html lang>, ?lang=, the cookie and users.locale spell them
LOCALES: tuple[str, ...] = get_args(Locale)
DEFAULT_LOCALE = "en"
NAMES = {"en": "English", "zh-CN": "简体中文"}   # each in its own language, for the switcher
COOKIE = "lang"                     # the switcher's cookie
COOKIE_DAYS = 365
CATALOG_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
# The catalog's own names (gettext, Babel, Tornado): zh-CN is zh_CN.
CATALOG_NAMES = {"en": "en_US", "zh-CN": "zh_CN"}
RECENT = timedelta(days=7)          # newer than this: "3 minutes ago"; older: the date


class Text(str):
    """A message marked for translation: its English text as a ``str``, and what translating it takes.

    ``msgid`` (and ``plural`` with ``count``) are looked up in the catalog; ``values`` fill its
    ``%(name)s`` placeholders, each translated in turn when it is a Text too (a noun, a label).
    """

    __slots__ = ("msgid", "plural", "number", "values")
    msgid: str
    plural: str | None
    number: int | None          # the count a plural form is chosen by
    values: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, count: int | None = None,
                values: dict[str, Any] | None = None) -> Text:
        values = dict(values or {})
        english = msgid if plural is None or count == 1 else plural
        self = super().__new__(cls, english % values if values else english)
        self.msgid, self.plural, self.number, self.values = msgid, plural, count, values
        return self

    def __reduce__(self) -> Any:   # keeps the msgid when pickled (an exception crossing processes)
        return Text, (self.msgid, self.plural, self.number, self.values)


def _l(msgid: str, **values: Any) -> Text:
    """Mark a message: ``_l("No such %(what)s.", what=_l("post"))``. ``pybabel extract`` finds these calls."""
    return Text(msgid, values=values)


def _ln(singular: str, plural: str, count: int, **values: Any) -> Text:
    """Mark a message that counts: ``%(num)d`` is the count; the catalog's plural rule picks the form."""
    return Text(singular, plural, count, {"num": count, **values})


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of ``locale`` (English is the msgids themselves: no catalog)."""
    return gettext.translation(DOMAIN, CATALOG_DIR, languages=[CATALOG_NAMES.get(locale, "en_US")], fallback=True)


def translate(message: Any, locale: str) -> str:
    """``message`` in ``locale``: a :class:`Text` is looked up and filled in; any other value (a user's
    text, a name) is shown as it is."""
    if not isinstance(message, Text):
        return "" if message is None else str(message)
    catalog = translations(locale)
    if message.plural is None:
        text = catalog.gettext(message.msgid)
    else:
        text = catalog.ngettext(message.msgid, message.plural, message.number or 0)
    if not message.values:
        return text
    return text % {name: translate(value, locale) if isinstance(value, Text) else value
                   for name, value in message.values.items()}


def translate_html(message: Text, locale: str, **markup: str) -> str:
    """``message`` in ``locale`` as HTML: its words escaped, then filled with ``markup`` (HTML the caller
    built and escaped itself: a link), so a sentence can hold links wherever its language puts them."""
    catalog = translations(locale)
    return html.escape(catalog.gettext(message.msgid), quote=False) % markup


# -- which language ---------------------------------------------------------------------------------

def supported(tag: str | None) -> str | None:
    """The locale a language tag names, if we speak it: ``zh``, ``zh-cn``, ``zh_Hans_CN`` → ``zh-CN``;
    ``en-GB`` → ``en``. Any Chinese gets Simplified Chinese, the one Chinese we have."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return {"en": "en", "zh": "zh-CN"}.get(primary)


def from_accept_language(header: str | None) -> str:
    """The best of our locales for an ``Accept-Language`` header (q-values honoured), else English."""
    choices = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0 and supported(tag):
            choices.append((-quality, position, supported(tag)))
    return min(choices)[2] if choices else DEFAULT_LOCALE   # type: ignore[return-value]


def page_locale(query: str | None, cookie: str | None, user_locale: str | None, accept_language: str | None) -> str:
    """A page's language (API.md §8): ``?lang=``, then the switcher's cookie, then the user's own
    ``locale``, then ``Accept-Language``."""
    return supported(query) or supported(cookie) or supported(user_locale) or from_accept_language(accept_language)


# -- dates ------------------------------------------------------------------------------------------

def time_html(value: str | None, locale: str, zone: str = "UTC", now: datetime | None = None) -> str:
    """A time as the pages show it: ``<time datetime="…" title="full local time">3 minutes ago</time>``.

    Recent times (within :data:`RECENT`, either way) are relative, older ones are the date; the title
    is the full time in ``zone``. Babel words both in ``locale``, so both apps write the same bytes.
    """
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    now = (now or clock.now()).replace(tzinfo=UTC)
    where = ZoneInfo(zone)
    code = CATALOG_NAMES.get(locale, "en_US")
    age = moment - now
    if abs(age) < timedelta(minutes=1):
        shown = translate(_l("just now"), locale)
    elif abs(age) < RECENT:
        shown = format_timedelta(age, add_direction=True, locale=code)
    else:
        shown = format_date(moment.astimezone(where), "medium", locale=code)
    full = format_datetime(moment, "full", tzinfo=where, locale=code)
    return (f'<time datetime="{html.escape(clock.iso(moment) or "")}" title="{html.escape(full)}">'
            f"{html.escape(shown)}</time>")
