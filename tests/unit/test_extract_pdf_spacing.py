"""Word gaps pypdf misses (``extract/pdf_spacing.py``), with pypdf as the engine.

The PDF is written as pdfTeX writes a tight justified line: word gaps of a quarter em as
``TJ`` offsets, a word set in another font with its own text matrix, and fonts whose code
32 is a wide glyph (TeX's visible space), so pypdf's half-a-space test sees no gap.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream

from loratui.core import extract
from loratui.core.extract import pdf
from loratui.core.extract.pdf_spacing import WordGaps
from tests.unit.docmakers import make_raw_pdf

LIMITS: dict = {"pdf_engine": "pypdf"}
# Every glyph half an em wide, code 32 a full em.
WIDTHS = b" /FirstChar 32 /LastChar 126 /Widths [1000" + b" 500" * 94 + b"]"
BOLD = b"/F2 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold" + WIDTHS + b" >> "
# At 10 pt a glyph is 5 pt wide and a -250 offset a 2.5 pt gap.
LINE = (
    b"BT\n"
    b"/F1 10 Tf 1 0 0 1 72 700 Tm [(In) -250 (this) -250 (paper,) -250 (we)] TJ\n"
    b"/F2 10 Tf 1 0 0 1 152 700 Tm [(report)] TJ\n"
    b"/F1 10 Tf 1 0 0 1 184.5 700 Tm [(the) -250 (fi) -40 (rst) -250 (evidence.)] TJ\n"
    b"ET"
)


def _pypdf_text(path: Path) -> str:
    pages = extract.extract_pages(str(path), "pdf", 1, 1, None, LIMITS)
    return pages[0][1]


def test_quarter_em_gaps_and_a_word_after_a_font_change_are_spaces(tmp_path: Path) -> None:
    path = make_raw_pdf(tmp_path / "tight.pdf", LINE, font_extra=WIDTHS, more_fonts=BOLD)
    # a kern of 0.04 em inside "first" is no word gap
    assert _pypdf_text(path) == "In this paper, we report the first evidence."


def test_marks_already_in_the_operands_are_not_added_again(tmp_path: Path) -> None:
    """A page whose contents pypdf holds parsed (a writer's page after
    ``replace_contents``) is read from the same operands each time: the marks of the
    first reading are recognised, not added again."""
    path = make_raw_pdf(tmp_path / "twice.pdf", LINE, font_extra=WIDTHS, more_fonts=BOLD)
    writer = PdfWriter(clone_from=PdfReader(path))
    page = writer.pages[0]
    page.replace_contents(ContentStream(page.get_contents(), writer))
    texts = []
    for _ in range(2):
        gaps = WordGaps(page["/Resources"])
        texts.append(pdf._page_text(page))  # noqa: SLF001
        page.extract_text(visitor_operand_before=gaps.before)
        assert gaps.added == 0  # the first reading's marks are there
    assert texts == ["In this paper, we report the first evidence."] * 2


def test_fonts_without_widths_are_left_to_pypdf(tmp_path: Path) -> None:
    """Helvetica without ``/Widths``: the gaps are not measured, pypdf's text stands
    (here its own test finds the half-em gaps)."""
    content = b"BT /F1 10 Tf 72 700 Td [(Plain) -500 (words)] TJ ET"
    path = make_raw_pdf(tmp_path / "plain.pdf", content)
    assert _pypdf_text(path) == "Plain words"
