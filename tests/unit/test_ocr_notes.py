"""What a document's warnings say about OCR: the ``ocr`` note with its figures, and hints on
missing text that say how OCR could read the pages (or that it already tried)."""

from __future__ import annotations

from loratui.core.extract import ocr
from loratui.core.jobs import validate


def _no_text() -> list[dict]:
    return validate.document_warnings([""], "pdf")


def test_the_ocr_note_counts_pages_and_gives_the_mean_confidence() -> None:
    assert validate.ocr_warning(4, 0, 0, None) is None
    note = validate.ocr_warning(4, 3, 1, 0.91234)
    assert note["code"] == "ocr" and (note["pages"], note["confidence"]) == (3, 0.9123)
    assert note["message"] == "3 pages read by OCR (1 with no text found), mean confidence 0.91"
    assert "loratui show PROJECT 4 --page N" in note["hint"] and "ocr=off" in note["hint"]


def test_hints_on_missing_text_say_what_would_get_ocr_going() -> None:
    missing = _no_text()
    validate.ocr_hints(missing, 9, "auto", installed=False, read=0)
    assert "pip install 'loratui[ocr]'" in missing[0]["hint"]
    assert "loratui retry PROJECT 9" in missing[0]["hint"]
    off = _no_text()
    validate.ocr_hints(off, 9, "off", installed=True, read=0)
    assert "ocr=auto" in off[0]["hint"]
    tried = _no_text()
    validate.ocr_hints(tried, 9, "auto", installed=True, read=1)
    assert tried[0]["message"] == "no text: OCR found none on its pages either"
    blank = _no_text()
    validate.ocr_hints(blank, 9, "auto", installed=True, read=0)
    assert "blank" in blank[0]["message"]
    little = validate.document_warnings(["x" * 900, ""], "pdf")
    assert [w["code"] for w in little] == ["little_text"]
    validate.ocr_hints(little, 9, "auto", installed=True, read=0)
    assert "ocr=force" in little[0]["hint"]


def test_which_pages_are_offered_to_ocr() -> None:
    assert ocr.candidate("", "auto") and ocr.candidate("Page 3 of 9", "auto")
    assert not ocr.candidate("word " * 20, "auto")
    assert ocr.candidate("word " * 500, "force")
    assert not ocr.candidate("", "off")
    assert ocr.mode({"ocr": "off"}) == "off"
