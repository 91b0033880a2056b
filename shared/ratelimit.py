"""Rate limits, written once: the rules (settings), the checks (operations) and where they count.

A check is an operation like any other: it yields :class:`~shared.storage.effects.Hit` and decides
from the :class:`~shared.storage.effects.Count` it is sent back. The runner counts *first*, atomically,
and only then does the check decide, so fifty simultaneous wrong passwords for one account get fifty
different counts and only the first five are checked (RELIABILITY 40). Where the counts live is the
runner's business: in Redis when ``settings.redis_url`` is set (every process on every host), else
in the database (``shared.storage.ratelimits``: every worker of one deployment, RELIABILITY 42).

Counting is a fixed window per key: the first hit starts a window of ``rule.window`` seconds and
``Retry-After`` is what is left of it. Every rule is a setting (``FORUM_LIMIT_LOGIN=5/900`` ...).
The Redis counters are in :mod:`shared.redis_counters`: this module does no I/O.

    yield from throttle("guestbook", address)          # 429 once the sixth entry in a minute arrives
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from shared.config import ConfigError, Settings
from shared.errors import TooManyRequests
from shared.storage.effects import NOTHING, Count, Hit, Op, Reset

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int       # this many in one window is allowed; one more is refused
    window: int      # seconds


# The settings that hold each rule, as "count/seconds" (see shared.config.Settings).
RULE_SETTINGS: dict[str, str] = {
    "login": "limit_login",                   # attempts on one account
    "login-address": "limit_login_address",   # failed logins from one client address
    "guestbook": "limit_guestbook",           # entries from one client address
    "posting": "limit_posting",               # posts, comments, questions, answers by one user
    "password-reset": "limit_password_reset",                  # reset links for one e-mail address
    "password-reset-address": "limit_password_reset_address",  # reset links asked from one client
    "verification": "limit_verification",     # verification links sent for one user
    "uploads": "limit_uploads",               # images for text (POST /uploads) by one user
    "preview": "limit_preview",               # Markdown previews by one user
}

# Which write routes (method, path as in shared.routes) a throttle applies to, and who it counts.
ROUTE_RULES: dict[tuple[str, str], tuple[str, Literal["address", "user"]]] = {
    ("POST", "/guestbook"): ("guestbook", "address"),
    ("POST", "/groups/{group_id}/posts"): ("posting", "user"),
    ("POST", "/posts/{post_id}/comments"): ("posting", "user"),
    ("POST", "/questions"): ("posting", "user"),
    ("POST", "/questions/{question_id}/answers"): ("posting", "user"),
    ("POST", "/auth/password-reset"): ("password-reset-address", "address"),
    ("POST", "/auth/resend-verification"): ("verification", "user"),
    ("POST", "/uploads"): ("uploads", "user"),
    ("POST", "/markdown"): ("preview", "user"),
}


def parse_rule(name: str, text: str) -> Rule:
    """``"5/900"`` → five in 900 seconds; anything else stops start-up with a one-line message."""
    count, _, seconds = str(text).partition("/")
    if not (count.strip().isdigit() and seconds.strip().isdigit() and int(seconds) > 0):
        raise ConfigError(f"rate limit {name}: expected 'count/seconds' such as 5/900, not {text!r}")
    return Rule(name, int(count), int(seconds))


def rules_from(settings: Settings) -> dict[str, Rule]:
    """Every rule, from its setting."""
    return {name: parse_rule(name, getattr(settings, setting)) for name, setting in RULE_SETTINGS.items()}


# -- the checks, as operations ----------------------------------------------------------------------

def throttle(rule: str, who: str) -> Op[None]:
    """Count one request; 429 once more than the rule's limit arrive in one window."""
    count: Count = yield Hit(rule, who)
    if count.over:
        raise TooManyRequests(count.retry_after)


def throttle_route(method: str, path: str, user_id: int | None, address: str) -> Op[None]:
    """The throttle for one request to a route of ``shared.routes``: :data:`NOTHING` when none applies
    (every read), which the runners return from at once, so those requests run no operation for it."""
    found = ROUTE_RULES.get((method, path))
    if found is None:
        return NOTHING
    rule, per = found
    return throttle(rule, str(user_id) if per == "user" and user_id is not None else address)


def throttled(method: str, path: str, user_id: int | None, address: str, op: Op[T]) -> Op[T]:
    """The route's throttle, then ``op``, as one operation: a form shows a 429 like any other refusal,
    on the same page with what was typed (the pages run the API's rule for the same action)."""
    yield from throttle_route(method, path, user_id, address)
    return (yield from op)


def login_attempt(account: str, address: str) -> Op[None]:
    """Count an attempt on this account and from this address, then refuse it (429) if either is over."""
    per_account: Count = yield Hit("login", account)
    per_address: Count = yield Hit("login-address", address)
    for count in (per_account, per_address):
        if count.over:
            raise TooManyRequests(count.retry_after)


def login_succeeded(account: str, address: str) -> Op[None]:
    """A right password clears the account's count and gives the address its attempt back."""
    yield Reset("login", account)
    yield Hit("login-address", address, by=-1)


def account_key(login: str) -> str:
    """The counter key of a login that names no account: what a lenient collation would match.

    A login that matches an account is counted by that account's id, whatever was typed (the
    database did the matching). A login that matches none is counted by this folding, so look-alike
    spellings of one unknown name (case, full-width letters, accents, zero-width characters) still
    share one counter (RELIABILITY 41, UTS #39).
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", login).casefold())
    kept = (ch for ch in folded if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cf", "Zs", "Cc"))
    return "name:" + "".join(kept)


Rules = Mapping[str, Rule]
