"""OCR of scanned PDF pages with RapidOCR, the optional ``ocr`` extra.

Why RapidOCR (``rapidocr-onnxruntime``): its wheel ships the PP-OCRv4 detection and
recognition models (ONNX, 16 MB) and runs them on the CPU with onnxruntime, so nothing is
downloaded at run time. A page is rendered with PDFium (pypdfium2), read, and its lines
turned into text by ``ocr_layout`` (word spaces from the image, reading order, columns).

When (the project's ``ocr`` setting): ``auto`` reads a page whose text layer has fewer than
``BELOW_CHARS`` visible characters if it is not blank, and, when it has some text, only if
images cover at least ``IMAGE_SHARE`` of it (a photo with a caption is not worth OCR); the
OCR text replaces the text layer when the layer is empty or OCR found at least
``BETTER_BY`` times its characters. ``force`` reads every page and always takes OCR's text
(for PDFs whose text layer is garbage). ``off`` never reads.

Cost: a dense A4 page takes about 7 CPU-seconds (the recogniser is most of it), so each page
is its own pool task (``jobs.pool.ocr_page``) with its own limit, ``ocr_timeout_s``: a range
of 25 pages would never fit ``task_timeout_s``, and pages of one document spread over every
worker process. One engine per worker process, built on its first page, single-threaded
(the pool runs one process per core), lines recognised one at a time (in batches they are
padded to the longest: 30% more time). The rendered image is at most ``MAX_SIDE_PX`` on its
long side (about 170 dpi for A4, at most ``MAX_DPI``), what RapidOCR would shrink it to
anyway; that bounds time and memory: a worker reading pages needs about 1,700 MB of address
space (OpenCV's and onnxruntime's libraries are 600 MB of it), within the default
``max_worker_memory_mb`` of 2,048.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract.normalise import tidy
from loratui.core.extract.ocr_layout import Line, page_text, respace
from loratui.core.extract.shared import PageText, Refusal, damaged_pdf, unreadable

ENGINE = "rapidocr"
MODES = ("auto", "off", "force")
BELOW_CHARS = 50
IMAGE_SHARE = 1 / 3
BETTER_BY = 2
MAX_SIDE_PX = 2000
MAX_DPI = 300
INSTALL_HINT = "install OCR with `pip install 'loratui[ocr]'`"

_engine: Any = None  # the RapidOCR instance of this worker process


@functools.cache
def available() -> bool:
    """Whether the extra is installed (RapidOCR, and pypdfium2 to render pages)."""
    try:
        return all(importlib.util.find_spec(m) for m in ("rapidocr_onnxruntime", "pypdfium2"))
    except (ImportError, ValueError):  # a broken install counts as none
        return False


def mode(limits: dict[str, Any]) -> str:
    """The ``ocr`` setting as it can be carried out: ``off`` when it is ``auto`` and the extra
    is missing; ``force`` without the extra is an error (it asks for something not there)."""
    setting = str(limits.get("ocr", "auto"))
    if setting == "off":
        return "off"
    if not available():
        if setting == "force":
            raise LoratuiError(
                "unsupported",
                "the project's setting ocr=force asks for OCR, which is not installed",
                f"{INSTALL_HINT}, or set `loratui settings PROJECT ocr=auto`, then retry",
            )
        return "off"
    return setting if setting in MODES else "auto"


def page_error(err: LoratuiError, number: int, limit: float | None) -> LoratuiError:
    """A failed OCR task's error in terms of OCR: which page, and the settings that help."""
    off = "or `loratui settings PROJECT ocr=off` to keep the text layer, then retry"
    if err.code == "timeout":
        worded = LoratuiError(
            "timeout",
            f"OCR of page {number} took longer than the {limit or 0:g} s limit",
            f"raise `ocr_timeout_s` in the project settings, {off}",
        )
    elif err.code == "memory":
        worded = LoratuiError(
            "memory",
            f"OCR of page {number} ran past the worker's memory limit",
            f"OCR needs about 1,700 MB: raise `max_worker_memory_mb`, {off}",
        )
    else:
        return err
    worded.traceback = getattr(err, "traceback", None)  # type: ignore[attr-defined]
    return worded


