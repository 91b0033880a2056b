"""Groups: create and edit them, join (at once or by the owner's approval), leave, list members.

A group row carries its ``member_count``; it moves in the same transaction as the membership row it
counts. Lock order, as everywhere: the group row first (``UPDATE forum_groups ...``), then the rows
under it, so two joins never deadlock on MySQL.

The caller's ``membership`` (``none``, ``pending``, ``member``, ``owner``) comes from two LEFT JOINs
in the query that reads the groups, so a page of groups costs one query, whoever asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import StringConstraints

from shared.auth import Viewer
from shared.clock import db_time, iso
from shared.errors import BadRequest, Conflict, Forbidden, NotFound
from shared.i18n import _l
from shared.pagination import page, parse_page
from shared.shapes import ApplicationStatus, JoinPolicy, user_columns, user_summary
from shared.storage import search
from shared.storage.effects import READ_ONLY, Compute, Op, Query, Transaction, read_only
from shared.storage.notifications import notify
from shared.storage.roles import refuse_banned
from shared.storage.threads import Keyset, exists, fetch_page
from shared.storage.users import record_upload
from shared.uploads import MAX_PIXELS, process_image, save_image
from shared.validation import Body, check_id, parse

MAX_COVER_BYTES = 2 * 1024 * 1024
MAX_SEARCH_CHARS = 100
NEWEST_FIRST = Keyset(("g.id",))
MEMBERS_IN_ORDER = Keyset(("m.id",), descending=False)       # the owner (first member) heads the list
APPLICATIONS_NEWEST = Keyset(("a.id",))
USER_GROUPS_NEWEST = Keyset(("um.id",))                       # most recently joined first (key: um_id)
APPLICATION_STATUSES = get_args(ApplicationStatus)

GroupName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Category = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class NewGroup(Body):
    name: GroupName
    category: Category
    description: Description = ""
    join_policy: JoinPolicy = "open"


class GroupChanges(Body):
    name: GroupName | None = None
    category: Category | None = None
    description: Description | None = None
    join_policy: JoinPolicy | None = None


class NewApplication(Body):
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""


class Decision(Body):
    status: Literal["approved", "rejected"]


# -- reading groups ---------------------------------------------------------------------------------

# The viewer's id is bound twice (membership and pending application); NULL for anonymous matches nothing.
_GROUP_COLUMNS = (
    "g.id, g.name, g.category, g.description, g.join_policy, g.cover_url, g.member_count, g.post_count,"
    " g.created_at, vm.role AS viewer_role, va.id AS viewer_pending, " + user_columns("u", "owner_")
)
_GROUP_JOINS = (
    " JOIN users u ON u.id = g.owner_id"
    " LEFT JOIN memberships vm ON vm.group_id = g.id AND vm.user_id = %s"
    " LEFT JOIN applications va ON va.group_id = g.id AND va.user_id = %s AND va.pending = 1"
)
_GROUP_SELECT = f"SELECT {_GROUP_COLUMNS} FROM forum_groups g{_GROUP_JOINS}"  # noqa: S608
_USER_GROUPS_SELECT = (
    f"SELECT {_GROUP_COLUMNS}, um.id AS um_id FROM memberships um"  # noqa: S608
    f" JOIN forum_groups g ON g.id = um.group_id{_GROUP_JOINS}"
)


def shape_group(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Group`, with the caller's ``membership``."""
    membership = row["viewer_role"] or ("pending" if row["viewer_pending"] else "none")
    return {
        "id": row["id"],
        "name": row["name"],
        "category": row["category"],
        "description": row["description"],
        "join_policy": row["join_policy"],
        "cover_url": row["cover_url"],
        "owner": user_summary(row, "owner_"),
        "member_count": row["member_count"],
        "post_count": row["post_count"],
        "created_at": iso(row["created_at"]),
        "membership": membership,
    }


def _group(viewer: Viewer, group_id: int) -> Op[dict[str, Any]]:
    row = yield Query(_GROUP_SELECT + " WHERE g.id = %s", (viewer.user_id, viewer.user_id, group_id), "row")
    if row is None:
        raise NotFound("group")
    return shape_group(row)


