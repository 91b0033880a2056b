"""Storage: operations written once as generators of queries, driven by a blocking or a coroutine runner."""

from shared.storage.effects import READ_ONLY, Compute, Op, Query, read_only

__all__ = ["READ_ONLY", "Compute", "Op", "Query", "read_only"]
