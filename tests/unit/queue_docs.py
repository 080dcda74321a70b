"""Real documents for the queue and worker tests, made in code."""

from __future__ import annotations

import zlib
from pathlib import Path

from tests.unit.docmakers import make_pdf


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
    data = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def text_files(folder: Path, count: int, prefix: str = "note") -> list[Path]:
    """``count`` small distinct text files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        p = folder / f"{prefix}-{i:03d}.txt"
        p.write_text(f"{prefix} number {i}\n" + f"line {i} of the body text.\n" * 20)
        paths.append(p)
    return paths