def require_owner(viewer: Viewer, group_id: int) -> Op[int]:
    """The caller's id if the caller owns the group: 401 anonymous, 404 no group, 403 someone else's."""
    user_id = viewer.require()
    check_id(group_id, "group")
    owner_id = yield Query("SELECT owner_id FROM forum_groups WHERE id = %s", (group_id,), "value")
    if owner_id is None:
        raise NotFound("group")
    if owner_id != user_id:
        raise Forbidden(_l("Only the group's owner may do this."))
    return user_id


def membership_role(group_id: int, user_id: int) -> Op[str | None]:
    """``owner``, ``moderator``, ``member`` or None: what posting and commenting in a group check."""
    role: str | None = yield Query("SELECT role FROM memberships WHERE group_id = %s AND user_id = %s",
                                   (group_id, user_id), "value")
    return role


def _text_filter(query: Mapping[str, str], name: str, max_chars: int) -> str | None:
    value = query.get(name, "").strip()
    if len(value) > max_chars:
        raise BadRequest(_l("%(name)s: at most %(num)d characters", name=name, num=max_chars))
    return value or None


def _like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own wildcards taken literally ('!' is the escape on both engines)."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


@read_only
def list_groups(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """Groups newest first; ``?category=`` exactly, ``?q=`` anywhere in the name or description."""
    request = parse_page(query)
    where = ["1 = 1"]                          # no filter yet: every group
    params: list[Any] = [viewer.user_id, viewer.user_id]
    category = _text_filter(query, "category", 32)
    if category:
        where.append("g.category = %s")
        params.append(category)
    search = _text_filter(query, "q", MAX_SEARCH_CHARS)
    if search:
        where.append("(g.name LIKE %s ESCAPE '!' OR g.description LIKE %s ESCAPE '!')")
        params += [_like_pattern(search)] * 2
    rows = yield from fetch_page(_GROUP_SELECT, where, params, NEWEST_FIRST, request)
    return page(rows, request, NEWEST_FIRST.key, shape_group)


@read_only
def get_group(viewer: Viewer, group_id: int) -> Op[dict[str, Any]]:
    check_id(group_id, "group")
    return (yield from _group(viewer, group_id))


@read_only
def list_user_groups(viewer: Viewer, user_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """The groups a user belongs to, most recently joined first."""
    check_id(user_id, "user")
    request = parse_page(query)
    rows = yield from fetch_page(_USER_GROUPS_SELECT, ["um.user_id = %s"],
                                 [viewer.user_id, viewer.user_id, user_id], USER_GROUPS_NEWEST, request)
    if not rows and not (yield from exists("users", user_id)):
        raise NotFound("user")
    return page(rows, request, lambda r: [r["um_id"]], shape_group)


# -- writing groups ---------------------------------------------------------------------------------

def _name_free(name: str, group_id: int = 0) -> Op[None]:
    """409 for a name another group has (ignoring case); the unique index still settles a race."""
    other = yield Query("SELECT id FROM forum_groups WHERE name = %s AND id <> %s", (name, group_id), "value")
    if other is not None:
        raise Conflict(_l("A group with that name already exists."))


def create_group(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """A new group; its creator is the owner and first member."""
    user_id = viewer.require()
    data = parse(NewGroup, body)
    found = yield from search.terms(data.name, data.description)
    yield from _name_free(data.name)
    now = db_time()
    group_id = yield Query(
        "INSERT INTO forum_groups (name, category, description, join_policy, owner_id, member_count, post_count,"
        " created_at) VALUES (%s, %s, %s, %s, %s, 1, 0, %s)",
        (data.name, data.category, data.description, data.join_policy, user_id, now), "lastrowid")
    yield Query("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, 'owner', %s)",
                (group_id, user_id, now), "lastrowid")
    yield from search.add("group", group_id, found, None)
    return (yield from _group(viewer, group_id))


def update_group(viewer: Viewer, group_id: int, body: Any) -> Op[dict[str, Any]]:
    """Change name, category, description or join policy (owner only); fields left out stay."""
    yield READ_ONLY                                  # check, then find the words with nothing held, then write
    yield from require_owner(viewer, group_id)
    data = parse(GroupChanges, body)
    changes = data.model_dump(exclude_none=True)     # keys are GroupChanges' field names only
    found = yield from search.terms(changes.get("name"), changes.get("description"))
    yield Transaction()
    if "name" in changes:
        yield from _name_free(changes["name"], group_id)
    if changes:
        assignments = ", ".join(f"{name} = %s" for name in changes)
        yield Query(f"UPDATE forum_groups SET {assignments} WHERE id = %s",  # noqa: S608
                    (*changes.values(), group_id), "rowcount")
        yield from search.change("group", group_id, found)
    return (yield from _group(viewer, group_id))


def set_cover(viewer: Viewer, group_id: int, data: bytes, media_dir: str) -> Op[dict[str, Any]]:
    """Replace the group's cover image (owner only), checked and re-encoded like an avatar.

    Read who owns it, decode and write the image with nothing held, then one short write."""
    yield Transaction(read_only=True)
    user_id = yield from require_owner(viewer, group_id)
    img = yield Compute(process_image, (data, MAX_COVER_BYTES, MAX_PIXELS, "cover"))
    url = yield Compute(save_image, (img, media_dir))
    yield Transaction()
    yield Query("UPDATE forum_groups SET cover_url = %s WHERE id = %s", (url, group_id), "rowcount")
    yield from record_upload(user_id, "cover", url, img)
    return (yield from _group(viewer, group_id))


# -- joining and leaving ----------------------------------------------------------------------------

_APPLICATION_SELECT = (
    "SELECT a.id, a.group_id, a.reason, a.status, a.created_at, "  # noqa: S608
    + user_columns("u", "user_")
    + " FROM applications a JOIN users u ON u.id = a.user_id"
)


def shape_application(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Application`."""
    return {
        "id": row["id"],
        "group_id": row["group_id"],
        "user": user_summary(row, "user_"),
        "reason": row["reason"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
    }


def _application(application_id: int) -> Op[dict[str, Any]]:
    row = yield Query(_APPLICATION_SELECT + " WHERE a.id = %s", (application_id,), "row")
    return shape_application(row)


def _count_member(group_id: int, delta: int) -> Op[None]:
    """Move the group's member count: always the first write on the group, so the group row is locked first."""
    yield Query("UPDATE forum_groups SET member_count = member_count + %s WHERE id = %s", (delta, group_id),
                "rowcount")


def _insert_member(group_id: int, user_id: int) -> Op[None]:
    yield Query("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (%s, %s, 'member', %s)",
                (group_id, user_id, db_time()), "lastrowid")


def apply(viewer: Viewer, group_id: int, body: Any) -> Op[dict[str, Any]]:
    """Ask to join: an open group lets the caller in at once; otherwise the owner is asked (and told).

    Already a member, or already waiting for an answer: 409.
    """
    user_id = viewer.require()
    check_id(group_id, "group")
    data = parse(NewApplication, body)
    group = yield Query("SELECT owner_id, join_policy FROM forum_groups WHERE id = %s", (group_id,), "row")
    if group is None:
        raise NotFound("group")
    if (yield from membership_role(group_id, user_id)) is not None:
        raise Conflict(_l("You are already a member of this group."))
    pending = yield Query("SELECT id FROM applications WHERE group_id = %s AND user_id = %s AND pending = 1",
                          (group_id, user_id), "value")
    if pending is not None:
        raise Conflict(_l("You have already applied; the owner has not decided yet."))
    yield from refuse_banned(user_id, group_id)       # a group ban in force: 403 with its reason and end
    now = db_time()
    if group["join_policy"] == "open":
        yield from _count_member(group_id, +1)
        yield from _insert_member(group_id, user_id)        # a concurrent join of the same user: 409
        status, pending_flag, decided_at = "approved", None, now
    else:
        status, pending_flag, decided_at = "pending", 1, None
    application_id = yield Query(
        "INSERT INTO applications (group_id, user_id, reason, status, pending, created_at, decided_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (group_id, user_id, data.reason, status, pending_flag, now, decided_at), "lastrowid")
    if status == "pending":
        yield from notify(group["owner_id"], "application", user_id, "group", group_id, data.reason)
    return (yield from _application(application_id))


@read_only
def list_applications(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """The group's applications, newest first, optionally one ``?status=`` (owner only)."""
    yield from require_owner(viewer, group_id)
    request = parse_page(query)
    where = ["a.group_id = %s"]
    params: list[Any] = [group_id]
    status = query.get("status")
    if status is not None:
        if status not in APPLICATION_STATUSES:
            raise BadRequest(_l("status: must be pending, approved or rejected"))
        where.append("a.status = %s")
        params.append(status)
    rows = yield from fetch_page(_APPLICATION_SELECT, where, params, APPLICATIONS_NEWEST, request)
    return page(rows, request, APPLICATIONS_NEWEST.key, shape_application)


def decide_application(viewer: Viewer, group_id: int, application_id: int, body: Any) -> Op[dict[str, Any]]:
    """Approve or reject a pending application (owner only); the applicant is notified.

    An application already decided is a 409 (also when two decisions race: only one moves it).
    """
    owner_id = yield from require_owner(viewer, group_id)
    check_id(application_id, "application")
    data = parse(Decision, body)
    applicant = yield Query("SELECT user_id FROM applications WHERE id = %s AND group_id = %s",
                            (application_id, group_id), "value")
    if applicant is None:
        raise NotFound("application")
    approved = data.status == "approved"
    if approved:
        yield from _count_member(group_id, +1)
    moved = yield Query(
        "UPDATE applications SET status = %s, pending = NULL, decided_at = %s WHERE id = %s AND pending = 1",
        (data.status, db_time(), application_id), "rowcount")
    if moved == 0:                  # decided before, or by a concurrent request: nothing is written
        raise Conflict(_l("This application has already been decided."))
    if approved:
        yield from _insert_member(group_id, applicant)
    name = yield Query("SELECT name FROM forum_groups WHERE id = %s", (group_id,), "value")
    yield from notify(applicant, data.status, owner_id, "group", group_id, name)
    return (yield from _application(application_id))


_MEMBER_SELECT = (
    f"SELECT m.id, m.role, m.joined_at, {user_columns('u', 'user_')} FROM memberships m"  # noqa: S608
    " JOIN users u ON u.id = m.user_id"
)


def shape_member(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.Member`."""
    return {"user": user_summary(row, "user_"), "role": row["role"], "joined_at": iso(row["joined_at"])}


@read_only
def list_members(viewer: Viewer, group_id: int, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    """``{user, role, joined_at}`` in the order they joined (the owner first)."""
    check_id(group_id, "group")
    request = parse_page(query)
    rows = yield from fetch_page(_MEMBER_SELECT, ["m.group_id = %s"], [group_id], MEMBERS_IN_ORDER, request)
    if not rows and not (yield from exists("forum_groups", group_id)):
        raise NotFound("group")
    return page(rows, request, MEMBERS_IN_ORDER.key, shape_member)


def leave(viewer: Viewer, group_id: int) -> Op[None]:
    """Leave a group. Not a member: 404 (there is no membership to delete). The owner: 409."""
    user_id = viewer.require()
    check_id(group_id, "group")
    role = yield from membership_role(group_id, user_id)
    if role is None:
        raise NotFound("membership")
    if role == "owner":
        raise Conflict(_l("The owner cannot leave the group."))
    yield from _count_member(group_id, -1)
    deleted = yield Query("DELETE FROM memberships WHERE group_id = %s AND user_id = %s", (group_id, user_id),
                          "rowcount")
    if deleted == 0:                # a concurrent leave won: roll back, so the count moves once
        raise NotFound("membership")
