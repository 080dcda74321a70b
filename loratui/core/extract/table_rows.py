"""How a table is written into stored page text: one row per line, in pipe form.

Why a line convention and not a structured field: pages are stored as plain text (one
``Page.text`` per page), ``loratui show`` prints that text, and every export format takes
text. A row is written ``| cell | cell | cell |`` (Markdown's pipe-table row, a ``|``
inside a cell escaped as ``\\|``), so a person reading ``show`` sees a table, a model sees
the form tables have in most of its training text, and the export's cleaning
(``export/clean.py``) recognises a row by its shape (starts with ``| ``, ends with ``
|``) and leaves it alone: rows are never joined to each other or to a neighbouring line,
and a table block always stands as its own paragraph.

The extractors (DOCX tables, tables the PDF engines find by position) write rows with
``row``; the cleaning tests lines with ``is_row``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ROW = re.compile(r"^\| .* \|$")


def row(cells: Iterable[str]) -> str:
    """One table row as a line: ``| a | b |`` (whitespace in a cell collapsed)."""
    parts = [" ".join(c.split()).replace("|", "\\|") for c in cells]
    return "| " + " | ".join(parts) + " |"


def is_row(line: str) -> bool:
    """Whether ``line`` (stripped or not) is a table row written by ``row``."""
    return _ROW.match(line.strip()) is not None
