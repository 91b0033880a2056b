"""Who may moderate what (API.md §6): the one rule, with no I/O, that every moderation operation asks.

A *scope* is where a thing lives: a group (a post or a comment, or a group's members and bans) or
the whole site (questions, answers, users, the report queue of everything). Site moderators and
admins moderate every scope; a group's owner and its moderators moderate that group only.
``shared.storage.moderation.moderates`` reads the viewer's two roles in one query and asks
:func:`may_moderate`; nothing else decides.
"""

from __future__ import annotations

from typing import Literal, get_args

SiteRole = Literal["member", "moderator", "admin"]
SITE_ROLES: tuple[str, ...] = get_args(SiteRole)
STAFF = frozenset({"moderator", "admin"})          # site roles that moderate everything
GROUP_STAFF = frozenset({"owner", "moderator"})    # membership roles that moderate their group

# What can be hidden, reported, or acted on; a report may also name a user.
ContentType = Literal["post", "comment", "question", "answer"]
CONTENT_TYPES: tuple[str, ...] = get_args(ContentType)
ReportTargetType = Literal["post", "comment", "question", "answer", "user"]
ReportReason = Literal["spam", "abuse", "off_topic", "other"]
Resolution = Literal["dismiss", "hide", "delete", "ban_author"]

# Every action the audit log records (one entry each, in the action's own transaction).
AuditAction = Literal["grant_role", "add_moderator", "remove_moderator", "hide", "restore", "delete",
                      "ban", "unban", "group_ban", "group_unban", "resolve_report", "delete_account"]
AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)


def may_moderate(site_role: str | None, group_role: str | None, group_id: int | None) -> bool:
    """Whether a viewer with these roles moderates a thing in ``group_id`` (None: a site-wide thing).

    ``group_role`` is the viewer's membership role in that group (None when not a member).
    """
    if site_role in STAFF:
        return True
    return group_id is not None and group_role in GROUP_STAFF


def is_admin(site_role: str | None) -> bool:
    return site_role == "admin"


def is_site_staff(site_role: str | None) -> bool:
    return site_role in STAFF
