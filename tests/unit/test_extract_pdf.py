"""PDF extraction with pypdf first: real files, passwords, and damaged input.

PDFium is the default engine since issue 11; these tests ask for pypdf (``pdf_engine``), so
they keep testing it (with PDFium as its fallback, as a project set to pypdf has it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from tests.unit.docmakers import make_encrypted_pdf, make_pdf

LIMITS: dict = {"pdf_engine": "pypdf"}
# Objects 79-174 of this file, the page tree among them, are missing from the file itself
# (neither pypdf nor PDFium can open it): it must fail as corrupt, with a clear message.
DAMAGED = {"pdf/017-unreadable-meta-data__unreadablemetadata.pdf"}


def _manifest(real_corpus: Path) -> list[dict]:
    return json.loads((real_corpus / "manifest.json").read_text())["files"]


def test_real_corpus_page_counts_match_the_manifest(real_corpus: Path) -> None:
    checked = 0
    for entry in _manifest(real_corpus):
        if not entry["file"].endswith(".pdf") or entry.get("password"):
            continue
        path = str(real_corpus / entry["file"])
        if entry["file"] in DAMAGED:
            with pytest.raises(LoratuiError) as info:
                extract.count_pages(path, "pdf", None, LIMITS)
            assert info.value.code == "corrupt"
            assert "damaged" in info.value.message
            continue
        total = extract.count_pages(path, "pdf", None, LIMITS)
        assert total == entry["pages"], entry["file"]
        pages = extract.extract_pages(path, "pdf", 1, total, None, LIMITS)
        assert [p[0] for p in pages] == list(range(1, entry["pages"] + 1)), entry["file"]
        assert all("\x00" not in p[1] for p in pages)
        checked += 1
    assert checked >= 25


def test_real_text_is_extracted(real_corpus: Path) -> None:
    path = str(real_corpus / "pdf/004-pdflatex-4-pages__pdflatex-4-pages.pdf")
    pages = extract.extract_pages(path, "pdf", 1, 4, None, LIMITS)
    assert "Hello, here is some text without a meaning" in pages[0][1]
    # a middle range opens the file once and returns just those pages
    assert [p[0] for p in extract.extract_pages(path, "pdf", 2, 3, None, LIMITS)] == [2, 3]
    # a range past the end is clipped
    assert [p[0] for p in extract.extract_pages(path, "pdf", 4, 99, None, LIMITS)] == [4]


def test_real_password_pdf(real_corpus: Path) -> None:
    entry = next(e for e in _manifest(real_corpus) if e.get("password"))
    path = str(real_corpus / entry["file"])
    with pytest.raises(LoratuiError) as info:
        extract.count_pages(path, "pdf", None, LIMITS)
    assert info.value.code == "encrypted"
    assert "unlock" in info.value.hint
    with pytest.raises(LoratuiError) as info:
        extract.extract_pages(path, "pdf", 1, 1, "not-the-password", LIMITS)
    assert info.value.code == "wrong_password"
    assert extract.count_pages(path, "pdf", entry["password"], LIMITS) == entry["pages"]
    pages = extract.extract_pages(path, "pdf", 1, entry["pages"], entry["password"], LIMITS)
    assert "Lorem ipsum dolor sit amet" in pages[0][1]


def test_empty_password_pdf_opens_without_asking(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Quarterly report page one.", "Page two here."])
    locked = make_encrypted_pdf(plain, tmp_path / "locked.pdf", user_password="")
    assert b"/Encrypt" in locked.read_bytes()
    assert extract.count_pages(str(locked), "pdf", None, LIMITS) == 2
    pages = extract.extract_pages(str(locked), "pdf", 1, 2, None, LIMITS)
    assert "Quarterly report page one." in pages[0][1]
    assert "Page two here." in pages[1][1]


def test_own_password_pdf(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Secret minutes."])
    locked = str(make_encrypted_pdf(plain, tmp_path / "locked.pdf", user_password="s3cret"))
    with pytest.raises(LoratuiError) as info:
        extract.extract_pages(locked, "pdf", 1, 1, None, LIMITS)
    assert info.value.code == "encrypted"
    assert "Secret minutes." in extract.extract_pages(locked, "pdf", 1, 1, "s3cret", LIMITS)[0][1]


def _corrupt(path: Path) -> LoratuiError:
    with pytest.raises(LoratuiError) as info:
        total = extract.count_pages(str(path), "pdf", None, LIMITS)
        extract.extract_pages(str(path), "pdf", 1, total, None, LIMITS)
    return info.value


def test_truncated_and_garbage_pdfs_are_corrupt(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["text " * 200] * 3).read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good[: len(good) // 3])
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + os.urandom(20_000))
    header_only = tmp_path / "header.pdf"
    header_only.write_bytes(b"%PDF-1.4\n%%EOF\n")
    for path in (truncated, garbage, header_only):
        err = _corrupt(path)
        assert err.code == "corrupt", path.name
        assert err.message.startswith("the PDF is damaged")
        assert err.hint


def test_pdfium_engine_is_used_when_set(tmp_path: Path) -> None:
    path = str(make_pdf(tmp_path / "a.pdf", ["Engine check text.", "Second."]))
    limits = {"pdf_engine": "pypdfium2"}
    assert extract.count_pages(path, "pdf", None, limits) == 2
    assert "Engine check text." in extract.extract_pages(path, "pdf", 1, 1, None, limits)[0][1]


def test_text_digest_is_sha256_of_pages_joined_by_form_feed() -> None:
    import hashlib

    pages = ["one", "twö", ""]
    assert extract.text_digest(pages) == hashlib.sha256("one\ftwö\f".encode()).hexdigest()


def test_ranges_share_a_kept_reader_until_the_last_page(tmp_path: Path) -> None:
    """Range by range (other files in between) gives the same text as one pass, holds at
    most KEEP_READERS readers, and lets go of a file once its last page is out."""
    from loratui.core.extract import pdf

    big = str(make_pdf(tmp_path / "big.pdf", [f"Page {n} of the big file." for n in range(1, 8)]))
    other = str(make_pdf(tmp_path / "other.pdf", ["Another file."]))
    assert extract.count_pages(big, "pdf", None, LIMITS) == 7
    ranged = []
    for start in (1, 4, 7):
        ranged += extract.extract_pages(big, "pdf", start, start + 2, None, LIMITS)
        assert extract.extract_pages(other, "pdf", 1, 1, None, LIMITS)[0][1] == "Another file."
        assert len(pdf._kept) <= pdf.KEEP_READERS  # noqa: SLF001
        assert any(key[0] == big for key in pdf._kept) == (start < 7)  # noqa: SLF001
    assert [p[:2] for p in ranged] == [(n, f"Page {n} of the big file.") for n in range(1, 8)]
    pdf.release_reader(big)
    assert ranged == extract.extract_pages(big, "pdf", 1, 7, None, LIMITS)
    assert not pdf._kept  # noqa: SLF001
