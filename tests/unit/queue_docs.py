"""Real documents for the queue and worker tests, made in code."""

from __future__ import annotations

import zlib
from pathlib import Path

from tests.unit.docmakers import make_pdf, make_raw_pdf


def numbered_pdf(path: Path, pages: int, tag: str = "") -> Path:
    """A text PDF whose page N says ``page N of TAG`` (so ranges are checkable)."""
    texts = [
        f"page {n} of {tag or path.stem}. " + "lorem ipsum dolor " * 6 for n in range(1, pages + 1)
    ]
    return make_pdf(path, texts)


# The settings under which ``slow_pdf`` is slow: pypdf first. PDFium (the default engine
# since issue 11) reads the file in about a second, too close to the tests' time limits.
SLOW_ENGINE = {"pdf_engine": "pypdf"}


def slow_pdf(path: Path, repeats: int = 600_000) -> Path:
    """A 1-page PDF of a few KB whose text extraction takes a long time with pypdf
    (``SLOW_ENGINE``): its one compressed content stream holds ``repeats`` text-showing
    operators (~0.03 ms each with pypdf, so the default runs for many seconds)."""
    content = b"BT /F1 12 Tf 72 712 Td " + b"(Hello world again) Tj 0 -1 Td " * repeats + b"ET"
    return make_raw_pdf(path, zlib.compress(content, 9), stream_filter=b"/FlateDecode")


def text_files(folder: Path, count: int, prefix: str = "note") -> list[Path]:
    """``count`` small distinct text files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        p = folder / f"{prefix}-{i:03d}.txt"
        p.write_text(f"{prefix} number {i}\n" + f"line {i} of the body text.\n" * 20)
        paths.append(p)
    return paths
