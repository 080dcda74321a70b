"""PDF: recognised by its ``%PDF-`` header, read range by range with one of two engines.

pypdf (``extract/pdf.py``) is the default; PDFium (``extract/pdfium.py``, the optional
``pdfium`` extra) when the project's ``pdf_engine`` setting says ``pypdfium2``. Engines are
imported in the worker processes only, on the first page asked for. Scanned pages are read
by OCR (``extract/ocr.py``, the optional ``ocr`` extra), one page per call.
"""

from __future__ import annotations

from types import ModuleType

from loratui.core.errors import RETRY_PASSWORD_TUI_HINT, UNLOCK_TUI_HINT, ErrorInfo
from loratui.core.extract.kinds.base import DocumentKind, Limits, Pages, PageText, Probe

UNLOCK_HINT = "give its password with `loratui unlock PROJECT DOC --password-stdin`"


def engine(limits: Limits) -> ModuleType:
    """The engine module ``pdf_engine`` selects (both offer count_pages/extract_pages)."""
    if limits.get("pdf_engine") == "pypdfium2":
        from loratui.core.extract import pdfium

        return pdfium
    from loratui.core.extract import pdf

    return pdf


class PdfKind(DocumentKind):
    name = "pdf"
    label = "a PDF"
    described = "PDF"
    extensions = frozenset({".pdf"})
    ranged = True
    laid_out = True
    takes_password = True
    reads_images = True
    errors = (
        ErrorInfo(
            "encrypted",
            "the PDF is encrypted and needs a password",
            UNLOCK_HINT,
            tui_hint=UNLOCK_TUI_HINT,
        ),
        ErrorInfo(
            "wrong_password",
            "the password given for this PDF is wrong",
            "run `loratui unlock PROJECT DOC --password-stdin` again with the right password",
            tui_hint=RETRY_PASSWORD_TUI_HINT,
        ),
    )

    def detect(self, probe: Probe) -> bool:
        if probe.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
            return True
        # junk before the header is allowed by readers (in binary files, not zips or text)
        return not probe.is_zip and b"%PDF-" in probe.head[:1024] and probe.text is None

    def count_pages(self, path: str, password: str | None, limits: Limits) -> int:
        with self.wording():
            return engine(limits).count_pages(path, self.name, password, limits)

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        with self.wording():
            return engine(limits).extract_pages(path, self.name, start, end, password, limits)

    def ocr_page(
        self, path: str, number: int, text: str, password: str | None, limits: Limits
    ) -> PageText | None:
        from loratui.core.extract import ocr

        with self.wording():
            return ocr.read_page(path, number, text, password, dict(limits))


KIND = PdfKind()
