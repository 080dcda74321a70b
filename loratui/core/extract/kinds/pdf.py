"""PDF: recognised by its ``%PDF-`` header, read range by range with one of two engines.

PDFium (``extract/pdfium.py``) is the default engine, pypdf (``extract/pdf.py``) the other;
the project's ``pdf_engine`` setting says which goes first. The other one is tried
automatically when the first fails on the file (``corrupt``, ``unsupported``) or gives a
range of pages without any text or with broken characters (what ``no_text`` and
``mojibake`` warn about), and its pages are kept when they are better. Right-to-left text
is read by both and the engine whose pages come out in logical order wins (``rtl``:
pages in visual order are reordered first). Every page says which engine read it
(``PageText.engine``; stored on the page and summed up on the document). Engines are
imported in the worker processes only, on the first page asked for. Scanned pages are
read by OCR (``extract/ocr.py``, the optional ``ocr`` extra), one page per call.
"""

from __future__ import annotations

from types import ModuleType

from loratui.core.errors import RETRY_PASSWORD_TUI_HINT, UNLOCK_TUI_HINT, ErrorInfo, LoratuiError
from loratui.core.extract.kinds.base import DocumentKind, Limits, Pages, PageText, Probe

UNLOCK_HINT = "give its password with `loratui unlock PROJECT DOC --password-stdin`"
ENGINES = ("pypdfium2", "pypdf")  # the default first
# Failures the other engine may not share; a password it would refuse alike.
FALLBACK_ON = frozenset({"corrupt", "unsupported"})


def engine_names(limits: Limits) -> tuple[str, str]:
    """The engine ``pdf_engine`` names (the default when it names none we know), then the
    other one."""
    first = limits.get("pdf_engine") or ENGINES[0]
    if first not in ENGINES:
        first = ENGINES[0]
    return first, next(e for e in ENGINES if e != first)


def engine(name: str) -> ModuleType:
    """The engine module called ``name`` (both offer count_pages/extract_pages)."""
    if name == "pypdfium2":
        from loratui.core.extract import pdfium

        return pdfium
    from loratui.core.extract import pdf

    return pdf


def _read(name: str, path: str, start: int, end: int, password: str | None, limits: Limits):  # noqa: ANN202
    return engine(name).extract_pages(path, "pdf", start, end, password, limits)


def _poor(pages: list[tuple[int, str]]) -> bool:
    """No text at all, or enough broken characters for a ``mojibake`` warning."""
    from loratui.core.extract import quality

    texts = [t for _, t in pages]
    return sum(quality.visible(t) for t in texts) == 0 or quality.garbled(texts)


def _quality(pages: list[tuple[int, str]], name: str, first: str) -> tuple[float, ...]:
    """How good a range's text is, to compare the engines' (higher is better): logical
    right-to-left order first, then having text at all, then the share of broken
    characters. At a tie the engine asked for first, except on right-to-left pages:
    PDFium when their words showed their order (both engines then read them in visual
    order, which ``rtl`` reverses, and pypdf misplaces numbers inside such lines: "2024שלום"),
    pypdf when they did not (it reorders right-to-left glyphs itself; PDFium's visual order
    cannot be told from logical then)."""
    from loratui.core.extract import quality, rtl

    texts = [t for _, t in pages]
    logical, visual = rtl.order_votes("\n".join(texts))
    shown = sum(quality.visible(t) for t in texts)
    bad = sum(quality.bad_chars(t) for t in texts)
    if any(rtl.has_rtl(t) for t in texts):
        preferred = name == ("pypdfium2" if logical + visual else "pypdf")
    else:
        preferred = name == first
    return (logical - visual, shown > 0, -bad / max(1, shown), preferred)


def _has_rtl(pages: list[tuple[int, str]]) -> bool:
    from loratui.core.extract import rtl

    return any(rtl.has_rtl(t) for _, t in pages)


def _in_order(pages: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Pages as an engine gave them, with what PDFs alone do undone: right-to-left lines in
    visual order, accents drawn as glyphs of their own ("Br¨ucke")."""
    from loratui.core.extract import normalise, rtl

    return [(n, normalise.compose_accents(rtl.logical_order(t))) for n, t in pages]


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
        first, second = engine_names(limits)
        with self.wording():
            try:
                return engine(first).count_pages(path, self.name, password, limits)
            except LoratuiError as err:
                if err.code not in FALLBACK_ON:
                    raise
                try:
                    return engine(second).count_pages(path, self.name, password, limits)
                except LoratuiError:
                    raise err from None

    def extract_pages(
        self, path: str, start: int, end: int, password: str | None, limits: Limits
    ) -> Pages:
        first, second = engine_names(limits)
        with self.wording():
            try:
                pages, used = _read(first, path, start, end, password, limits), first
            except LoratuiError as err:
                if err.code not in FALLBACK_ON:
                    raise
                try:
                    pages, used = _read(second, path, start, end, password, limits), second
                except LoratuiError:
                    raise err from None
                pages = _in_order(pages)
            else:
                pages = _in_order(pages)
                if _poor(pages) or _has_rtl(pages):
                    try:
                        other = _in_order(_read(second, path, start, end, password, limits))
                    except LoratuiError:
                        other = None
                    if other is not None and _quality(other, second, first) > _quality(
                        pages, first, first
                    ):
                        pages, used = other, second
        return [PageText(n, text, engine=used) for n, text in pages]

    def ocr_page(
        self, path: str, number: int, text: str, password: str | None, limits: Limits
    ) -> PageText | None:
        from loratui.core.extract import ocr

        with self.wording():
            return ocr.read_page(path, number, text, password, dict(limits))


KIND = PdfKind()
