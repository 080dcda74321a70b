"""DOCX extraction: real files (python-docx's own test documents) and our own."""

from __future__ import annotations

import html
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from tests.unit.docmakers import make_docx, make_docx_with_notes, make_zip_bomb_docx

LIMITS = {"max_docx_inflated_mb": 500}
_W_T = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def _pages(path: Path, limits: dict = LIMITS) -> list[str]:
    total = extract.count_pages(str(path), "docx", None, limits)
    return [t for _, t in extract.extract_pages(str(path), "docx", 1, total, None, limits)]


def _find(real_corpus: Path, fragment: str) -> Path:
    return next((real_corpus / "docx").glob(f"*{fragment}.docx"))


def test_every_real_docx_keeps_all_body_text(real_corpus: Path) -> None:
    """Every character of every ``w:t`` in the body appears in what we extract."""
    files = sorted((real_corpus / "docx").glob("*.docx"))
    assert len(files) >= 40
    with_text = 0
    for path in files:
        xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
        expected = Counter(html.unescape("".join(_W_T.findall(xml))).replace(" ", ""))
        pages = _pages(path)
        assert pages, path.name
        got = Counter("".join(pages))
        missing = expected - got
        assert not missing, f"{path.name} lost {dict(missing)}"
        if expected:
            with_text += 1
            assert sum(len(p) for p in pages) > 0
    assert with_text >= 30


def test_tables_in_document_order(real_corpus: Path) -> None:
    text = "\f".join(_pages(_find(real_corpus, "tbl-having-applied-style")))
    assert "| foobar | barfoo |" in text
    assert "| foo to you | and a hearty foo to you too sir! |" in text
    text = "\f".join(_pages(_find(real_corpus, "blk-paras-and-tables")))
    assert text.index("| Left-side | Right-side |") < text.index("Lorem ipsum")
    cells = _pages(_find(real_corpus, "tbl-cell-access"))[0]
    assert "| 1 | 2 | 3 |\n| 4 | 5 | 6 |\n| 7 | 8 | 9 |" in cells


def test_headers_and_footers(real_corpus: Path) -> None:
    pages = _pages(_find(real_corpus, "hdr-header-footer"))
    assert pages[0].startswith("Header for section-1")
    assert "section with header" in pages[0]
    assert pages[0].endswith("Footer for section 1")
    assert pages[1] == "section without header of its own."
    pages = _pages(_find(real_corpus, "doc-odd-even-hdrs"))
    assert "Odd page header." in pages[0] and "Even page header." in pages[0]
    assert pages[1] == "Second Page."


def test_sections_start_new_pages(real_corpus: Path) -> None:
    pages = _pages(_find(real_corpus, "sct-section-props"))
    assert pages[:3] == ["Section 1 paragraph.", "Section 2 paragraph.", "Section 3 paragraph."]
    # a continuous section break does not start a page
    assert pages[3] == "Section 4 paragraph.\n\nSection 5 paragraph."


def test_rendered_page_breaks_are_not_page_breaks(real_corpus: Path) -> None:
    pages = _pages(_find(real_corpus, "par-rendered-page-breaks"))
    assert len(pages) == 1
    assert "Page break here>><<followed by more text." in pages[0]


def test_empty_real_docx_is_one_empty_page(real_corpus: Path) -> None:
    assert _pages(_find(real_corpus, "doc-default")) == [""]


def test_own_docx_pages_tables_headers_footers(tmp_path: Path) -> None:
    pages = _pages(make_docx(tmp_path / "own.docx"))
    assert pages == [
        "ACME Confidential Header\n\nFirst paragraph before the table.\n\n"
        "| Name | Role |\n| Ada | Engineer |\n\nParagraph after the table.",
        "Second page text.",
        "Third page in section two.\n\nSection two footer",
    ]


def test_footnotes_close_their_page_and_endnotes_the_document(tmp_path: Path) -> None:
    pages = _pages(make_docx_with_notes(tmp_path / "notes.docx"))
    assert pages == [
        "Rivers carry silt[1] to the delta.\n\n[1] Measured in 2019.",
        "Deltas grow[2] and shift[i], as noted before[1].\n\n[2] Growth is seasonal."
        "\n\n[i] See the survey appendix.",
    ]


def test_roman_endnote_numbers() -> None:
    from loratui.core.extract.docx import roman

    assert [roman(n) for n in (1, 4, 9, 14, 40, 90, 400, 1994)] == [
        "i", "iv", "ix", "xiv", "xl", "xc", "cd", "mcmxciv"
    ]  # fmt: skip


def test_zip_bomb_refused_before_parsing(tmp_path: Path) -> None:
    bomb = make_zip_bomb_docx(tmp_path / "bomb.docx", declared_mb=12)
    with pytest.raises(LoratuiError) as info:
        _pages(bomb, {"max_docx_inflated_mb": 5})
    assert info.value.code == "zip_bomb"


def test_damaged_docx_is_corrupt(tmp_path: Path) -> None:
    good = make_docx(tmp_path / "good.docx").read_bytes()
    cut = tmp_path / "cut.docx"
    cut.write_bytes(good[: len(good) // 2])
    not_docx = tmp_path / "parts.docx"
    with zipfile.ZipFile(not_docx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document")
    for path in (cut, not_docx):
        with pytest.raises(LoratuiError) as info:
            _pages(path)
        assert info.value.code == "corrupt", path.name
        assert "DOCX is damaged" in info.value.message


def test_rows_and_cells_in_content_controls_and_ruby_base_text(tmp_path: Path) -> None:
    from tests.unit.docmakers import make_docx_with_controls_and_ruby

    pages = _pages(make_docx_with_controls_and_ruby(tmp_path / "sdt.docx"))
    assert pages == [
        "Table 1: the index by year.\n\n"
        "| Year | Index |\n| 1975 | 105.1 |\n| 1976 | 98.4 |\n\n"
        "Write 漢字 daily."
    ]
