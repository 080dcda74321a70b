"""OCR of scanned pages (the optional ``ocr`` extra): seconds a page, word recall, memory.

    python benchmarks/bench_ocr.py [--quick]

Pages are typeset here on A4 images (seeded English-like text from ``textgen``; Pillow's
own font and, when the system has them, DejaVu Sans and Serif; 10 and 12 pt; scanned at
200 and 300 dpi; one and two columns; some with a scanner's noise, JPEG blur and a slight
skew) and saved as image-only PDFs, so every word on them is known.

In-process part, in a child process under the worker's address-space limit
(``max_worker_memory_mb``, 2,048 MB by default) as an extraction process has it: each page
read with ``extract.ocr.read_page`` (render, RapidOCR, spaces and reading order). Reported:
seconds a page (``ocr_s_per_page``, after the first page, which also loads the models:
``ocr_first_page_s``), word recall and precision against the typeset text
(``ocr_word_recall``; order-free, words as ``\\w+``), the same for RapidOCR's own lines
joined as they come (the baseline the spacing and ordering improve on), the reading order
(``ocr_order_similarity``: difflib ratio of the word sequences), and the child's peak
RSS and address space.

End to end: one scanned PDF through ``loratui add`` + ``process --workers 2``: seconds a
page and the process tree's peak RSS.
"""

from __future__ import annotations

import argparse
import difflib
import io
import multiprocessing
import random
import re
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import benchlib
from textgen import TextGen

WORDS = re.compile(r"\w+")
SYSTEM_FONTS = {
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
}


def _font(name: str, px: int):  # noqa: ANN202 - a PIL font
    from PIL import ImageFont

    if name == "pillow":
        return ImageFont.load_default(size=px)
    return ImageFont.truetype(SYSTEM_FONTS[name], px)


def _wrap(paragraph: str, face, width: float) -> list[str]:  # noqa: ANN001 - a PIL font
    """The paragraph's lines as the font sets them within ``width`` pixels."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        wider = f"{line} {word}" if line else word
        if line and face.getlength(wider) > width:
            lines.append(line)
            line = word
        else:
            line = wider
    return [*lines, line] if line else lines


def scan_page(
    paragraphs: list[str], font: str, pt: int, dpi: int, columns: int, noisy: bool, seed: int
) -> tuple[bytes, str]:
    """An image-only one-page PDF and the text on it, in reading order."""
    import numpy as np
    from PIL import Image, ImageDraw

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    px = round(pt * dpi / 72)
    face = _font(font, px)
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    margin, gutter = dpi * 0.8, dpi * 0.35
    col_w = (width - 2 * margin - (columns - 1) * gutter) / columns
    column, y, written = 0, margin, []
    for paragraph in paragraphs:
        lines = _wrap(paragraph, face, col_w)
        if y + len(lines) * px * 1.45 > height - margin:
            column += 1
            y = margin
            if column >= columns:
                break
        x = margin + column * (col_w + gutter)
        for line in lines:
            draw.text((x, y), line, font=face, fill=0)
            y += round(px * 1.45)
        y += px
        written.append(paragraph)
    if noisy:
        rng = np.random.default_rng(seed)
        img = img.rotate(0.5, fillcolor=255, resample=Image.BICUBIC)
        pixels = np.asarray(img, dtype=float) + rng.normal(0, 16, (height, width))
        img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=45)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    out = io.BytesIO()
    img.save(out, "PDF", resolution=dpi)
    return out.getvalue(), "\n\n".join(written)


def variants(quick: bool) -> list[dict]:
    fonts = ["pillow"] + [f for f, p in SYSTEM_FONTS.items() if Path(p).exists()]
    out = []
    for font in fonts:
        for pt in (10, 12):
            for dpi in (200, 300):
                for columns in (1, 2):
                    out.append(
                        {"font": font, "pt": pt, "dpi": dpi, "columns": columns, "noisy": False}
                    )
        out.append({"font": font, "pt": 10, "dpi": 300, "columns": 1, "noisy": True})
    if quick:
        return [out[0], out[-1]]
    return out


def _pages(quick: bool, folder: Path) -> list[tuple[dict, Path, str]]:
    gen = TextGen(random.Random(7))
    made = []
    for i, variant in enumerate(variants(quick)):
        paragraphs = [gen.paragraph((3, 6)) for _ in range(12)]
        data, truth = scan_page(paragraphs, seed=i, **variant)
        path = folder / f"scan-{i}.pdf"
        path.write_bytes(data)
        made.append((variant, path, truth))
    return made


def scores(truth: str, got: str) -> dict[str, float]:
    want, have = Counter(WORDS.findall(truth.lower())), Counter(WORDS.findall(got.lower()))
    hit = sum((want & have).values())
    order = difflib.SequenceMatcher(
        None, WORDS.findall(truth.lower()), WORDS.findall(got.lower()), autojunk=False
    ).ratio()
    return {
        "recall": hit / max(1, sum(want.values())),
        "precision": hit / max(1, sum(have.values())),
        "order": order,
    }


def _raw_engine_text(path: Path) -> str:
    """RapidOCR's own lines, joined in its order (no spacing or ordering of ours)."""
    import pypdfium2 as pdfium

    from loratui.core.extract import ocr

    page = pdfium.PdfDocument(str(path))[0]
    scale = min(ocr.MAX_DPI / 72, ocr.MAX_SIDE_PX / max(page.get_size()))
    gray = page.render(scale=scale, grayscale=True).to_numpy()
    if gray.ndim == 3:
        gray = gray[..., 0]
    found, _ = ocr._engine(gray, use_cls=False)
    return "\n".join(line[1] for line in found or [])


