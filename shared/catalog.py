"""Keeping the one message catalog (``make messages``): what ``pybabel`` needs beyond its own extractors.

``babel.cfg`` says where messages are: Python (``_l``/``_ln`` in the core, see :mod:`shared.i18n`),
the Flask app's Jinja templates (Jinja's own extractor) and the Tornado app's templates, read by
:func:`extract_tornado` below. ``tests/test_i18n.py`` runs the same extraction through :func:`extract`
and fails when a message is missing from the catalog or has no Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.frontend import parse_mapping_cfg

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
POT = ROOT / "shared" / "translations" / "messages.pot"
# The marking functions besides gettext's own names (the Makefile passes the same to pybabel with -k).
KEYWORDS = {"_l": None, "_ln": (1, 2)}
# A Tornado template's Python: {{ expression }} and {% statement %} (a {# comment #} holds none).
_CODE = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)


def extract_tornado(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                    options: Mapping[str, Any]) -> Iterator[Any]:
    """Messages in a Tornado template (``{{ _("Log in") }}``, ``{% module Field("name", _("Name")) %}``).

    Babel has no Tornado extractor, but each tag holds plain Python: the tags are laid out on the lines
    where they stand, and Babel's Python extractor reads them (line numbers kept for the .po comments).
    """
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    lines: list[str] = []
    for match in _CODE.finditer(text):
        code = (match.group(1) or match.group(2) or "").strip()
        line = text.count("\n", 0, match.start())
        while len(lines) <= line:
            lines.append("")
        # a tag's own line breaks are kept inside it; two tags on one line are two statements
        lines[line] = (lines[line] + " ; " if lines[line] else "") + code.replace("\n", " ")
    yield from extract_python(BytesIO("\n".join(lines).encode()), keywords, comment_tags, {})


def extract() -> Catalog:
    """Every message of the code and templates, as ``pybabel extract -F babel.cfg`` finds them."""
    with BABEL_CFG.open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), **KEYWORDS}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog
