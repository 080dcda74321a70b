"""Warnings about extracted text: what a person should look at before training on it.

Errors (unsupported, corrupt, encrypted, over limits) stop a document and come from
detection and extraction; these are the softer findings on a document that did extract:
no text at all (a scan that needs OCR), very little text per page, broken characters,
and text identical to another document's; pages read by OCR (``ocr``: worth a look), and
whatever the document's kind adds (``DocumentKind.warnings``). The worker calls these when a
document finishes; each finding is ``{"code", "level", "message", "hint"}``. The hints on
missing text say how to get OCR going when it could have read the pages.
"""

from __future__ import annotations

from typing import Any

from loratui.core.extract import kinds
from loratui.core.extract.quality import MOJIBAKE_MIN, MOJIBAKE_SHARE, bad_chars, visible
from loratui.core.store.models import DONE, Document

LITTLE_TEXT_PER_PAGE = 200  # non-blank characters; a typical text page holds 1,500-3,000


def _warning(code: str, message: str, hint: str) -> dict[str, Any]:
    return {"code": code, "level": "warning", "message": message, "hint": hint}


def document_warnings(pages: list[str], kind: str | None = None) -> list[dict[str, Any]]:
    """Findings on a document's extracted pages (empty list when all looks fine).

    ``little_text`` concerns laid-out pages: it applies to kinds that declare them
    (``laid_out``: PDF) and, when ``kind`` is not given, to documents of several pages; a
    short note in a text file is not a problem.
    """
    known = kinds.find(kind)
    out: list[dict[str, Any]] = []
    counts = [visible(p) for p in pages]
    total = sum(counts)
    if total == 0:
        if known is not None and not known.reads_images:  # a DOCX or text file: no scans
            out.append(
                _warning(
                    "no_text",
                    "no text: the document is empty",
                    "check the file: it holds no text; exclude it, or add a version with text",
                )
            )
            return out
        out.append(
            _warning(
                "no_text",
                "no extractable text: the document is probably scanned images",
                "run OCR on it (e.g. `ocrmypdf in.pdf out.pdf`) and add the result",
            )
        )
        return out
    n = max(1, len(pages))
    empty = sum(1 for c in counts if c == 0)
    paged = known.laid_out if known is not None else (kind is None and len(pages) > 1)
    if paged and total / n < LITTLE_TEXT_PER_PAGE:
        out.append(
            _warning(
                "little_text",
                f"very little text: {total / n:,.0f} characters per page on average",
                "check the preview; pages may be images that need OCR",
            )
        )
    elif paged and empty and len(pages) > 1:
        out.append(
            _warning(
                "little_text",
                f"{empty} of {len(pages)} pages have no text (probably scanned)",
                "check those pages in the preview; they may need OCR",
            )
        )
    bad = sum(bad_chars(page) for page in pages)
    if bad >= MOJIBAKE_MIN and bad / total >= MOJIBAKE_SHARE:
        out.append(
            _warning(
                "mojibake",
                f"{bad:,} broken characters (replacement marks or mis-decoded text)",
                "check the preview; re-export the file as UTF-8 text or a PDF with embedded "
                "Unicode fonts",
            )
        )
    if known is not None:
        out.extend(known.warnings(pages))
    return out


def ocr_warning(
    doc_id: int, pages: int, blank: int, confidence: float | None
) -> dict[str, Any] | None:
    """``ocr``: ``pages`` were read by OCR (``blank`` of them without any text found), with
    this mean line score; None when OCR read none."""
    if not pages:
        return None
    s = "s" if pages != 1 else ""
    score = f", mean confidence {confidence:.2f}" if confidence is not None else ""
    none = f" ({blank} with no text found)" if blank else ""
    note = _warning(
        "ocr",
        f"{pages} page{s} read by OCR{none}{score}",
        f"OCR can misread words: check the page{s} in the preview "
        f"(`loratui show PROJECT {doc_id} --page N`); `loratui settings PROJECT ocr=off` "
        "keeps only the text layer",
    )
    # the figures themselves, for ``files --json`` (``projects.files.file_row``)
    note["pages"] = pages
    note["confidence"] = None if confidence is None else round(confidence, 4)
    return note


def ocr_hints(
    warnings: list[dict[str, Any]], doc_id: int, setting: str, installed: bool, read: int
) -> None:
    """Reword the ``no_text``/``little_text`` hints of a document whose pages OCR could
    read: how to turn it on (install the extra, change the ``ocr`` setting), or, when it
    was on, what is left to try. ``read``: pages OCR read."""
    retry = f"then `loratui retry PROJECT {doc_id}`"
    for w in warnings:
        if w["code"] not in ("no_text", "little_text"):
            continue
        if not installed:
            w["hint"] = (
                "the pages are probably scanned images: install OCR with "
                f"`pip install 'loratui[ocr]'`, {retry}"
            )
        elif setting == "off":
            w["hint"] = f"OCR is off for this project: `loratui settings PROJECT ocr=auto`, {retry}"
        elif w["code"] == "no_text" and read:
            w["message"] = "no text: OCR found none on its pages either"
            w["hint"] = "check the file: its pages may be blank or pictures without words"
        elif w["code"] == "no_text":
            w["message"] = "no text: its pages draw nothing (blank)"
            w["hint"] = "check the file; exclude it if it is blank"
        elif setting != "force":
            w["hint"] = (
                "check the preview; pages with some text and few images were not read by "
                f"OCR: `loratui settings PROJECT ocr=force` reads every page, {retry}"
            )


def duplicate_text_warning(doc: Document) -> dict[str, Any] | None:
    """A warning when another done document of the project has the same extracted text."""
    if not doc.text_sha256 or not doc.chars:
        return None
    other = (
        Document.select(Document.id, Document.name)
        .where(
            (Document.project == doc.project_id)
            & (Document.text_sha256 == doc.text_sha256)
            & (Document.state == DONE)
            & (Document.id != doc.id)
        )
        .order_by(Document.id)
        .first()
    )
    if other is None:
        return None
    return _warning(
        "duplicate_text",
        f"same extracted text as document {other.id} ({other.name})",
        f"exclude one of them so the dataset does not repeat it: `loratui exclude PROJECT "
        f"{doc.id}`",
    )
