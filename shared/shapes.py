"""The resources of API.md §3, once: what each JSON answer holds, and how users appear inside others.

Each resource is a ``TypedDict``. It is the one definition of that shape: ``shared.routes`` names
it as a route's answer, ``shared.openapi`` writes the document's schemas from it (pydantic), and
``tests/test_shapes.py`` checks that the operations answer exactly it, key for key and type for
type. The operations still build plain dict literals (``shape_post`` and friends, next to their
SQL): that is the fastest way to make a dict, and shaping runs for every item of every page.

A list of posts, comments or notifications fetches its authors in the same query with a JOIN and
aliased columns, so a page never costs one query per row:

    sql = f"SELECT p.*, {user_columns('u', 'author_')} FROM posts p JOIN users u ON u.id = p.user_id ..."
    ... user_summary(row, "author_")

``user_columns`` only ever formats identifiers the code itself passes (never user input), and
checks that they are identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Generic, Literal, NotRequired, TypeVar

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic reads typing's TypedDict only from Python 3.12

from shared.clock import iso
from shared.i18n import Locale
from shared.moderation import AuditAction, ReportReason, ReportTargetType, Resolution, SiteRole

T = TypeVar("T")
Id = Annotated[int, Field(ge=1)]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]   # clock.iso: UTC, "Z"
JoinPolicy = Literal["open", "approval"]
Membership = Literal["none", "pending", "member", "moderator", "owner"]
ApplicationStatus = Literal["pending", "approved", "rejected"]
NotificationKind = Literal["comment", "reply", "like", "answer", "application", "approved", "rejected", "mention",
                           "report_resolved"]

# An answer holds exactly its keys: the document says so (additionalProperties: false), and the
# shape tests refuse an extra one. A resource's docstring is its description in the document.
exact = with_config(ConfigDict(extra="forbid"))


@exact
class UserSummary(TypedDict):
    id: Id
    username: str
    nickname: str
    avatar_url: str | None


@exact
class User(TypedDict):
    id: Id
    username: str
    nickname: str
    bio: str
    avatar_url: str | None
    role: SiteRole
    created_at: Timestamp


@exact
class Me(User):
    """The caller's own account (/me): a User with its email, whether it is verified, a new address
    waiting for its verification link (the old one stays until then), and the language chosen for its
    pages and e-mail (null: none, the browser's decides)."""

    email: str
    email_verified: bool
    pending_email: str | None
    locale: Locale | None


@exact
class Token(TypedDict):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    user: User


@exact
class Group(TypedDict):
    id: Id
    name: str
    category: str
    description: str
    join_policy: JoinPolicy
    cover_url: str | None
    owner: UserSummary
    member_count: int
    post_count: int
    created_at: Timestamp
    membership: Membership     # the caller's


@exact
class Application(TypedDict):
    id: Id
    group_id: Id
    user: UserSummary
    reason: str
    status: ApplicationStatus
    created_at: Timestamp


@exact
class Member(TypedDict):
    user: UserSummary
    role: Literal["owner", "moderator", "member"]
    joined_at: Timestamp


@exact
class Post(TypedDict):
    id: Id
    group_id: Id
    author: UserSummary | None
    title: str
    content: str
    content_html: str
    pinned: bool
    locked: bool
    view_count: int
    comment_count: int
    like_count: int
    liked: bool
    created_at: Timestamp
    updated_at: Timestamp | None
    edited_at: Timestamp | None         # the last edit of its text (None: never edited)
    bookmarked: bool                    # by the caller (false when anonymous)
    unread_comments: int                # visible comments by others since the caller last opened it
    hidden: NotRequired[bool]           # only on hidden content, shown to its author and moderators
    hidden_reason: NotRequired[str]


@exact
class Comment(TypedDict):
    id: Id
    post_id: Id
    author: UserSummary | None
    content: str
    content_html: str
    parent_id: Id | None
    reply_to: UserSummary | None
    like_count: int
    liked: bool
    reply_count: int
    created_at: Timestamp
    edited_at: Timestamp | None
    hidden: NotRequired[bool]           # only on hidden content, shown to its author and moderators
    hidden_reason: NotRequired[str]


@exact
class Question(TypedDict):
    id: Id
    author: UserSummary | None
    title: str
    content: str
    content_html: str
    category: str
    view_count: int
    answer_count: int
    created_at: Timestamp
    updated_at: Timestamp | None
    edited_at: Timestamp | None
    accepted_answer_id: Id | None       # the answer its author accepted
    bookmarked: bool                    # by the caller (false when anonymous)
    unread_answers: int                 # visible answers by others since the caller last opened it
    hidden: NotRequired[bool]           # only on hidden content, shown to its author and moderators
    hidden_reason: NotRequired[str]


@exact
class Answer(TypedDict):
    id: Id
    question_id: Id
    author: UserSummary | None
    content: str
    content_html: str
    parent_id: Id | None
    reply_to: UserSummary | None
    like_count: int
    liked: bool
    reply_count: int
    created_at: Timestamp
    edited_at: Timestamp | None
    score: int                          # up votes minus down votes
    my_vote: Literal[-1, 0, 1]          # the caller's vote (0: none, or anonymous)
    accepted: bool                      # the answer the question's author accepted
    hidden: NotRequired[bool]           # only on hidden content, shown to its author and moderators
    hidden_reason: NotRequired[str]


@exact
class Revision(TypedDict):
    """One version of an edited text: the original (its author, when written), then one per edit."""

    id: Id
    editor: UserSummary | None
    title: str | None                   # posts and questions; None for comments and answers
    content: str
    created_at: Timestamp


@exact
class Vote(TypedDict):
    score: int
    my_vote: Literal[-1, 0, 1]


@exact
class Target(TypedDict):
    type: str
    id: Id


@exact
class Notification(TypedDict):
    id: Id
    kind: NotificationKind
    actor: UserSummary | None
    target: Target
    excerpt: str
    read: bool
    created_at: Timestamp


# -- bookmarks (API.md §10) ---------------------------------------------------------------------------

@exact
class Bookmark(TypedDict):
    """An item of ``GET /me/bookmarks``: the post or question kept, newest bookmark first."""

    type: Literal["post", "question"]
    id: Id                              # the post's or question's id
    title: str
    author: UserSummary | None
    group_id: Id | None                 # a post's group; None for a question
    reply_count: int                    # its comment_count or answer_count
    unread: int                         # its unread_comments or unread_answers
    created_at: Timestamp               # of the post or question
    bookmarked_at: Timestamp


@exact
class GuestbookEntry(TypedDict):
    id: Id
    name: str
    email: str | None
    address: str | None
    message: str
    created_at: Timestamp


@exact
class Like(TypedDict):
    liked: bool
    like_count: int


@exact
class Count(TypedDict):
    count: int


@exact
class NotificationEvent(TypedDict):
    """A new notification, on ``/ws/notifications`` and as ``event: notification`` on ``/api/v1/events``."""

    type: Literal["notification"]
    notification: Notification


@exact
class UnreadCountEvent(TypedDict):
    """The unread count as it is now: on connecting, after each notification and after marking read."""

    type: Literal["unread_count"]
    count: int


# The data of each event of ``GET /api/v1/events`` (one JSON object per ``data:`` line).
Event = NotificationEvent | UnreadCountEvent


@exact
class LinkPreview(TypedDict):
    url: str
    title: str | None
    description: str | None
    image: str | None


@exact
class UploadedImage(TypedDict):
    url: str          # /media/<random name>, for use as ![](url)
    width: int
    height: int


@exact
class Rendered(TypedDict):
    html: str         # sanitised, exactly as a post's content_html would be


@exact
class Status(TypedDict):
    status: str


@exact
class Preferences(TypedDict):
    """How the caller's notifications are e-mailed: not at all, one message each, or a daily digest."""

    email: Literal["off", "instant", "daily"]


@exact
class FieldProblem(TypedDict):
    field: str
    message: str


@exact
class Problem(TypedDict):
    """RFC 9457 problem details (shared.errors); errors only on a 422."""

    type: str
    title: str
    status: int
    detail: str
    errors: NotRequired[list[FieldProblem]]


@exact
class ReportTarget(TypedDict):
    type: ReportTargetType
    id: Id


@exact
class Report(TypedDict):
    """A report of a post, comment, question, answer or user, and what a moderator did about it."""

    id: Id
    target: ReportTarget
    reason: ReportReason
    note: str
    reporter: UserSummary | None
    status: Literal["open", "resolved"]
    resolution: Resolution | None
    resolver: UserSummary | None
    created_at: Timestamp
    resolved_at: Timestamp | None


@exact
class AuditEntry(TypedDict):
    """One moderation or role action; entries are never changed or deleted (actor null: the command line)."""

    id: Id
    actor: UserSummary | None
    action: AuditAction
    target: Target
    reason: str
    created_at: Timestamp


@exact
class Ban(TypedDict):
    user: UserSummary | None
    group_id: Id | None
    reason: str
    until: Timestamp | None
    created_at: Timestamp


@exact
class Stats(TypedDict):
    users: int
    posts: int
    comments: int
    questions: int
    answers: int
    open_reports: int
    signups_7d: int
    posts_7d: int


@exact
class Export(TypedDict):
    """Everything the caller made and was sent (GET /me/export)."""

    profile: Me
    groups: list[Group]
    posts: list[Post]
    comments: list[Comment]
    questions: list[Question]
    answers: list[Answer]
    notifications: list[Notification]


@exact
class SearchResult(TypedDict):
    """One search hit (API.md §7): ``excerpt_html`` is escaped text whose only markup is ``<mark>``."""

    type: Literal["post", "comment", "question", "answer", "group"]
    id: Id
    title: str
    excerpt_html: str
    author: UserSummary | None
    created_at: Timestamp
    url: str


@exact
class Page(TypedDict, Generic[T]):
    """A list answer: at most limit items, and a cursor exactly when more follow."""

    items: list[T]
    next_cursor: str | None


# -- users inside other resources -------------------------------------------------------------------

SUMMARY_FIELDS = tuple(UserSummary.__annotations__)     # id, username, nickname, avatar_url
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def user_columns(alias: str, prefix: str) -> str:
    """``u.id AS author_id, u.username AS author_username, ...`` for a JOINed users table."""
    if not _IDENTIFIER.match(alias) or not (prefix == "" or _IDENTIFIER.match(prefix)):
        raise ValueError(f"not an SQL identifier: {alias!r} / {prefix!r}")
    # An erased account (DELETE /me) reads as no user at all: "deleted user" on the pages.
    columns = [f"{alias}.{name} AS {prefix}{name}" for name in SUMMARY_FIELDS[1:]]
    return ", ".join([f"CASE WHEN {alias}.deleted_at IS NULL THEN {alias}.id END AS {prefix}id", *columns])


AUTHOR_COLUMNS = user_columns("u", "author_")
"""The usual case: the author of a row, from ``JOIN users u``, read back with ``user_summary(row, "author_")``."""


def user_summary(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any] | None:
    """A :class:`UserSummary` from (aliased) columns; None when a LEFT JOIN found nobody."""
    if row[prefix + "id"] is None:
        return None
    return {name: row[prefix + name] for name in SUMMARY_FIELDS}


def user_public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`User` anyone may see (no email)."""
    return {
        "id": row["id"],
        "username": row["username"],
        "nickname": row["nickname"],
        "bio": row["bio"],
        "avatar_url": row["avatar_url"],
        "role": row["role"],
        "created_at": iso(row["created_at"]),
    }


def user_private(row: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`Me` its owner sees on ``/me``: with email."""
    return {**user_public(row), "email": row["email"], "email_verified": bool(row["email_verified"]),
            "pending_email": row["pending_email"], "locale": row["locale"]}
