"""One search at a time: ``search.search`` through the blocking runner, each query N times, p50 / p95.

    .venv/bin/python -m loadtests.searchtimes --database-url sqlite:///var/bench-medium.sqlite3
    .venv/bin/python -m loadtests.searchtimes --database-url mysql://root@127.0.0.1:3306/forum_bench

Far less sensitive to a busy machine than locust (one client, no HTTP, no think time): the numbers
are the operation's own (the engine's ranking, one page joined, excerpts), as ``GET /search`` runs it.
The CPU columns are this thread's CPU time: on SQLite, which runs in this thread, that is close to
what a quiet machine's wall time would be (the file is in the page cache); on MariaDB it is only the
client's share, the server's work is in the wall time alone.
It needs ``FORUM_SECRET`` like every ``forum`` command (any 32 bytes will do; nothing is signed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from loadtests.searchwords import KINDS, SEARCHES
from shared import keys
from shared.auth import ANONYMOUS
from shared.config import load_settings
from shared.pagination import decode_cursor
from shared.search_text import parse_query
from shared.storage import search
from shared.storage.drivers import open_sync
from shared.storage.effects import Op, Query, read_only
from shared.storage.runners import run_sync

# (label, query): a rare word, moderate words, the commonest words of the bulk data (forum seed),
# Chinese, a prefix, two words; within one group (``group_id=7``: one of the bulk data's small groups).
QUERIES = (
    ("rare word", {"q": "circle"}),
    ("moderate word", {"q": "tornado"}),
    ("moderate, comments only", {"q": "tornado", "type": "comment"}),
    ("common word", {"q": "thanks"}),
    ("commonest word", {"q": "the"}),
    ("commonest, page 2", {"q": "the", "page2": "1"}),
    ("Chinese word", {"q": "协程"}),
    ("prefix", {"q": "pagin"}),
    ("two common words", {"q": "keyset pagination"}),
    ("two moderate words", {"q": "measure before"}),
    ("no match", {"q": "nonexistentword"}),
    ("group: common word", {"q": "thanks", "group_id": "7"}),
    ("group: commonest", {"q": "the", "group_id": "7"}),
    ("group: commonest page 2", {"q": "the", "group_id": "7", "page2": "1"}),
    ("group: rare word", {"q": "circle", "group_id": "7"}),
    ("group: common in posts", {"q": "thanks", "group_id": "7", "type": "post"}),
)


@read_only
def count(q: str) -> Op[int]:
    """How many documents match, for the table (one engine-specific COUNT)."""
    wanted = parse_query(q)
    engine = yield Query("SELECT engine FROM search_state", returns="value")
    if engine == "fts5":
        sql = "SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH %s"
        words = wanted.fts5()
    else:
        sql = ("SELECT COUNT(*) FROM search_docs d WHERE MATCH (d.title_terms, d.body_terms)"
               " AGAINST (%s IN BOOLEAN MODE)")
        words = wanted.boolean_mode()
    return int((yield Query(sql, (words,), returns="value")))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--only", default="", help="comma-separated labels")
    p.add_argument("--locust", action="store_true",
                   help="time the bench's searches instead (loadtests/searchwords.py), each alone and with each type")
    p.add_argument("--ranked", type=int, default=search.RANKED, help="search.RANKED (0: rank every match)")
    p.add_argument("--common", type=int, default=search.COMMON,
                   help="search.COMMON: MySQL finds words in more documents newest first (0: rank every query)")
    p.add_argument("--no-count", dest="count", action="store_false", help="skip counting the matches")
    p.add_argument("--across-groups", default="",
                   help="comma-separated group ids: instead, each of GROUP_QUERIES once in each group (cold reads)")
    p.add_argument("--json", default="", help="append the results to this file as one JSON line")
    p.add_argument("--search-timeout", type=float, default=None,
                   help="FORUM_SEARCH_TIMEOUT: seconds MySQL may spend on one search (0: no bound)")
    args = p.parse_args()
    os.environ.setdefault("FORUM_SECRET", "x" * 64)
    search.RANKED = args.ranked
    search.COMMON = args.common
    settings = load_settings({"database_url": args.database_url, "search_timeout": args.search_timeout})
    db = open_sync(settings)
    out: list[dict[str, Any]] = []
    with keys.using(keys.Keys.from_settings(settings)):
        if args.across_groups:
            across_groups(db, [int(g) for g in args.across_groups.split(",")])
        else:
            measure(db, args, out)
    db.close()
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps({"url": args.database_url, "ranked": args.ranked, "common": args.common,
                                "search_timeout": settings.search_timeout,
                                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": out}) + "\n")


def measure(db: Any, args: argparse.Namespace, out: list[dict[str, Any]]) -> None:
    """Each query ``--repeat`` times, one at a time; a row per query into ``out``."""
    run_sync(db, search.search(ANONYMOUS, {"q": "warm 暖"}))       # jieba's dictionary, the connection
    queries = QUERIES if not args.locust else [
        (f"locust {kind or 'any'}", {"q": q, **({"type": kind} if kind else {})}) for q in SEARCHES for kind in ("", *KINDS)]
    for label, query in queries:
        if args.only and label not in args.only.split(","):
            continue
        query = dict(query)
        second = query.pop("page2", None)
        if second:
            first = _search(db, query)
            query["cursor"] = first["next_cursor"] or "" if first else ""
        times, cpu, refused = [], [], 0
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.thread_time()
            found = _search(db, query)
            refused += found is None
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        times.sort()
        cpu.sort()
        p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
        row = {"label": label, "q": query["q"], "type": query.get("type", ""), "group_id": query.get("group_id", ""),
               "matches": run_sync(db, count(query["q"])) if args.count else -1, "p50": statistics.median(times), "p95": p95,
               "cpu_p50": statistics.median(cpu), "cpu_p95": cpu[len(times) - len(times) // 20 - 1],
               "items": len(found["items"]) if found else 0, "refused": refused, "mode": _mode(found),
               "load": os.getloadavg()[0]}
        out.append(row)
        print(f"{label:26} {query['q']!r:22} {row['matches']:>8} matches  p50 {row['p50']:7.1f} ms"
              f"  p95 {p95:7.1f} ms  cpu p50 {row['cpu_p50']:7.1f} p95 {row['cpu_p95']:7.1f}  items {row['items']:2} {row['mode']:6}  refused {refused:2}  load {row['load']:.1f}", flush=True)


# Searched once in each of several groups: each group's documents are read from the files the first time.
GROUP_QUERIES = (("thanks", ""), ("the", ""), ("tornado", ""), ("tornado", "comment"), ("circle", ""),
                 ("nonexistentword", ""), ("协程", ""), ("pagin", "post"))


def across_groups(db: Any, groups: list[int]) -> None:
    """Each of :data:`GROUP_QUERIES` once within each group: the median and the slowest."""
    run_sync(db, search.search(ANONYMOUS, {"q": "warm 暖"}))
    for q, kind in GROUP_QUERIES:
        times, refused = [], 0
        for group in groups:
            started = time.perf_counter()
            refused += _search(db, {"q": q, "group_id": str(group), **({"type": kind} if kind else {})}) is None
            times.append((time.perf_counter() - started) * 1000)
        print(f"{q:16} {kind:8} once in each of {len(groups)} groups: median {statistics.median(times):6.1f} ms"
              f"  slowest {max(times):6.1f} ms  refused {refused}", flush=True)


def _mode(found: dict[str, Any] | None) -> str:
    """How the page was found, from its cursor: ``[score, doc id]`` ranked, ``[doc id]`` newest first."""
    if not found or not found["next_cursor"]:
        return ""
    return "newest" if len(decode_cursor(found["next_cursor"])) == 1 else "ranked"


def _search(db: Any, query: dict[str, str]) -> dict[str, Any] | None:
    """One search's page, or None when MySQL stopped it at ``search_timeout`` (the 422 search-too-broad)."""
    try:
        return run_sync(db, search.search(ANONYMOUS, query))   # type: ignore[no-any-return]
    except search.SearchTooBroad:
        return None


if __name__ == "__main__":
    main()
