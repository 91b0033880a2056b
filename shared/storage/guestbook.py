"""The guestbook: anyone may sign it (rate-limited by the apps), anyone may read it, newest first.

Name and message are required; email and address may be left out or empty (a form sends empty
fields as ""), but an email that is given must be a valid address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator
from pydantic.networks import validate_email

from shared.auth import Viewer
from shared.clock import db_time, iso
from shared.pagination import page, parse_page
from shared.storage.effects import Op, Query, read_only
from shared.storage.threads import Keyset, fetch_page
from shared.validation import Body, parse

NEWEST_FIRST = Keyset(("id",))


class Signature(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    email: Annotated[str, StringConstraints(max_length=254)] = ""
    address: Annotated[str, StringConstraints(max_length=200)] = ""
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)]

    @field_validator("email")
    @classmethod
    def valid_if_given(cls, value: str) -> str:
        return validate_email(value)[1] if value else value


def shape_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """A :class:`shared.shapes.GuestbookEntry`."""
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "address": row["address"],
        "message": row["message"],
        "created_at": iso(row["created_at"]),
    }


@read_only
def list_entries(viewer: Viewer, query: Mapping[str, str]) -> Op[dict[str, Any]]:
    request = parse_page(query)
    rows = yield from fetch_page("SELECT id, name, email, address, message, created_at FROM guestbook",
                                 ["1 = 1"], [], NEWEST_FIRST, request)
    return page(rows, request, NEWEST_FIRST.key, shape_entry)


def sign(viewer: Viewer, body: Any) -> Op[dict[str, Any]]:
    """Add an entry → 201 entry."""
    data = parse(Signature, body)
    created_at = db_time()
    entry_id = yield Query(
        "INSERT INTO guestbook (name, email, address, message, created_at) VALUES (%s, %s, %s, %s, %s)",
        (data.name, data.email, data.address, data.message, created_at), "lastrowid")
    return shape_entry({"id": entry_id, **data.model_dump(), "created_at": created_at})
