"""Text extraction, as pure functions that run inside worker processes.

Arguments are picklable and errors are ``LoratuiError`` values (they pickle too). Pages
are 1-based. A PDF is read range by range so one big file can use every core; DOCX, text
and records files are parsed whole (the parse is kept in the process until its last page
has been handed out, so counting pages and then extracting them parses once).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract.shared import page_numbers, unreadable

_cache: tuple[tuple[str, str, int, int], list[str]] | None = None


def _pdf_module(limits: dict[str, Any] | None):  # noqa: ANN202 - a module
    if (limits or {}).get("pdf_engine") == "pypdfium2":
        from loratui.core.extract import pdfium

        return pdfium
    from loratui.core.extract import pdf

    return pdf


def _whole_pages(path: str, kind: str, limits: dict[str, Any] | None) -> list[str]:
    """All pages of a non-PDF document, parsed once per (file, size, mtime)."""
    global _cache
    try:
        st = os.stat(path)
    except OSError as exc:
        raise unreadable(exc) from exc
    key = (path, kind, st.st_size, st.st_mtime_ns)
    if _cache is not None and _cache[0] == key:
        return _cache[1]
    if kind == "text":
        from loratui.core.extract import text

        pages = text.pages(path)
    elif kind == "records":
        from loratui.core.extract import records

        pages = records.pages(path)
    elif kind == "docx":
        from loratui.core.extract import docx

        pages = docx.pages(path, limits or {})
    else:
        raise LoratuiError("unsupported", f"no extractor for documents of kind {kind!r}")
    _cache = (key, pages)
    return pages


def count_pages(
    path: str, kind: str, password: str | None = None, limits: dict[str, Any] | None = None
) -> int:
    """How many pages the document has (opens encrypted PDFs, so it can fail like extraction)."""
    if kind == "pdf":
        return _pdf_module(limits).count_pages(path, kind, password, limits)
    return len(_whole_pages(path, kind, limits))


def extract_pages(
    path: str,
    kind: str,
    start: int,
    end: int,
    password: str | None = None,
    limits: dict[str, Any] | None = None,
) -> list[tuple[int, str]]:
    """The text of pages ``start``..``end`` (1-based, inclusive) as ``(number, text)``."""
    if start < 1 or end < start:
        raise LoratuiError("invalid", f"bad page range {start}-{end}")
    if kind == "pdf":
        return _pdf_module(limits).extract_pages(path, kind, start, end, password, limits)
    global _cache
    pages = _whole_pages(path, kind, limits)
    if end >= len(pages):  # the last page is handed out: don't hold the text any longer
        _cache = None
    return [(n, pages[n - 1]) for n in page_numbers(start, end, len(pages))]


def text_digest(pages: list[str]) -> str:
    """sha256 hex of the pages joined by form feeds, in UTF-8 (equal text, equal digest)."""
    h = hashlib.sha256()
    for i, page in enumerate(pages):
        if i:
            h.update(b"\f")
        h.update(page.encode("utf-8"))
    return h.hexdigest()
