"""The learner's pages point at real code: every ``[`symbol`](../path#Ln)`` link of docs/course.md
lands on a line that still holds that symbol (code moves; the map must move with it)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[`([^`]+)`\]\(\.\./([^)#]+)#L(\d+)\)")


def test_the_course_map_points_at_the_code_it_names() -> None:
    links = LINK.findall((ROOT / "docs" / "course.md").read_text(encoding="utf-8"))
    assert len(links) >= 30
    for symbol, path, line in links:
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        assert symbol in lines[int(line) - 1], f"docs/course.md: {path}#L{line} no longer holds {symbol!r}"
