"""``forum deliver``: send what the outbox holds that is due, once, and say what is left.

The same pass the serving processes run every few seconds (:mod:`shared.mail`), from the command
line: for a cron job, or to flush the outbox by hand. It takes the same lease, so running it while
a server sends is safe: one of them delivers.
"""

from __future__ import annotations

from shared.config import Settings
from shared.mail import Mailer, deliver_sync, holder_name
from shared.storage import outbox
from shared.storage.drivers import open_sync
from shared.storage.runners import run_sync


def deliver_command(settings: Settings) -> int:
    db = open_sync(settings)
    mailer, holder = Mailer(settings), holder_name()
    try:
        sent = 0
        while True:   # pass after pass while full batches go out
            done = deliver_sync(db, mailer, holder, settings)
            sent += done
            if done < outbox.BATCH:
                break
        run_sync(db, outbox.release_lease(holder))
        left = run_sync(db, outbox.sent_count())
    finally:
        db.close()
    print(f"sent {sent}; {left['waiting']} waiting (a later pass retries them), "
          f"{left['failed']} refused for good ({mailer.describe()})")
    return 0
