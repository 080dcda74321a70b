"""Text extraction, as pure functions that run inside worker processes.

Arguments are picklable and errors are ``LoratuiError`` values (they pickle too). Pages
are 1-based. Each call goes to the document's kind (``kinds/``): a PDF is read range by
range so one big file can use every core; DOCX, text and records files are parsed whole
(the parse is kept in the process until its last page has been handed out, so counting
pages and then extracting them parses once).
"""

from __future__ import annotations

import hashlib
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.extract.normalise import tidy
from loratui.core.extract.shared import PageText


def count_pages(
    path: str, kind: str, password: str | None = None, limits: dict[str, Any] | None = None
) -> int:
    """How many pages the document has (opens encrypted PDFs, so it can fail like extraction)."""
    return kinds.get(kind).count_pages(path, password, limits or {})


def extract_pages(
    path: str,
    kind: str,
    start: int,
    end: int,
    password: str | None = None,
    limits: dict[str, Any] | None = None,
) -> list[tuple[int, str]]:
    """The text of pages ``start``..``end`` (1-based, inclusive) as ``(number, text)``, or
    ``PageText`` where the kind says how a page was read. Whatever the kind, the text is
    tidied (``text.tidy``: no control characters, ligature glyphs or soft hyphens)."""
    if start < 1 or end < start:
        raise LoratuiError("invalid", f"bad page range {start}-{end}")
    pages = kinds.get(kind).extract_pages(path, start, end, password, limits or {})
    return [_tidied(page) for page in pages]


def _tidied(page: tuple[int, str]) -> tuple[int, str]:
    text = tidy(page[1])
    if text is page[1]:
        return page
    return page._replace(text=text) if isinstance(page, PageText) else (page[0], text)


def text_digest(pages: list[str]) -> str:
    """sha256 hex of the pages joined by form feeds, in UTF-8 (equal text, equal digest)."""
    h = hashlib.sha256()
    for i, page in enumerate(pages):
        if i:
            h.update(b"\f")
        h.update(page.encode("utf-8"))
    return h.hexdigest()
