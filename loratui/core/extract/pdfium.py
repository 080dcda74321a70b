"""PDF text with PDFium (pypdfium2), the optional faster engine behind ``pdf_engine``.

Why: pypdf is pure Python and interprets every content stream in Python; PDFium is
Chrome's C++ PDF library and reads the same text several times faster and closer to the
page (see the benchmarks and README "Extraction fidelity"), so it is the default engine;
pypdf is the fallback (``kinds/pdf.py``).
Same contract as the pypdf engine (``extract/pdf.py``): the empty password is tried automatically,
a PDF that needs a real one fails ``encrypted`` (``wrong_password`` when the given one does
not open it), and anything PDFium cannot parse fails ``corrupt``.

PDFium is not thread-safe; this runs only inside the worker processes, one call at a time.
"""

from __future__ import annotations

import re
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from loratui.core.errors import LoratuiError
from loratui.core.extract import normalise
from loratui.core.extract.normalise import tidy
from loratui.core.extract.pdf_tables import Box, find_tables, mark_tables
from loratui.core.extract.shared import Refusal, damaged_pdf, page_numbers, unreadable

# PDFium marks a hyphen at a line end with U+0002 (kept as a hyphen) and a hyphen it takes
# for one that breaks a word across lines with U+FFFE, joining the two lines. It marks every
# hyphen at a line end so, the one in a compound too ("self\ufffesupervised"): the range's
# own words decide (``_resolve_breaks``). Glyphs without a Unicode mapping come out as
# their raw codes (C0 controls), which ``tidy`` drops with the other controls.
_MARKS = str.maketrans({"\x02": "-"})
_BREAK = re.compile(r"(\w+)\ufffe(\s*)(\w+)")
_WORD = re.compile(r"\w+")
_COMPOUND = re.compile(r"\w+-\w+")


def _resolve_breaks(texts: list[str]) -> list[str]:
    """Each U+FFFE mark between two word parts becomes a hyphen when the text around shows a
    compound (its second part capitalised, "self-supervised" elsewhere, or both parts as
    words of three letters or more and never the two joined),
    else it goes and the word is joined ("Hamil\ufffetonian" -> "Hamiltonian"). The
    default is to join: most hyphens at a line end break a word."""
    if not any("\ufffe" in t for t in texts):
        return texts
    plain = [_BREAK.sub(" ", t).lower() for t in texts]
    words = {w for t in plain for w in _WORD.findall(t)}
    compounds = {c for t in plain for c in _COMPOUND.findall(t)}

    def resolve(m: re.Match[str]) -> str:
        left, gap, right = m.groups()
        lo, ro = left.lower(), right.lower()
        compound = (
            right[0].isupper()  # a break before a capital is no hyphenation ("Nord-Süd")
            or f"{lo}-{ro}" in compounds
            or (min(len(lo), len(ro)) >= 3 and lo in words and ro in words and lo + ro not in words)
        )
        return f"{left}-{gap}{right}" if compound else f"{left}{right}{gap}"

    return [_BREAK.sub(resolve, t).replace("\ufffe", "") for t in texts]


def _open(path: str, password: str | None):  # noqa: ANN202 - a pdfium.PdfDocument
    """The document at ``path``; PDFium tries the empty password by itself."""
    try:
        return pdfium.PdfDocument(path, password=password or None)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_raw.FPDF_ERR_PASSWORD:
            raise Refusal("wrong_password" if password else "encrypted") from exc
        if code == pdfium_raw.FPDF_ERR_FILE:
            raise LoratuiError("io_error", "could not read the stored file") from exc
        if code == pdfium_raw.FPDF_ERR_SECURITY:
            raise LoratuiError(
                "unsupported",
                "the PDF uses a security handler PDFium does not support",
                "read it with pypdf: `loratui settings PROJECT pdf_engine=pypdf`, "
                "then retry the file",
            ) from exc
        raise damaged_pdf("PDFium could not parse it") from exc
    except OSError as exc:
        raise unreadable(exc) from exc


