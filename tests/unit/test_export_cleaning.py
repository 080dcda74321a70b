"""What the export's cleaning keeps out of (and in) the records, end to end: real
documents made here, extracted by the real engines, exported, and the records read back.

Table rows stay rows, running heads whose title changes per chapter go, a page break
inside a sentence is not a paragraph break, and a compound broken at a line end keeps its
hyphen when the document writes it with one elsewhere."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.export import clean
from loratui.core.export.config import ExportConfig
from loratui.core.export.version import run_export
from loratui.core.extract.table_rows import is_row
from loratui.core.projects import workspace
from tests.export_support import add_doc, paragraph
from tests.unit.docmakers import make_book_pdf

LIMITS = {"max_docx_inflated_mb": 500}
ENGINES = ["pypdf", "pypdfium2"]


def _pages(path: Path, kind: str, engine: str = "pypdf") -> list[str]:
    limits = {**LIMITS, "pdf_engine": engine}
    total = extract.count_pages(str(path), kind, None, limits)
    pages = extract.extract_pages(str(path), kind, 1, total, None, limits)
    return [p[1] for p in pages]  # (number, text), or PageText for PDF pages


def _export_texts(name: str, pages: list[str], kind: str, **cfg: object) -> list[str]:
    """The ``text`` field of every record an export of one document writes."""
    project = workspace.create_project(name)
    add_doc(project, f"{name}.{kind}", pages, kind=kind)
    base = ExportConfig(format="text", validation_fraction=0.0, dedup_near=False)
    version = run_export(project, base.with_changes(**cfg))
    out = []
    for split in ("train.jsonl", "validation.jsonl"):
        path = Path(version.path) / split
        if path.exists():
            out += [json.loads(ln)["text"] for ln in path.read_text().splitlines() if ln]
    return out


def _book(path: Path) -> Path:
    """Twelve pages, chapter titles changing every three pages, heads on every page but
    the chapter openings: even pages "number title", odd pages "title number"."""
    chapters = ["1.1. TOPOLOGISCHE RÄUME", "1.2. METRISCHE RÄUME", "1.3. STETIGKEIT"]
    chapters.append("1.4. WEGE UND KNOTEN")
    rng = random.Random(4)
    pages = []
    for i in range(12):
        printed = i + 3  # front matter shifts the printed numbers
        title = chapters[i // 3]
        head = (
            None if i % 3 == 0 else (f"{printed} {title}" if i % 2 == 0 else f"{title} {printed}")
        )
        pages.append((head, f"{paragraph(rng)} Beispiel {i + 1} zeigt eine Folge."))
    return make_book_pdf(path, pages)


@pytest.mark.parametrize("engine", ENGINES)
def test_running_heads_that_change_per_chapter_are_removed(
    home: Path, tmp_path: Path, engine: str
) -> None:
    pages = _pages(_book(tmp_path / "book.pdf"), "pdf", engine)
    assert sum("WEGE UND KNOTEN" in p for p in pages) == 2  # the heads were extracted
    texts = _export_texts(f"book-{engine}", pages, "pdf", chunk_tokens=64, chunk_overlap=0)
    joined = "\n".join(texts)
    assert "Beispiel 12 zeigt" in joined and "Beispiel 1 zeigt" in joined
    for title in ("TOPOLOGISCHE", "METRISCHE", "STETIGKEIT", "KNOTEN"):
        assert title not in joined, f"a running head ({title}) is left in the records"


def test_a_line_that_merely_starts_with_a_number_is_not_a_head() -> None:
    from loratui.core.export import running_heads

    heads = running_heads.RunningHeads()
    for n in range(1, 13):
        top = f"{n + 20} CHAPTER ONE" if n != 7 else "27 Results"  # a heading, once
        heads.add_page(n, f"{top}\nBody of page {n}.\n1975 was a dry year")
    found = heads.found()
    assert found.offsets == frozenset({-20}) and found.titles == frozenset({"chapter one"})
    page = "25 CHAPTER ONE\nBody.\n1975 was a dry year"
    assert running_heads.drop_heads(5, page, found) == ("Body.\n1975 was a dry year", 1)
    # the heading that carries its page's number is on one page only: it stays
    assert running_heads.drop_heads(7, "27 Results\nBody.", found) == ("27 Results\nBody.", 0)
    # a contents line (numbers at both ends) is never a head
    assert running_heads.head("1 Topologische Grundbegriffe 2") is None


@pytest.mark.parametrize("engine", ENGINES)
def test_a_page_break_inside_a_sentence_is_not_a_paragraph_break(
    home: Path, tmp_path: Path, engine: str
) -> None:
    path = make_book_pdf(
        tmp_path / "join.pdf",
        [
            (None, "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\nNam feugiat"),
            (None, "lacus vel est. Curabitur consectetur.\nDonec an exam-"),
            (None, "ple of a word broken across the page."),
        ],
    )
    texts = _export_texts(f"join-{engine}", _pages(path, "pdf", engine), "pdf")
    joined = "\n".join(texts)
    assert "Nam feugiat lacus vel est." in joined
    assert "Donec an example of a word" in joined


def test_a_one_row_table_is_not_a_heading() -> None:
    from loratui.core.export.chunking import is_heading

    assert is_heading("1.6. WEGE UND KNOTEN") and not is_heading("| YEAR | GDP |")


def test_page_joins_keep_real_paragraph_breaks() -> None:
    assert clean.join_pages("It ends here.", "Next page.")[2] is False
    assert clean.join_pages("Chapter", "Next page starts")[2] is False
    assert clean.join_pages("a list follows", "- item")[2] is False
    assert clean.join_pages("| a | b |", "| c | d |")[2] is False
    assert clean.join_pages("one, two,", "Three")[2] is True
    assert clean.join_pages("a well-", "coordinated plan", {"well-coordinated"})[:2] == (
        "a well-coordinated",
        "plan",
    )


# pypdf only: PDFium joins a line-end hyphen itself and marks it U+FFFE, which the PDFium
# engine's own handling of that mark decides (not the cleaning)
@pytest.mark.parametrize("engine", ["pypdf"])
def test_compounds_broken_at_a_line_end_keep_their_hyphen(
    home: Path, tmp_path: Path, engine: str
) -> None:
    path = make_book_pdf(
        tmp_path / "hyphen.pdf",
        [
            (
                None,
                "The so-called plan was well-coordinated from the first day on.\n"
                "A teacher-student ratio of ten was the goal of the whole exam-\n"
                "ple school.",
            ),
            (
                None,
                "Each well-\ncoordinated step, each so-\ncalled reform and the teacher-\n"
                "student ratio were reported by the hyphen-\nation committee.",
            ),
        ],
    )
    joined = "\n".join(_export_texts(f"hyphen-{engine}", _pages(path, "pdf", engine), "pdf"))
    for word in ("well-coordinated step", "so-called reform", "teacher-student ratio were"):
        assert word in joined
    for glued in ("wellcoordinated", "socalled", "teacherstudent"):
        assert glued not in joined
    assert "example school" in joined and "hyphenation committee" in joined


def test_dehyphenate_keeps_known_compounds() -> None:
    text = "a well-\ncoordinated exam-\nple"
    assert clean.dehyphenate(text) == "a wellcoordinated example"
    keep = clean.compounds("the well-coordinated plan, a so-called fix")
    assert keep == {"well-coordinated", "so-called"}
    assert clean.dehyphenate(text, keep) == "a well-coordinated example"
    # a soft hyphen at a line end only marks where the word was broken
    assert clean.fix_whitespace("the well-coordi\u00ad\nnated plan") == "the well-coordinated plan"


def _table_rows(texts: list[str]) -> list[str]:
    return [ln for t in texts for ln in t.split("\n") if is_row(ln)]


def test_docx_table_rows_stay_rows_in_the_records(home: Path, tmp_path: Path) -> None:
    from tests.unit.docmakers import TABLE_ROWS, make_docx_with_table

    pages = _pages(make_docx_with_table(tmp_path / "report.docx"), "docx")
    texts = _export_texts("report", pages, "docx")
    rows = _table_rows(texts)
    assert rows == [f"| {' | '.join(r)} |" for r in TABLE_ROWS]
    joined = "\n".join(texts)
    assert "Table 3: Index by year\n\n| Year |" in joined  # the caption is not glued on
    assert "| 1978 | 110.3 | 8.4 | 33.0 |\n\nafter the oil crisis" in joined


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_table_rows_stay_rows_in_the_records(home: Path, tmp_path: Path, engine: str) -> None:
    from tests.unit.docmakers import TABLE_ROWS

    rng = random.Random(9)
    path = make_book_pdf(
        tmp_path / "report.pdf",
        [(None, f"{paragraph(rng)}\nTable 3: Index by year"), (None, paragraph(rng))],
        tables={0: TABLE_ROWS},
    )
    pages = _pages(path, "pdf", engine)
    texts = _export_texts(f"report-{engine}", pages, "pdf")
    assert _table_rows(texts) == [f"| {' | '.join(r)} |" for r in TABLE_ROWS]
    joined = "\n".join(texts)
    assert "Table 3: Index by year\n\n| Year |" in joined
    assert "| 1978 | 110.3 | 8.4 | 33.0 |\n\nThe table ends here" in joined


@pytest.mark.parametrize("engine", ENGINES)
def test_prose_pdf_has_no_table_rows(tmp_path: Path, engine: str) -> None:
    """Lines of prose, justified or not, are never taken for a table."""
    rng = random.Random(10)
    path = make_book_pdf(tmp_path / "prose.pdf", [(None, paragraph(rng, 12)) for _ in range(3)])
    assert not [ln for p in _pages(path, "pdf", engine) for ln in p.split("\n") if is_row(ln)]
