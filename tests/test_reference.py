"""The project's own reference stays true, and no Markdown file of the repository links to nothing.

``docs/reference/`` is generated from the code (``shared/cli/reference.py``): the settings from
``Settings``, the commands from the ``forum`` parser, the API from the OpenAPI document the apps
serve. A change to any of them without ``make docs`` fails here. Every relative link of every
Markdown file must name a file or directory of the repository (a clone has nothing beside it).
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from shared.cli import reference
from shared.config import Settings
from shared.openapi import document

ROOT = reference.ROOT
SKIPPED = {".git", ".venv", "var", "build", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HREF = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""")


def test_the_generated_reference_is_current() -> None:
    stale = [str(path.relative_to(ROOT)) for path, text in reference.pages().items()
             if not path.exists() or path.read_text() != text]
    assert not stale, f"{', '.join(stale)}: out of date with the code; run `make docs`"


def test_every_setting_has_a_meaning_and_a_row() -> None:
    page = (reference.OUT / "settings.md").read_text()
    for f in fields(Settings):
        if f.name != "extra":
            assert f.metadata.get("meaning"), f"Settings.{f.name} has no meaning: use setting(default, meaning)"
            assert f"`FORUM_{f.name.upper()}`" in page


def test_every_operation_of_the_openapi_document_is_in_the_api_reference() -> None:
    page = (reference.OUT / "api.md").read_text()
    for path, methods in document()["paths"].items():
        for method in methods:
            assert f"### {method.upper()} {path}\n" in page, f"{method.upper()} {path}"


def markdown_files() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.md")
                  if not SKIPPED & set(path.relative_to(ROOT).parts))


def links(text: str) -> list[str]:
    """The link targets of a Markdown text, code blocks and code spans left out."""
    text = INLINE_CODE.sub("", FENCED.sub("", text))
    return LINK.findall(text) + DEFINITION.findall(text) + HREF.findall(text)


def is_relative(target: str) -> bool:
    return not re.match(r"[a-z][a-z0-9+.-]*:|#|//", target, re.IGNORECASE)


def test_no_markdown_file_has_a_dead_relative_link() -> None:
    dead = []
    for path in markdown_files():
        for target in filter(is_relative, links(path.read_text())):
            local = target.split("#", 1)[0].split("?", 1)[0]
            resolved = (ROOT / local.lstrip("/")) if local.startswith("/") else (path.parent / local)
            if not resolved.resolve().is_relative_to(ROOT) or not resolved.exists():
                dead.append(f"{path.relative_to(ROOT)}: {target}")
    assert not dead, "dead relative links:\n" + "\n".join(dead)


def test_the_link_check_sees_links() -> None:
    """The checker itself: it finds inline, reference and HTML links, and skips code."""
    text = "[a](one.md) ![b](img/two.png \"t\")\n[c]: three.md\n<a href=\"four.md\">x</a>\n`[d](code.md)`\n" \
           "```\n[e](fenced.md)\n```\n[f](https://example.org) [g](#here)"
    assert [t for t in links(text) if is_relative(t)] == ["one.md", "img/two.png", "three.md", "four.md"]