def visible(text: str) -> int:
    """Characters that are not whitespace."""
    return len("".join(text.split()))


def candidate(text: str, how: str) -> bool:
    """Whether a page whose text layer gave ``text`` goes to OCR (``read_page`` then looks
    at what the page draws)."""
    return how == "force" or (how == "auto" and visible(text) < BELOW_CHARS)


def _open(path: str, password: str | None) -> Any:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    try:
        return pdfium.PdfDocument(path, password=password or None)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_raw.FPDF_ERR_PASSWORD:
            raise Refusal("wrong_password" if password else "encrypted") from exc
        raise damaged_pdf("PDFium could not parse it for OCR") from exc
    except OSError as exc:
        raise unreadable(exc) from exc


def _image_share(page: Any) -> tuple[int, float]:
    """How many objects the page draws, and the share of its area images cover (overlaps
    counted twice, capped at 1)."""
    import pypdfium2.raw as pdfium_raw

    width, height = page.get_size()
    area = max(1.0, width * height)
    objects, covered = 0, 0.0
    for obj in page.get_objects():
        objects += 1
        if obj.type != pdfium_raw.FPDF_PAGEOBJ_IMAGE:
            continue
        bounds = obj.get_bounds() if hasattr(obj, "get_bounds") else obj.get_pos()
        left, bottom, right, top = bounds
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        covered += w * h
    return objects, min(1.0, covered / area)


def _recognise(gray: Any) -> list[Line]:
    """The lines RapidOCR finds on a greyscale page image."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, rec_batch_num=1)
    # The line-direction classifier is off: it turned upright lines of clean scans upside
    # down (one line in seven on a test page) and costs time; scans are upright or rotated
    # as a whole, which PDFium's rendering of /Rotate takes care of.
    try:
        found, _ = _engine(gray, use_cls=False, return_word_box=True)
    except Exception as exc:  # onnxruntime's own errors; running out of memory among them
        if "bad_alloc" in str(exc):
            raise MemoryError("OCR ran out of memory") from exc
        raise
    lines = []
    for box, text, score, *chars in found or []:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        char_boxes, char_texts = (chars[0], chars[1]) if len(chars) >= 2 else ([], [])
        centers = tuple((b[0][0] + b[1][0]) / 2 for b in char_boxes)
        lines.append(
            Line(
                min(xs),
                min(ys),
                max(xs),
                max(ys),
                str(text),
                float(score),
                tuple(str(c) for c in char_texts),
                centers,
            )
        )
    return lines


def read_image(gray: Any) -> tuple[str, float | None]:
    """The text on a greyscale page image (2-D uint8 array) and the mean score of its lines
    (None when none was found)."""
    lines = respace(gray, _recognise(gray))
    text = page_text(lines)
    scores = [ln.score for ln in lines if ln.text.strip()]
    return text, (round(sum(scores) / len(scores), 4) if scores else None)


def read_page(
    path: str, number: int, text: str, password: str | None, limits: dict[str, Any]
) -> PageText | None:
    """Page ``number`` read by OCR, or None when its text layer (``text``) stays."""
    how = mode(limits)
    if not candidate(text, how):
        return None
    doc = _open(path, password)
    try:
        page = doc[number - 1]
        try:
            objects, images = _image_share(page)
            had = visible(text)
            if how == "auto" and (objects == 0 or (had and images < IMAGE_SHARE)):
                return None
            width, height = page.get_size()
            scale = min(MAX_DPI / 72, MAX_SIDE_PX / max(1.0, width, height))
            bitmap = page.render(scale=scale, grayscale=True)
            gray = bitmap.to_numpy()
            if gray.ndim == 3:
                gray = gray[..., 0]
            found, confidence = read_image(gray)
        finally:
            page.close()
    finally:
        doc.close()
    if how == "auto" and had and visible(found) < BETTER_BY * had:
        return None
    return PageText(number, tidy(found), ENGINE, confidence)
