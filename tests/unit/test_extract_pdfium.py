"""The PDFium engine (the default) reads the same words as pypdf and fails with the same codes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from loratui.core.extract import pdf as pypdf_engine
from loratui.core.extract import pdfium as pdfium_engine

REPO = Path(__file__).resolve().parents[2]
WORDS = re.compile(r"\w+")
PDFIUM = {"pdf_engine": "pypdfium2"}


def _words(pages: list[tuple[int, str]]) -> list[str]:
    return WORDS.findall(" ".join(text for _, text in pages))


def _all_pages(engine, path: Path, password: str | None = None) -> list[tuple[int, str]]:  # noqa: ANN001
    n = engine.count_pages(str(path), "pdf", password, {})
    return engine.extract_pages(str(path), "pdf", 1, n, password, {})


@pytest.fixture(scope="module")
def three_fonts_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages, each in another font, each with words we can look for."""
    from fpdf import FPDF

    pdf = FPDF()
    for number, font in enumerate(("Helvetica", "Times", "Courier"), start=1):
        pdf.add_page()
        pdf.set_font(font, size=12)
        pdf.multi_cell(0, 6, f"Page {number} set in {font}. The quarterly budget review " * 8)
    path = tmp_path_factory.mktemp("pdfium") / "fonts.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def corpus_pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """PDFs from the benchmark corpus generator (several fonts, tables, headers, footers)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    out = tmp_path_factory.mktemp("corpus")
    specs = [s for s in make_corpus.plan(40, seed=3, max_pages=12) if s.kind == "pdf"][:5]
    paths = []
    for spec in specs:
        spec.name = make_corpus.file_name(spec)
        make_corpus.render_pdf(spec, out / spec.name)
        paths.append(out / spec.name)
    return paths


def test_generated_pdf_pages_and_words(three_fonts_pdf: Path) -> None:
    assert pdfium_engine.count_pages(str(three_fonts_pdf)) == 3
    pages = pdfium_engine.extract_pages(str(three_fonts_pdf), "pdf", 1, 3)
    assert [n for n, _ in pages] == [1, 2, 3]
    for (number, raw), font in zip(pages, ("Helvetica", "Times", "Courier"), strict=True):
        text = " ".join(raw.split())  # line breaks fall where the layout put them
        assert f"Page {number} set in {font}." in text
        assert text.count("quarterly budget review") == 8
    assert _words(pages) == _words(_all_pages(pypdf_engine, three_fonts_pdf))


def test_range_is_clipped_to_the_last_page(three_fonts_pdf: Path) -> None:
    pages = pdfium_engine.extract_pages(str(three_fonts_pdf), "pdf", 2, 99)
    assert [n for n, _ in pages] == [2, 3]
    assert "set in Times" in " ".join(pages[0][1].split())


def test_corpus_pdfs_give_the_same_words_as_pypdf(corpus_pdfs: list[Path]) -> None:
    assert corpus_pdfs
    for path in corpus_pdfs:
        ours = _all_pages(pdfium_engine, path)
        theirs = _all_pages(pypdf_engine, path)
        assert len(ours) == len(theirs)
        assert _words(ours) == _words(theirs), path.name
        assert "Confidential" in ours[0][1]  # the running footer is text too


def test_dispatcher_uses_pdfium_when_the_setting_says_so(corpus_pdfs: list[Path]) -> None:
    path = str(corpus_pdfs[0])
    n = extract.count_pages(path, "pdf", None, PDFIUM)
    via_setting = extract.extract_pages(path, "pdf", 1, n, None, PDFIUM)
    assert [p[:2] for p in via_setting] == pdfium_engine.extract_pages(path, "pdf", 1, n)
    assert {p.engine for p in via_setting} == {"pypdfium2"}
    by_default = extract.extract_pages(path, "pdf", 1, n, None, {})
    assert {p.engine for p in by_default} == {"pypdfium2"}  # the default engine (issue 11)


def test_real_corpus_pdfs_match_pypdf(real_corpus: Path) -> None:
    manifest = json.loads((real_corpus / "manifest.json").read_text())
    compared = 0
    for entry in manifest["files"]:
        if not entry["file"].endswith(".pdf"):
            continue
        path = real_corpus / entry["file"]
        password = entry.get("password")
        try:
            theirs = _all_pages(pypdf_engine, path, password)
        except LoratuiError:
            continue  # pypdf cannot read it either; the failure codes are tested below
        ours = _all_pages(pdfium_engine, path, password)
        assert len(ours) == entry["pages"], entry["file"]
        text = " ".join(t for _, t in ours)
        assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f]", text), entry["file"]
        a = {w.lower() for w in _words(theirs)}
        b = {w.lower() for w in _words(ours)}
        if sum(len(t) for _, t in theirs) >= 200:  # enough text for the word sets to mean much
            assert len(a & b) / len(a | b) >= 0.8, entry["file"]
            compared += 1
    assert compared >= 5


def test_encrypted_real_pdf(real_corpus: Path) -> None:
    manifest = json.loads((real_corpus / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e.get("encrypted") and e.get("password"))
    path = str(real_corpus / entry["file"])
    with pytest.raises(LoratuiError) as no_password:
        pdfium_engine.count_pages(path)
    assert no_password.value.code == "encrypted"
    assert "unlock" in no_password.value.hint
    with pytest.raises(LoratuiError) as wrong:
        pdfium_engine.extract_pages(path, "pdf", 1, 1, "not-the-password")
    assert wrong.value.code == "wrong_password"
    right = pdfium_engine.extract_pages(path, "pdf", 1, 1, entry["password"])
    assert _words(right) == _words(pypdf_engine.extract_pages(path, "pdf", 1, 1, entry["password"]))
    assert len(right[0][1]) > 50


def test_damaged_files_fail_corrupt(tmp_path: Path, three_fonts_pdf: Path) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(three_fonts_pdf.read_bytes()[:300])
    for path in (garbage, truncated):
        with pytest.raises(LoratuiError) as err:
            pdfium_engine.count_pages(str(path))
        assert err.value.code == "corrupt"
        assert "damaged" in err.value.message
