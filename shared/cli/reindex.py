"""``forum reindex``: rebuild the search index from the rows, with a progress bar.

The statements are in :mod:`shared.storage.search`; this command drives them kind by kind, in
batches of :data:`BATCH` rows: read, find the words with nothing held, then replace that id range's
documents in one short transaction, so the forum keeps serving (and searching) meanwhile.

``forum migrate`` runs it too, once, when the index was never built (``search_state.built_at`` is
NULL): a migration is SQL and cannot segment Chinese, so the command that applies migrations builds
the index right after them, from the same code ``forum reindex`` uses. On a new database that is five
empty reads; on a database migrated from before search existed, it indexes what is there.
"""

from __future__ import annotations

import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shared.config import Settings
from shared.storage.drivers import BlockingDatabase, check_schema, open_sync
from shared.storage.runners import run_sync
from shared.storage.search import KINDS, count_rows, mark_built, needs_build, reindex_batch

BATCH = 1000


def reindex(db: BlockingDatabase, show_progress: bool = True) -> int:
    """Index every post, comment, question, answer and group again; returns how many documents."""
    columns = (TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    indexed = 0
    with Progress(*columns, disable=not show_progress) as progress:
        for kind in KINDS:
            task = progress.add_task(kind + "s", total=run_sync(db, count_rows(kind)))
            after, done = 0, BATCH
            while done == BATCH:
                after, done = run_sync(db, reindex_batch(kind, after, BATCH))
                progress.advance(task, done)
                indexed += done
    run_sync(db, mark_built())
    return indexed


def reindex_command(settings: Settings, show_progress: bool) -> int:
    """``forum reindex``: prints how many documents it indexed."""
    db = open_sync(settings)
    try:
        check_schema(db)
        started = time.monotonic()
        indexed = reindex(db, show_progress)
    finally:
        db.close()
    print(f"indexed {indexed:,} documents in {time.monotonic() - started:.1f} s")
    return 0


def build_if_never_built(settings: Settings) -> str | None:
    """After ``forum migrate``: build the index if it never was; what to print, or None."""
    db = open_sync(settings)
    try:
        if not run_sync(db, needs_build()):
            return None
        return f"built the search index: {reindex(db, show_progress=False):,} documents"
    finally:
        db.close()
