"""``forum admin grant USERNAME admin|moderator``, ``forum admin revoke USERNAME``, ``forum admin list``.

The first admin has to come from somewhere: the command line, run by whoever runs the server. It
drives the same operation as ``PUT /users/{id}/role``, so the change is audited too (with no actor:
the command line).
"""

from __future__ import annotations

import argparse

from shared.config import Settings
from shared.errors import ForumError
from shared.storage.drivers import BlockingDatabase, check_schema, open_sync
from shared.storage.moderation import change_role, find_user_id, list_staff
from shared.storage.runners import run_sync


def grant(db: BlockingDatabase, username: str, role: str) -> None:
    """Give ``username`` a site role (``member`` revokes); raises NotFound for an unknown user."""
    user_id = run_sync(db, find_user_id(username))
    run_sync(db, change_role(None, user_id, role))


def admin_command(settings: Settings, args: argparse.Namespace) -> int:
    db = open_sync(settings)
    try:
        check_schema(db)
        if args.action == "list":
            for user in run_sync(db, list_staff()):
                print(f"{user['role']:10s} {user['username']}")
            return 0
        role = args.role if args.action == "grant" else "member"
        grant(db, args.username, role)
        print(f"{args.username} is now {'an' if role == 'admin' else 'a'} {role}")
        return 0
    except ForumError as exc:
        print(f"forum admin: {exc.detail}")
        return 1
    finally:
        db.close()