def count_pages(
    path: str, kind: str = "pdf", password: str | None = None, limits: dict[str, Any] | None = None
) -> int:
    """The number of pages; ``corrupt`` when there are none."""
    doc = _open(path, password)
    try:
        count = len(doc)
    finally:
        doc.close()
    if count < 1:
        raise damaged_pdf("it has no pages")
    return count


def _page_text(doc, index: int) -> str:  # noqa: ANN001 - a pdfium.PdfDocument
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            text = _place_accents(textpage, textpage.get_text_range())
            return mark_tables(text, _tables(textpage))
        finally:
            textpage.close()
    finally:
        page.close()


ACCENT_GAP_PT = 6.0  # how far above its letter an accent drawn as a glyph may sit


def _place_accents(textpage, text: str) -> str:  # noqa: ANN001 - a pdfium.PdfTextPage
    """Accents TeX draws as glyphs of their own put on their letters, by position.

    Over a capital the accent sits higher than the line, and PDFium sorts it onto the line
    above ("Die Eigen- ¨\nschaft ... Aquivalenzklassen"). Each accent glyph that is not
    right before a letter goes onto the letter drawn closest below it ("Äquivalenzklassen");
    one before its letter is left to ``normalise.compose_accents``.
    """
    if not any(a in text for a in normalise.SPACING_ACCENTS):
        return text
    count = textpage.count_chars()
    if count != len(text):  # one index a character, else the boxes do not line up
        return text
    chars = list(text)
    boxes: list[tuple[float, float, float, float]] | None = None
    for i, accent in enumerate(text):
        if accent not in normalise.SPACING_ACCENTS or text[i + 1 : i + 2].isalpha():
            continue
        if boxes is None:
            boxes = [textpage.get_charbox(j) for j in range(count)]
        left, bottom, right, _top = boxes[i]
        middle = (left + right) / 2
        best: tuple[float, int] | None = None
        for j, (x0, _y0, x1, y1) in enumerate(boxes):
            gap = bottom - y1
            if chars[j].isalpha() and x0 <= middle <= x1 and -2.0 <= gap <= ACCENT_GAP_PT:
                if best is None or gap < best[0]:
                    best = (gap, j)
        if best is not None:
            composed = normalise.accented(chars[best[1]], accent)
            if composed:
                chars[best[1]], chars[i] = composed, ""
    return "".join(chars)


def _tables(textpage) -> list[list[list[str]]]:  # noqa: ANN001 - a pdfium.PdfTextPage
    """The page's tables (``pdf_tables``), from PDFium's text rectangles."""
    import ctypes

    raw = textpage.raw
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    where = [ctypes.byref(v) for v in (left, top, right, bottom)]
    boxes = []
    for i in range(pdfium_raw.FPDFText_CountRects(raw, 0, -1)):
        pdfium_raw.FPDFText_GetRect(raw, i, *where)
        boxes.append(Box(left.value, right.value, bottom.value, top.value))
    return find_tables(boxes, lambda i: textpage.get_text_bounded(*_edges(boxes[i])))


def _edges(box: Box) -> tuple[float, float, float, float]:
    return box.x0, box.bottom, box.x1, box.top


def extract_pages(
    path: str,
    kind: str,
    start: int,
    end: int,
    password: str | None = None,
    limits: dict[str, Any] | None = None,
) -> list[tuple[int, str]]:
    """Text of pages ``start``..``end`` (1-based, inclusive; clipped to the last page)."""
    doc = _open(path, password)
    try:
        total = len(doc)
        numbers = list(page_numbers(start, end, total))
        texts: list[str] = []
        for number in numbers:
            try:
                texts.append(_page_text(doc, number - 1).translate(_MARKS))
            except pdfium.PdfiumError as exc:
                raise damaged_pdf(f"page {number}") from exc
        texts = _resolve_breaks(texts)
        return [(n, tidy(t)) for n, t in zip(numbers, texts, strict=True)]
    finally:
        doc.close()
