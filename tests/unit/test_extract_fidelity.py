"""What extraction hands out is text a model can learn from (issue 11, items 13-15).

Real PDFs made here: fpdf2 with a Unicode font (ligature glyphs, a word hyphenated at a
line end, Hebrew and Arabic), and PDFs written byte by byte for what no writer makes on
purpose (control characters in a string, a filter pypdf does not know, a font whose
encoding is missing). Both engines run for real; the fallback between them is seen in
``PageText.engine``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from loratui.core.extract import normalise, rtl
from loratui.core.store import settings
from tests.unit.docmakers import DEJAVU, make_raw_pdf, make_unicode_pdf

PYPDF = {"pdf_engine": "pypdf"}
PDFIUM = {"pdf_engine": "pypdfium2"}
BOTH = (PDFIUM, PYPDF)
# what no stored page may hold: C0 controls but tab and newline, U+FFFE, ligature glyphs
UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\ufb00-\ufb06\xad]")
TEXT = b"BT /F1 12 Tf 72 700 Td (The quarterly report is ready for review today.) Tj ET"

needs_dejavu = pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVu Sans is not installed")


def _pages(path: Path, limits: dict) -> list:
    total = extract.count_pages(str(path), "pdf", None, limits)
    return extract.extract_pages(str(path), "pdf", 1, total, None, limits)


def _text(path: Path, limits: dict) -> str:
    return "\n".join(p[1] for p in _pages(path, limits))


def test_tidy_drops_controls_form_feeds_ligatures_and_soft_hyphen_marks() -> None:
    tidy = normalise.tidy
    assert tidy("one\x0ctwo\x0bthree") == "one\ntwo\nthree"  # in-page form feed: a line break
    assert tidy("a\x01b\x02c\x1fd\x7fe") == "abcd\x7fe"  # C0 controls go (DEL is not C0)
    assert tidy("e\ufb03cient \ufb01ne \ufb00 \ufb02 \ufb04 \ufb05 \ufb06") == (
        "efficient fine ff fl ffl st st"
    )
    assert tidy("Hamil\xad\ntonian of it") == "Hamiltonian\nof it"  # the word joined
    assert tidy("res\xad\nonance\nnext") == "resonance\nnext"  # no blank line left
    assert tidy("in\xadvisible \ufffe\uffff") == "invisible "
    assert tidy("tab\tkept\n") == "tab\tkept\n"
    plain = "Nothing to do here.\n"
    assert tidy(plain) is plain


def test_pdfium_soft_hyphen_mark_joins_the_word(tmp_path: Path) -> None:
    """PDFium hands a hyphen that breaks a word at a line end out as U+FFFE: the word is
    joined ("Hamiltonian"), not cut by a hyphen that is not in it ("Hamil-tonian")."""
    if not DEJAVU.exists():
        pytest.skip("DejaVu Sans is not installed")
    lines = ["The Hamil-", "tonian of the self-", "supervised res-", "onance is self-supervised."]
    path = make_unicode_pdf(tmp_path / "h.pdf", lines)
    text = _text(path, PDFIUM)
    assert "Hamiltonian" in text and "resonance" in text
    # PDFium marks the hyphen of a compound at a line end alike: the page's own words tell
    assert "selfsupervised" not in text and text.count("self-supervised") == 2
    assert "-tonian" not in text and "-onance" not in text and "\ufffe" not in text
    assert {p.engine for p in _pages(path, PDFIUM)} == {"pypdfium2"}


@needs_dejavu
@pytest.mark.parametrize("limits", BOTH, ids=["pypdfium2", "pypdf"])
def test_no_ligature_glyphs_from_either_engine(tmp_path: Path, limits: dict) -> None:
    path = make_unicode_pdf(tmp_path / "l.pdf", ["An e\ufb03cient and \ufb01ne \ufb02ow."])
    text = _text(path, limits)
    assert "efficient and fine flow" in text
    assert not UNWANTED.search(text)


@pytest.mark.parametrize("limits", BOTH, ids=["pypdfium2", "pypdf"])
def test_no_control_characters_or_form_feeds_inside_a_page(tmp_path: Path, limits: dict) -> None:
    raw = b"BT /F1 12 Tf 72 700 Td (Form\x0cfeed and \x01control\x02 here) Tj ET"
    path = make_raw_pdf(tmp_path / "c.pdf", raw)
    (page,) = _pages(path, limits)
    assert not UNWANTED.search(page[1]), repr(page[1])
    assert "control here" in page[1].replace("-", "")
    assert "\f" not in page[1]  # a page never holds the page separator of `show`


def test_pdfium_is_the_default_engine(tmp_path: Path) -> None:
    assert settings.DEFAULTS["pdf_engine"] == "pypdfium2"
    assert settings.parse_assignment("pdf_engine=pypdf") == ("pdf_engine", "pypdf")
    with pytest.raises(LoratuiError) as unknown:
        settings.parse_assignment("pdf_engine=pdfminer")
    assert unknown.value.code == "invalid" and "pypdfium2, pypdf" in unknown.value.message
    path = make_raw_pdf(tmp_path / "d.pdf", TEXT)
    (page,) = _pages(path, {})
    assert page.engine == "pypdfium2"
    assert "quarterly report" in page.text


def test_the_other_engine_takes_over_when_the_first_fails(tmp_path: Path) -> None:
    """pypdf refuses a content stream under a filter it does not know (``corrupt``);
    PDFium reads it as it is. Asked for pypdf first, the document still reads, by PDFium."""
    path = make_raw_pdf(tmp_path / "f.pdf", TEXT, stream_filter=b"/Bogus")
    from loratui.core.extract import pdf as pypdf_engine

    with pytest.raises(LoratuiError) as alone:
        pypdf_engine.extract_pages(str(path), "pdf", 1, 1)
    assert alone.value.code == "corrupt"
    (page,) = _pages(path, PYPDF)
    assert page.engine == "pypdfium2"
    assert "The quarterly report is ready for review today." in page.text


def test_the_other_engine_takes_over_from_garbled_text(tmp_path: Path) -> None:
    """A font whose /Encoding points at a missing object: pypdf gives replacement marks
    only (a ``mojibake`` warning), PDFium the text; the better pages are kept."""
    path = make_raw_pdf(tmp_path / "g.pdf", TEXT, font_extra=b" /Encoding 99 0 R")
    from loratui.core.extract import pdf as pypdf_engine

    ((_, garbled),) = pypdf_engine.extract_pages(str(path), "pdf", 1, 1)
    assert garbled.count("\ufffd") > 20
    (page,) = _pages(path, PYPDF)
    assert page.engine == "pypdfium2"
    assert "The quarterly report is ready for review today." in page.text


def test_both_engines_failing_fail_with_the_first_ones_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    for limits in BOTH:
        with pytest.raises(LoratuiError) as info:
            _pages(path, limits)
        assert info.value.code == "corrupt"
        assert info.value.message.startswith("the PDF is damaged")


HEBREW = "שלום עולם, זהו מסמך בעברית עם 2024 מספרים ומילים רבות."
ARABIC = "مستندات. اقرأ الطلاب جميع الكتب في المكتبة العامة."


@needs_dejavu
@pytest.mark.parametrize("limits", BOTH, ids=["pypdfium2", "pypdf"])
def test_right_to_left_text_comes_out_in_logical_order(tmp_path: Path, limits: dict) -> None:
    """fpdf2 draws Hebrew and Arabic in visual order, as most writers do; both engines
    hand the glyphs out in that order ("םולש"). Stored pages hold the words as written."""
    path = make_unicode_pdf(tmp_path / "rtl.pdf", [HEBREW, ARABIC], align="R")
    text = _text(path, limits)
    for line in (HEBREW, ARABIC):
        words = set(re.findall(r"\w+", line))
        got = set(re.findall(r"\w+", text))
        assert words <= got, (line, text)
    assert "שלום עולם" in text and "الطلاب جميع الكتب" in text


def test_rtl_order_votes() -> None:
    assert rtl.in_visual_order("םולש םלוע ךמסמ")  # final forms first: mirrored
    assert not rtl.in_visual_order("שלום עולם מסמך")
    assert rtl.logical_order("םולש םלוע ךמסמ") == "מסמך עולם שלום"
    assert rtl.logical_order("no right-to-left here") == "no right-to-left here"
    mixed = "The word םולש and םלוע and ךמסמ here"  # a Latin line keeps its order
    assert rtl.logical_order(mixed) == "The word שלום and עולם and מסמך here"


@pytest.mark.parametrize("limits", BOTH, ids=["pypdfium2", "pypdf"])
def test_accents_drawn_as_glyphs_of_their_own_are_composed(tmp_path: Path, limits: dict) -> None:
    """TeX's 7-bit fonts draw "ü" as a diaeresis glyph before a "u" (octal 310 in the
    standard encoding); both engines hand out "Br¨ucke". Stored pages hold "Brücke"."""
    raw = b"BT /F1 12 Tf 72 700 Td (Die Br\310ucke von M\310uller, na\310\365ve.) Tj ET"
    (page,) = _pages(make_raw_pdf(tmp_path / "a.pdf", raw), limits)
    assert "Die Brücke von Müller, naïve." in page[1]
    assert normalise.compose_accents("voil`a `code` a ¨ b ¨x") == "voilà `code` a ¨ b ẍ"


def test_an_accent_sorted_onto_another_line_goes_onto_its_letter(tmp_path: Path) -> None:
    """Over a capital TeX raises the accent glyph so far that PDFium sorts it away from its
    letter ("Aquivalenz ... ¨"); by position it lands on the "A" below it. A line-end hyphen
    before a capital stays ("Nord-" + "Äquivalenz" is no broken word)."""
    raw = (
        b"BT /F1 12 Tf 72 700 Td (Diese Nord-) Tj ET "
        b"BT /F1 12 Tf 72 686 Td (Aquivalenz gilt.) Tj ET "
        b"BT /F1 12 Tf 74.5 691 Td (\310) Tj ET"
    )
    (page,) = _pages(make_raw_pdf(tmp_path / "a.pdf", raw), PDFIUM)
    assert "Äquivalenz gilt." in page.text
    assert "Nord-" in page.text and "NordÄ" not in page.text
    assert not re.search("[\u00a8\u0308]", page.text)
