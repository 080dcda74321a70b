"""PDF text with pypdf, page by page, opening the file once per page range.

The empty password is tried automatically (many "encrypted" PDFs only restrict
printing); a PDF that needs a real password fails with ``encrypted`` until one is given,
and with ``wrong_password`` when the given one does not open it. Files pypdf cannot parse
fail with ``corrupt``. The functions mirror ``loratui.core.extract``'s signatures so an
alternative engine module (``pdfium``) can stand in for this one.
"""

from __future__ import annotations

import logging
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from loratui.core.errors import LoratuiError
from loratui.core.extract.text import tidy

# pypdf logs every oddity of real-world files; the worker's stderr is not the place.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PARSE_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def _corrupt(detail: str) -> LoratuiError:
    return LoratuiError("corrupt", f"the PDF is damaged and cannot be read ({detail})")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:200] or "unreadable structure"


def open_reader(path: str, password: str | None) -> PdfReader:
    """A reader for ``path``, decrypted with ``password`` or the empty password."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            result = reader.decrypt(password or "")
            if result == PasswordType.NOT_DECRYPTED:
                if password:
                    raise LoratuiError("wrong_password")
                raise LoratuiError("encrypted")
        return reader
    except LoratuiError:
        raise
    except OSError as exc:
        raise LoratuiError("io_error", f"could not read the stored file: {exc.strerror}") from exc
    except DependencyError as exc:
        raise LoratuiError(
            "unsupported",
            f"the PDF uses an encryption this install cannot open ({_describe(exc)})",
            "install loratui with pypdf's crypto extra (`pip install 'pypdf[crypto]'`)",
        ) from exc
    except (*_PARSE_ERRORS, RecursionError) as exc:
        raise _corrupt(_describe(exc)) from exc


def _page_count(reader: PdfReader) -> int:
    try:
        return len(reader.pages)
    except FileNotDecryptedError as exc:
        raise LoratuiError("encrypted") from exc
    except (*_PARSE_ERRORS, RecursionError) as exc:
        raise _corrupt(_describe(exc)) from exc


def count_pages(
    path: str, kind: str = "pdf", password: str | None = None, limits: dict[str, Any] | None = None
) -> int:
    """The number of pages; ``corrupt`` when there are none."""
    count = _page_count(open_reader(path, password))
    if count < 1:
        raise _corrupt("it has no pages")
    return count


def extract_pages(
    path: str,
    kind: str,
    start: int,
    end: int,
    password: str | None = None,
    limits: dict[str, Any] | None = None,
) -> list[tuple[int, str]]:
    """Text of pages ``start``..``end`` (1-based, inclusive; clipped to the last page)."""
    reader = open_reader(path, password)
    total = _page_count(reader)
    out: list[tuple[int, str]] = []
    for number in range(start, min(end, total) + 1):
        try:
            text = reader.pages[number - 1].extract_text()
        except FileNotDecryptedError as exc:
            raise LoratuiError("encrypted") from exc
        except (*_PARSE_ERRORS, RecursionError, ZeroDivisionError, OverflowError) as exc:
            raise _corrupt(f"page {number}: {_describe(exc)}") from exc
        out.append((number, tidy(text or "")))
    return out
