"""PDF text with pypdf, page by page, opening the file once per page range.

The empty password is tried automatically (many "encrypted" PDFs only restrict
printing); a PDF that needs a real password fails with ``encrypted`` until one is given,
and with ``wrong_password`` when the given one does not open it. Files pypdf cannot parse
fail with ``corrupt``. The PDF kind (``kinds/pdf.py``) calls ``count_pages`` and
``extract_pages``; the other engine (``pdfium``) offers the same two.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from loratui.core.errors import LoratuiError
from loratui.core.extract.normalise import tidy
from loratui.core.extract.pdf_spacing import WordGaps
from loratui.core.extract.pdf_tables import Box, find_tables, mark_tables
from loratui.core.extract.shared import Refusal, damaged_pdf, page_numbers, unreadable

# pypdf logs every oddity of real-world files; the worker's stderr is not the place.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# What pypdf raises on malformed input besides its own errors (it is pure Python).
_PARSE_ERRORS = (
    PyPdfError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    ArithmeticError,
    AssertionError,
    NotImplementedError,
    RecursionError,
    struct.error,
    zlib.error,
)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:200] or "unreadable structure"


# Readers kept in this worker process between calls, newest last. A big PDF is extracted
# in page ranges, often by the same process with other files' tasks in between; reopening
# it for every range cost about 8% more CPU than one reader (every range parsed the
# structure and fonts again). A reader caches what it decodes (about ten times the file's
# size once every page was read), so only files up to KEEP_MAX_BYTES are kept, at most
# KEEP_READERS of them, and each is dropped once its last page has been extracted.
KEEP_READERS = 2
KEEP_MAX_BYTES = 8 * 1024 * 1024
_kept: dict[tuple[str, int, int, str | None], PdfReader] = {}


def open_reader(path: str, password: str | None, keep: bool = False) -> PdfReader:
    """A reader for ``path``, decrypted with ``password`` or the empty password.

    ``keep``: hold on to it for the next calls on the same file (see ``KEEP_READERS``),
    until ``release_reader`` or until newer files push it out.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise unreadable(exc) from exc
    key = (path, st.st_size, st.st_mtime_ns, password)
    reader = _kept.pop(key, None)
    if reader is None:
        reader = _open(path, password)
    if keep and st.st_size <= KEEP_MAX_BYTES:
        _kept[key] = reader  # newest last
        while len(_kept) > KEEP_READERS:
            del _kept[next(iter(_kept))]
    return reader


def release_reader(path: str) -> None:
    """Forget the kept readers of ``path`` (its last pages were handed out)."""
    for key in [k for k in _kept if k[0] == path]:
        del _kept[key]


def _open(path: str, password: str | None) -> PdfReader:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            result = reader.decrypt(password or "")
            if result == PasswordType.NOT_DECRYPTED:
                raise Refusal("wrong_password" if password else "encrypted")
        return reader
    except LoratuiError:
        raise
    except OSError as exc:
        raise unreadable(exc) from exc
    except DependencyError as exc:
        raise LoratuiError(
            "unsupported",
            f"the PDF uses an encryption this install cannot open ({_describe(exc)})",
            "install loratui with pypdf's crypto extra (`pip install 'pypdf[crypto]'`)",
        ) from exc
    except _PARSE_ERRORS as exc:
        raise damaged_pdf(_describe(exc)) from exc


def _page_count(reader: PdfReader) -> int:
    try:
        return len(reader.pages)
    except FileNotDecryptedError as exc:
        raise Refusal("encrypted") from exc
    except _PARSE_ERRORS as exc:
        raise damaged_pdf(_describe(exc)) from exc


def count_pages(
    path: str, kind: str = "pdf", password: str | None = None, limits: dict[str, Any] | None = None
) -> int:
    """The number of pages; ``corrupt`` when there are none."""
    count = _page_count(open_reader(path, password, keep=True))
    if count < 1:
        raise damaged_pdf("it has no pages")
    return count


def _page_text(page: Any) -> str:
    """The page's text with its tables marked (``pdf_tables``), positions from pypdf's
    text visitor (a piece's right edge is estimated: half an em a character), and the word
    gaps pypdf misses put in (``pdf_spacing``)."""
    boxes: list[Box] = []
    texts: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        em = abs(size * (tm[3] * cm[3] + tm[2] * cm[1])) or abs(size) or 1.0
        lead = len(text) - len(text.lstrip())
        x += lead * em * 0.25
        body = text.strip()
        boxes.append(Box(x, x + len(body) * em * 0.5, y - 0.2 * em, y + 0.8 * em))
        texts.append(body)

    gaps = WordGaps(page.get("/Resources"))
    text = (
        page.extract_text(
            visitor_text=visit, visitor_operand_before=gaps.before, visitor_operand_after=gaps.after
        )
        or ""
    )
    return mark_tables(text, find_tables(boxes, texts.__getitem__))


def extract_pages(
    path: str,
    kind: str,
    start: int,
    end: int,
    password: str | None = None,
    limits: dict[str, Any] | None = None,
) -> list[tuple[int, str]]:
    """Text of pages ``start``..``end`` (1-based, inclusive; clipped to the last page)."""
    reader = open_reader(path, password, keep=True)
    total = _page_count(reader)
    if end >= total:  # the last range: this process will not be asked for more pages
        release_reader(path)
    out: list[tuple[int, str]] = []
    for number in page_numbers(start, end, total):
        try:
            text = _page_text(reader.pages[number - 1])
        except FileNotDecryptedError as exc:
            raise Refusal("encrypted") from exc
        except _PARSE_ERRORS as exc:
            raise damaged_pdf(f"page {number}: {_describe(exc)}") from exc
        out.append((number, tidy(text or "")))
    return out
