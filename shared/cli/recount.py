"""``forum recount``: rebuild every stored counter from the rows it counts.

The statements are in :mod:`shared.storage.counters`; this command drives them: for each counter,
read the rows it has wrong, then fix them by id in batches (short transactions), then refresh the
hot score of the posts and questions whose counts moved.
"""

from __future__ import annotations

from shared.config import Settings
from shared.storage.counters import COUNTERS, HOT_INPUTS, fix_counts, refresh_hot, wrong_counts
from shared.storage.drivers import BlockingDatabase, check_schema, open_sync
from shared.storage.runners import run_sync

BATCH = 1000


def recount(db: BlockingDatabase) -> dict[str, int]:
    """Fix every wrong counter; returns how many rows each ``table.column`` had wrong."""
    fixed: dict[str, int] = {}
    moved: dict[str, set[int]] = {table: set() for table in HOT_INPUTS}
    for counter in COUNTERS:
        wrong = run_sync(db, wrong_counts(counter))
        for start in range(0, len(wrong), BATCH):
            run_sync(db, fix_counts(counter, wrong[start:start + BATCH]))
        fixed[counter.name] = len(wrong)
        moved.get(counter.table, set()).update(row_id for _, row_id in wrong)
    for table, ids in moved.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            run_sync(db, refresh_hot(table, ordered[start:start + BATCH]))
    return fixed


def recount_command(settings: Settings) -> int:
    """``forum recount``: prints what it fixed."""
    db = open_sync(settings)
    try:
        check_schema(db)
        fixed = recount(db)
    finally:
        db.close()
    wrong = {name: n for name, n in fixed.items() if n}
    print("every counter was right" if not wrong else
          "fixed " + ", ".join(f"{name} on {n} row(s)" for name, n in wrong.items()))
    return 0
