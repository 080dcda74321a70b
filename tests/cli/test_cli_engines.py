"""Which PDF engine read each document, and what `show` never holds (issue 11, 13-14).

Real worker processes over PDFs made here: `files --json` and `show --json` say which
engine read the text (PDFium by default; the other one when the first fails), and the text
`show` prints holds no ligature glyphs, control characters or U+FFFE, so its form feeds
are page separators only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.unit.docmakers import DEJAVU, make_docx, make_pdf, make_raw_pdf, make_unicode_pdf

UNWANTED = re.compile(r"[\x00-\x08\x0b\x0d-\x1f\ufffe\ufb00-\ufb06\xad]")
TEXT = b"BT /F1 12 Tf 72 700 Td (The quarterly report is ready for review today.) Tj ET"


def test_files_and_show_name_the_engine_and_show_is_clean(cli: CLI, tmp_path: Path) -> None:
    if not DEJAVU.exists():
        pytest.skip("DejaVu Sans is not installed")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_unicode_pdf(
        inbox / "glyphs.pdf", ["An e\ufb03cient \ufb01t of the Hamil-", "tonian res-", "onance."]
    )
    make_raw_pdf(inbox / "controls.pdf", b"BT /F1 12 Tf 72 700 Td (Form\x0cfeed \x01here) Tj ET")
    make_raw_pdf(inbox / "odd-filter.pdf", TEXT, stream_filter=b"/Bogus")
    make_pdf(inbox / "two.pdf", ["First page of two.", "Second page of two."])
    make_docx(inbox / "memo.docx")
    for project in ("default", "pypdf-first"):
        cli.run("new", project, check=True)
        if project == "pypdf-first":
            cli.run("settings", project, "pdf_engine=pypdf", check=True)
        cli.run("add", project, str(inbox), check=True)
        cli.run("process", project, "--workers", "1", check=True, timeout=600)
    engines = {
        project: {r["name"]: r["engine"] for r in cli.json("files", project)}
        for project in ("default", "pypdf-first")
    }
    assert engines["default"] == {
        "glyphs.pdf": "pypdfium2",
        "controls.pdf": "pypdfium2",
        "odd-filter.pdf": "pypdfium2",
        "two.pdf": "pypdfium2",
        "memo.docx": None,  # one reader: no engine to name
    }
    assert engines["pypdf-first"] == {
        "glyphs.pdf": "pypdf",
        "controls.pdf": "pypdf",
        "odd-filter.pdf": "pypdfium2",  # pypdf failed on it (corrupt): PDFium took over
        "two.pdf": "pypdf",
        "memo.docx": None,
    }
    for project in ("default", "pypdf-first"):
        for name in ("glyphs.pdf", "controls.pdf", "odd-filter.pdf", "two.pdf"):
            text = cli.run("show", project, name, check=True).stdout
            assert not UNWANTED.search(text), (project, name, text)
            shown = cli.json("show", project, name)
            assert {p["engine"] for p in shown["pages"]} == {engines[project][name]}
            assert text.count("\f") == len(shown["pages"]) - 1  # page separators only
        glyphs = cli.run("show", project, "glyphs.pdf", check=True).stdout
        assert "efficient fit" in glyphs, project
        assert "Hamil-tonian" not in glyphs and "res-onance" not in glyphs, project
    assert "Hamiltonian" in cli.run("show", "default", "glyphs.pdf", check=True).stdout
    page = cli.json("show", "default", "two.pdf", "--page", "2")
    assert page["engine"] == "pypdfium2" and "Second page of two." in page["text"]
