"""OCR of scanned pages, end to end: add -> process with real worker processes -> show/files.

A scanned page is made here (text typeset on a page image, saved as an image-only PDF) so
the text OCR should find is known. The OCR tests skip when the ``ocr`` extra is absent; the
ones about a missing extra hide it from every process (a ``sitecustomize`` that makes the
import fail, as if it were not installed) and run everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.unit.docmakers import join_pdfs, make_pdf, make_scanned_pdf
from tests.unit.test_privacy import BLOCKER

SCANNED = (
    "The committee met on Tuesday to review the annual budget. Members agreed that the "
    "library should extend its opening hours during the examination period, and that the "
    "reading room needs new lighting before winter.\n\n"
    "A second proposal, to digitise the old parish records, was postponed until the grant "
    "application has been answered. The treasurer reported a surplus of 4,210 pounds, most "
    "of it from the summer fair."
)
TYPED = (
    "This first page has a real text layer. It is long enough to count as a page of text, "
    "so only the second page, which is a scanned image, should be read by OCR. " * 2
)
HIDE_OCR = 'import sys\nsys.modules["rapidocr_onnxruntime"] = None  # as if not installed\n'


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def recall(truth: str, got: str) -> float:
    want, have = _words(truth), _words(got)
    return sum(min(n, have[w]) for w, n in want.items()) / sum(want.values())


class SiteCLI(CLI):
    """``loratui`` with a ``sitecustomize`` in every process it starts (workers too)."""

    def __init__(self, home: Path, site: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(home)
        self.site = site
        self.extra_env = extra_env or {}

    def env(self) -> dict[str, str]:
        env = super().env()
        env["PYTHONPATH"] = str(self.site) + ":" + env.get("PYTHONPATH", "")
        env.update(self.extra_env)
        return env


def _site(tmp_path: Path, code: str) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(code)
    return site


def _warning(row: dict, code: str) -> dict:
    return next(w for w in row["warnings"] if w["code"] == code)


@pytest.fixture
def scans(tmp_path: Path) -> tuple[Path, Path]:
    """A PDF of a typed page and a scanned one, and a PDF of one scanned page."""
    src = tmp_path / "src"
    src.mkdir()
    typed = make_pdf(tmp_path / "typed.pdf", [TYPED])
    scanned = make_scanned_pdf(tmp_path / "scanned.pdf", [SCANNED])
    mixed = join_pdfs(src / "minutes.pdf", [typed, scanned])
    only = make_scanned_pdf(src / "scan-only.pdf", [SCANNED.replace("Tuesday", "Friday")])
    return mixed, only


def test_scanned_pages_are_read_by_ocr_offline_and_ocr_off_leaves_them_empty(
    tmp_path: Path, scans: tuple[Path, Path]
) -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed")
    pytest.importorskip("pypdfium2", reason="the ocr extra is not installed")
    log = tmp_path / "network-attempts.log"
    cli = SiteCLI(tmp_path / "home", _site(tmp_path, BLOCKER), {"LORATUI_NET_LOG": str(log)})
    mixed, only = scans
    cli.run("new", "minutes", check=True)
    cli.run("add", "minutes", str(mixed.parent), check=True)
    cli.run("process", "minutes", "--workers", "2", check=True)

    shown = cli.json("show", "minutes", "minutes.pdf")
    typed, scanned = shown["pages"]
    assert (typed["ocr_engine"], typed["ocr_confidence"]) == (None, None)
    assert recall(TYPED, typed["text"]) == 1.0
    assert scanned["ocr_engine"] == "rapidocr"
    assert 0.8 <= scanned["ocr_confidence"] <= 1.0
    assert recall(SCANNED, scanned["text"]) >= 0.9, scanned["text"]
    assert "\n\n" in scanned["text"]  # the paragraph break survives
    one = cli.json("show", "minutes", "minutes.pdf", "--page", "2")
    assert (one["text"], one["ocr_engine"]) == (scanned["text"], "rapidocr")

    rows = {r["name"]: r for r in cli.json("files", "minutes")}
    row = rows["minutes.pdf"]
    assert row["ocr_pages"] == 1
    assert row["ocr_confidence"] == pytest.approx(scanned["ocr_confidence"], abs=1e-3)
    assert [w["code"] for w in row["warnings"]] == ["ocr"]
    note = _warning(row, "ocr")["message"]
    assert note == f"1 page read by OCR, mean confidence {scanned['ocr_confidence']:.2f}"
    assert rows["scan-only.pdf"]["ocr_pages"] == 1
    assert "Friday" in cli.json("show", "minutes", "scan-only.pdf")["pages"][0]["text"]
    assert not log.exists(), log.read_text()  # the models came with the wheel

    # OCR off: the scan-only document is read again and has no text, and says how to OCR
    cli.run("settings", "minutes", "ocr=off", check=True)
    doc_id = str(rows["scan-only.pdf"]["id"])
    cli.run("retry", "minutes", doc_id, check=True)
    cli.run("process", "minutes", check=True)
    page = cli.json("show", "minutes", doc_id)["pages"][0]
    assert (page["text"], page["ocr_engine"], page["ocr_confidence"]) == ("", None, None)
    row = {r["name"]: r for r in cli.json("files", "minutes")}["scan-only.pdf"]
    assert (row["ocr_pages"], row["ocr_confidence"], row["chars"]) == (0, None, 0)
    assert [w["code"] for w in row["warnings"]] == ["no_text"]
    assert "ocr=auto" in _warning(row, "no_text")["hint"]


def test_a_page_past_the_ocr_time_limit_fails_its_document_saying_so(
    tmp_path: Path, scans: tuple[Path, Path]
) -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed")
    pytest.importorskip("pypdfium2", reason="the ocr extra is not installed")
    cli = CLI(tmp_path / "home")
    _mixed, only = scans
    cli.run("new", "p", check=True)
    cli.run("settings", "p", "ocr_timeout_s=0.3", "max_attempts=1", check=True)
    cli.run("add", "p", str(only), check=True)
    cli.run("process", "p")
    (row,) = cli.json("files", "p")
    assert (row["state"], row["error_code"]) == ("failed", "timeout")
    assert row["error"] == "OCR of page 1 took longer than the 0.3 s limit"
    assert "ocr_timeout_s" in row["hint"] and "ocr=off" in row["hint"]


def test_without_the_extra_a_scan_says_how_to_install_ocr(
    tmp_path: Path, scans: tuple[Path, Path]
) -> None:
    cli = SiteCLI(tmp_path / "home", _site(tmp_path, HIDE_OCR))
    _mixed, only = scans
    cli.run("new", "p", check=True)
    cli.run("add", "p", str(only), check=True)
    cli.run("process", "p", check=True)
    (row,) = cli.json("files", "p")
    assert (row["state"], row["chars"], row["ocr_pages"]) == ("done", 0, 0)
    assert [w["code"] for w in row["warnings"]] == ["no_text"]
    assert "pip install 'loratui[ocr]'" in _warning(row, "no_text")["hint"]

    # asking for OCR on every page without it fails the document, saying what is missing
    cli.run("settings", "p", "ocr=force", check=True)
    cli.run("retry", "p", str(row["id"]), check=True)
    cli.run("process", "p")
    (row,) = cli.json("files", "p")
    assert (row["state"], row["error_code"]) == ("failed", "unsupported")
    assert "ocr=force" in row["error"] and "pip install 'loratui[ocr]'" in row["hint"]
