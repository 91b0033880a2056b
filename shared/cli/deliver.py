"""``forum deliver``: send what the outbox holds that is due, once, and say what is left.

The same pass the serving processes run every few seconds (:mod:`shared.mail`), from the command
line: for a cron job, or to flush the outbox by hand. It takes the same lease, so running it while
a server sends is safe: one of them delivers. ``--every SECONDS`` keeps sending until SIGTERM, for a
deployment whose gunicorn or uWSGI is started without ``forum serve`` (``deploy/systemd/forum-mail.service``).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from typing import Any

from shared.config import Settings
from shared.mail import Mailer, SenderThread, deliver_sync, holder_name
from shared.storage import outbox
from shared.storage.drivers import open_sync
from shared.storage.runners import run_sync


def deliver_command(settings: Settings, every: float = 0) -> int:
    if every > 0:
        return keep_delivering(dataclasses.replace(settings, mail_interval=every))
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


def keep_delivering(settings: Settings) -> int:
    """A pass every ``mail_interval`` seconds until SIGTERM or SIGINT (then the lease is handed back).

    Started by a launcher (``forum serve gunicorn`` ...), it also stops when that launcher is gone,
    however it went: a sender never outlives the deployment it sends for."""
    stopping = threading.Event()
    parent = os.getppid()

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    db = open_sync(dataclasses.replace(settings, pool_size=2))
    sender = SenderThread(settings, db)
    print(f"forum: delivering every {settings.mail_interval:g} s ({sender.mailer.describe()})", flush=True)
    sender.start()
    while not stopping.wait(1.0) and os.getppid() == parent:
        pass
    sender.stop()
    db.close()
    return 0
