"""What the extractors share, so every engine clips ranges and words errors the same way.

The kinds parsed whole (``kinds/base.py``) and both PDF engines hand out pages
``start``..``end`` clipped to the document's last page; every extractor reports an
unreadable stored file as ``io_error``, and both PDF engines report a damaged PDF as
``corrupt`` in the same words. A page OCR read says so (``PageText``).
"""

from __future__ import annotations

from typing import NamedTuple

from loratui.core.errors import LoratuiError


class PageText(NamedTuple):
    """A page's text and how it was read: by OCR (which engine, its mean line score 0-1),
    or from the file's text layer by ``engine`` (for PDFs: "pypdfium2" or "pypdf").

    Where pages travel as ``(number, text)`` pairs, a page that knows how it was read
    travels as this, so that reaches the database with the text (``jobs.results``).
    """

    number: int
    text: str
    ocr_engine: str | None = None
    ocr_confidence: float | None = None
    engine: str | None = None


class Refusal(LoratuiError):
    """An engine refusing a file (``encrypted``, ``zip_bomb``...) without wording it: the
    kind that called the engine words it in its own terms (``DocumentKind.wording``), so
    engine modules never import the kinds that use them."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code, detail)
        self.detail = detail

    def __reduce__(self):  # noqa: ANN204
        return (type(self), (self.code, self.detail))


def page_numbers(start: int, end: int, total: int) -> range:
    """Page numbers ``start``..``end`` (1-based, inclusive), clipped to the last of ``total``."""
    return range(start, min(end, total) + 1)


def unreadable(exc: OSError) -> LoratuiError:
    """``io_error`` for a stored file the OS could not read."""
    return LoratuiError("io_error", f"could not read the stored file: {exc.strerror}")


def damaged_pdf(detail: str) -> LoratuiError:
    """``corrupt`` for a PDF the engine cannot parse; ``detail`` says what broke."""
    return LoratuiError("corrupt", f"the PDF is damaged and cannot be read ({detail})")