def _in_child(pages: list[tuple[dict, Path, str]], limit_mb: int, out: multiprocessing.Queue):
    """Read every page under the worker's address-space limit; put the figures on ``out``."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 1024 * 1024, resource.RLIM_INFINITY))
        from loratui.core.extract import ocr

        rows = []
        for variant, path, truth in pages:
            start = time.perf_counter()
            read = ocr.read_page(str(path), 1, "", None, {"ocr": "auto"})
            seconds = time.perf_counter() - start
            ours = scores(truth, read.text if read else "")
            raw = scores(truth, _raw_engine_text(path))
            rows.append(
                {
                    **variant,
                    "seconds": seconds,
                    "confidence": read.ocr_confidence if read else None,
                    "recall": ours["recall"],
                    "precision": ours["precision"],
                    "order": ours["order"],
                    "raw_recall": raw["recall"],
                    "raw_order": raw["order"],
                }
            )
        status = Path("/proc/self/status").read_text()
        vm_peak = int(re.search(r"VmPeak:\s+(\d+)", status).group(1)) / 1024
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.put({"rows": rows, "vm_peak_mb": vm_peak, "max_rss_mb": rss})
    except BaseException as exc:  # noqa: BLE001 - reported as the benchmark's error
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def end_to_end(pages: list[tuple[dict, Path, str]], folder: Path) -> dict[str, float]:
    """One PDF of the pages through add + process --workers 2."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _variant, path, _truth in pages:
        writer.append(str(path))
    src = folder / "src"
    src.mkdir()
    with open(src / "scans.pdf", "wb") as fh:
        writer.write(fh)
    home = folder / "home"
    benchlib.run_cli(home, "new", "ocr")
    benchlib.run_cli(home, "add", "ocr", str(src))
    seconds, _, peak = benchlib.run_cli(home, "process", "ocr", "--workers", "2", measure_rss=True)
    _, files, _ = benchlib.run_cli(home, "files", "ocr")
    return {
        "pages": len(pages),
        "ocr_pages": files[0]["ocr_pages"],
        "seconds": seconds,
        "s_per_page": seconds / len(pages),
        "peak_tree_rss_mb": peak,
        "cpu_s": benchlib.LAST_CPU_S["value"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (two pages)")
    args = ap.parse_args(argv)
    from loratui.core.extract import ocr
    from loratui.core.store.settings import DEFAULTS

    if not ocr.available():
        benchlib.emit({"bench": "ocr", "skipped": "the ocr extra is not installed"})
        return 0
    limit_mb = int(DEFAULTS["max_worker_memory_mb"])
    with tempfile.TemporaryDirectory(prefix="loratui-bench-ocr-") as tmp:
        folder = Path(tmp)
        pages = _pages(args.quick, folder)
        spawn = multiprocessing.get_context("spawn")
        queue = spawn.Queue()
        child = spawn.Process(target=_in_child, args=(pages, limit_mb, queue))
        child.start()
        measured = queue.get(timeout=3600)
        child.join()
        if "error" in measured:
            benchlib.emit({"bench": "ocr", "error": measured["error"]})
            return 1
        rows = measured["rows"]
        later = [r["seconds"] for r in rows[1:]] or [rows[0]["seconds"]]
        e2e = end_to_end(pages, folder)

    def mean(key: str) -> float:
        return sum(r[key] for r in rows) / len(rows)

    benchlib.emit(
        {
            "bench": "ocr",
            "pages": len(rows),
            "ocr_s_per_page": sum(later) / len(later),
            "ocr_first_page_s": rows[0]["seconds"],
            "ocr_word_recall": mean("recall"),
            "ocr_word_recall_min": min(r["recall"] for r in rows),
            "ocr_word_precision": mean("precision"),
            "ocr_order_similarity": mean("order"),
            "raw_engine_word_recall": mean("raw_recall"),
            "raw_engine_order_similarity": mean("raw_order"),
            "ocr_confidence": mean("confidence"),
            "worker_limit_mb": limit_mb,
            "vm_peak_mb": measured["vm_peak_mb"],
            "max_rss_mb": measured["max_rss_mb"],
            "end_to_end": e2e,
            "per_page": rows,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
