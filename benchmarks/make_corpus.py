"""Write a deterministic mixed corpus for the benchmarks: PDF, DOCX, TXT and Markdown.

    python benchmarks/make_corpus.py N OUT [--seed S] [--max-pages P] [--jobs J]

Every file is written by our own code (fpdf2 for PDFs, python-docx for DOCX) from seeded
English-like text (see textgen.py), so the same N and seed always give the same bytes:
- PDFs of 1 to 200 pages (most short, a few long) laid out with a body font, a heading font
  and sometimes Courier code blocks and tables, with a running header and "Page N of M" footer
  on every page (what the export's header/footer removal must catch);
- DOCX with headings, paragraphs, bullet lists, tables, and a section header and footer;
- TXT (some hard-wrapped at 72 columns) and Markdown (headings, lists, pipe tables, code fences)
  of sizes from a line to several hundred kilobytes;
- about 5% near-duplicates: an earlier document's text with a few words changed.

OUT/.manifest.json (hidden, so ``loratui add OUT`` skips it) lists each file with its kind,
pages (PDF), words, bytes and, for a near-duplicate, the file it copies. Files are rendered
in parallel (``--jobs``, default one per CPU); the plan is drawn first from one RNG so the
output does not depend on the job count.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import re
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from textgen import TextGen  # noqa: E402

MANIFEST = ".manifest.json"
FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)
KIND_WEIGHTS = {"pdf": 0.35, "docx": 0.25, "txt": 0.2, "md": 0.2}
NEAR_DUP_RATE = 0.05
FONT_PAIRS = [("Times", "Helvetica"), ("Helvetica", "Times"), ("Times", "Times")]
ORGS = ["Acme Corp", "Northwind Ltd", "Globex", "Initech", "Umbrella Research", "Stark Labs"]

Block = tuple  # ("h", level, text) | ("p", text) | ("list", items) | ("table", rows) | ("code", s)


@dataclass
class Spec:
    """What one file of the corpus holds; drawn up front so rendering can run in parallel."""

    index: int
    kind: str
    seed: int  # seed of the text (a near-duplicate shares its source's)
    size: int  # PDF: target pages; others: target words
    org: str
    fonts: tuple[str, str]  # body, heading (PDF)
    code: bool
    wrap: bool  # TXT: hard-wrap at 72 columns
    near_dup_of: int | None = None
    mutation_seed: int = 0
    name: str = ""


def _log_uniform(rng: random.Random, lo: float, hi: float) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def _pdf_pages(rng: random.Random, max_pages: int) -> int:
    r = rng.random()
    if r < 0.6:
        pages = rng.randint(1, 10)
    elif r < 0.9:
        pages = rng.randint(10, 50)
    elif r < 0.98:
        pages = rng.randint(50, 150)
    else:
        pages = rng.randint(150, 200)
    return max(1, min(pages, max_pages))


def plan(n: int, seed: int, max_pages: int = 200) -> list[Spec]:
    """The corpus as a list of specs, reproducible from ``n`` and ``seed`` alone."""
    rng = random.Random(f"loratui-corpus-{seed}")
    specs: list[Spec] = []
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    for i in range(n):
        originals = [s for s in specs if s.near_dup_of is None]
        if i >= 10 and originals and rng.random() < NEAR_DUP_RATE:
            src = rng.choice(originals)
            spec = Spec(**{**asdict(src), "index": i, "near_dup_of": src.index})
            spec.mutation_seed = rng.randrange(2**31)
        else:
            kind = rng.choices(kinds, weights)[0]
            if kind == "pdf":
                size = _pdf_pages(rng, max_pages)
            elif kind == "docx":
                size = _log_uniform(rng, 150, 25_000)
            else:
                size = _log_uniform(rng, 15, 80_000)
            spec = Spec(
                index=i,
                kind=kind,
                seed=rng.randrange(2**31),
                size=size,
                org=rng.choice(ORGS),
                fonts=rng.choice(FONT_PAIRS),
                code=rng.random() < 0.3,
                wrap=rng.random() < 0.5,
            )
        specs.append(spec)
    return specs


def blocks(spec: Spec) -> tuple[str, Iterator[Block]]:
    """The document's title and an endless stream of its blocks (near-duplicates mutated)."""
    tg = TextGen(random.Random(spec.seed))
    title = tg.title((3, 7))
    stream = _block_stream(tg, spec)
    if spec.near_dup_of is not None:
        stream = _mutate(stream, random.Random(spec.mutation_seed), tg)
        title = title + " (revised)"
    return title, stream


def _block_stream(tg: TextGen, spec: Spec) -> Iterator[Block]:
    rng = tg.rng
    section = 0
    while True:
        section += 1
        yield ("h", 1 if section % 5 == 1 else 2, f"{section}. {tg.title()}")
        for _ in range(rng.randint(2, 7)):
            r = rng.random()
            if r < 0.07 and spec.kind != "txt":
                yield ("table", tg.table())
            elif r < 0.11 and spec.code:
                yield ("code", tg.code())
            elif r < 0.18:
                yield ("list", [tg.sentence() for _ in range(rng.randint(2, 5))])
            else:
                yield ("p", tg.paragraph())


def _mutate(stream: Iterator[Block], rng: random.Random, tg: TextGen) -> Iterator[Block]:
    """Change a word in about one paragraph in four: similar enough to be a near-duplicate."""
    for block in stream:
        if block[0] == "p" and rng.random() < 0.25:
            words = block[1].split(" ")
            words[rng.randrange(len(words))] = tg.word("N")
            block = ("p", " ".join(words))
        yield block


def _words(block: Block) -> int:
    kind = block[0]
    if kind == "h":
        return len(block[2].split())
    if kind == "p" or kind == "code":
        return len(block[1].split())
    if kind == "list":
        return sum(len(s.split()) for s in block[1])
    return sum(len(c.split()) for row in block[1] for c in row)


def _take_words(stream: Iterator[Block], target: int) -> tuple[list[Block], int]:
    out: list[Block] = []
    total = 0
    for block in stream:
        out.append(block)
        total += _words(block)
        if total >= target:
            break
    return out, total


# ---------------------------------------------------------------- PDF


def _pdf_class():
    from fpdf import FPDF

    class CorpusPDF(FPDF):
        running_header = ""
        running_footer = ""

        def header(self) -> None:
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 8, self.running_header, align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 8, f"{self.running_footer} | Page {self.page_no()} of {{nb}}", align="C")

    return CorpusPDF


class _PageWriter:
    """Line breaking with cached word widths, drawn with ``FPDF.text``.

    fpdf2's ``multi_cell`` re-measures the whole line for every character (about 30 ms a
    page); measuring each distinct word once makes a page take about a millisecond.
    """

    def __init__(self, pdf) -> None:  # noqa: ANN001 - an FPDF subclass
        self.pdf = pdf
        self.widths: dict[tuple, float] = {}

    def width(self, word: str) -> float:
        pdf = self.pdf
        key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, word)
        w = self.widths.get(key)
        if w is None:
            w = self.widths[key] = pdf.get_string_width(word)
        return w

    def wrap(self, text: str, max_w: float) -> list[str]:
        space = self.width(" ")
        lines: list[str] = []
        line: list[str] = []
        used = 0.0
        for word in text.split(" "):
            w = self.width(word)
            if line and used + space + w > max_w:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0.0) + w
            line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def ensure(self, height: float) -> None:
        pdf = self.pdf
        if pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()

    def lines(self, text: str, line_h: float, indent: float = 0.0) -> None:
        pdf = self.pdf
        x = pdf.l_margin + indent
        for raw in text.split("\n"):
            for line in self.wrap(raw, pdf.epw - indent):
                self.ensure(line_h)
                pdf.text(x, pdf.y + line_h * 0.8, line)
                pdf.set_y(pdf.y + line_h)

    def table(self, rows: list[list[str]], line_h: float) -> None:
        """A grid of one-line cells, the font shrunk (to 5 pt at least) until every cell fits."""
        pdf = self.pdf
        col_w = pdf.epw / len(rows[0])
        widest = max(self.width(value) for row in rows for value in row)
        if widest > col_w - 2:
            pdf.set_font_size(max(5.0, pdf.font_size_pt * (col_w - 2) / widest))
        for r, row in enumerate(rows):
            self.ensure(line_h)
            pdf.set_x(pdf.l_margin)
            for value in row:
                words = value.split(" ")
                while len(words) > 1 and self.width(" ".join(words)) > col_w - 2:
                    words.pop()
                pdf.cell(col_w, line_h, " ".join(words), border=1, fill=r == 0)
            pdf.set_y(pdf.y + line_h)


def render_pdf(spec: Spec, path: Path) -> tuple[int, int, int]:
    """Lay the blocks out on pages until the target page count is full.

    Returns (pages, words, blocks drawn): ``truth_words`` rebuilds the text from the count.
    """
    cls = _pdf_class()
    title, stream = blocks(spec)
    body, head = spec.fonts
    pdf = cls(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author(spec.org)
    pdf.running_header = f"{spec.org} - {title}"
    pdf.running_footer = f"Confidential - {spec.org}"
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_fill_color(225, 225, 225)
    pdf.add_page()
    out = _PageWriter(pdf)
    pdf.set_font(head, "B", 18)
    out.lines(title, 9)
    pdf.ln(4)
    words = len(title.split())
    drawn = 0
    stop_y = pdf.h * 0.72
    for block in stream:
        if pdf.page_no() > spec.size or (pdf.page_no() == spec.size and pdf.get_y() > stop_y):
            break
        drawn += 1
        words += _words(block)
        kind = block[0]
        if kind == "h":
            pdf.ln(3)
            pdf.set_font(head, "B", 14 if block[1] == 1 else 12)
            out.ensure(20)  # keep a heading with the text below it
            out.lines(block[2], 7)
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font(body, "", 11)
            out.lines(block[1], 5.5)
            pdf.ln(2)
        elif kind == "list":
            pdf.set_font(body, "", 11)
            for item in block[1]:
                out.lines(f"- {item}", 5.5, indent=5)
            pdf.ln(2)
        elif kind == "code":
            pdf.set_font("Courier", "", 9)
            out.lines(block[1], 4.5, indent=3)
            pdf.ln(2)
        else:
            pdf.set_font(body, "", 9)
            out.table(block[1], 5.5)
            pdf.ln(2)
    pdf.output(str(path))
    return pdf.pages_count, words, drawn


# ---------------------------------------------------------------- DOCX


def _zip_fixed_dates(data: bytes) -> bytes:
    """Rewrite a zip with fixed member dates so DOCX bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_docx(spec: Spec, path: Path) -> tuple[int, int, int]:
    import docx

    title, stream = blocks(spec)
    chosen, words = _take_words(stream, spec.size)
    doc = docx.Document()
    props = doc.core_properties
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.title = title
    props.author = spec.org
    props.last_modified_by = spec.org
    props.revision = 1
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{spec.org} - {title}"
    section.footer.paragraphs[0].text = f"Confidential - {spec.org} - internal use only"
    doc.add_heading(title, level=0)
    for block in chosen:
        kind = block[0]
        if kind == "h":
            doc.add_heading(block[2], level=block[1])
        elif kind == "p":
            doc.add_paragraph(block[1])
        elif kind == "list":
            for item in block[1]:
                doc.add_paragraph(item, style="List Bullet")
        elif kind == "code":
            for line in block[1].splitlines():
                doc.add_paragraph(line, style="No Spacing")
        else:
            rows = block[1]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                cells = table.rows[r].cells
                for c, value in enumerate(row):
                    cells[c].text = value
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_zip_fixed_dates(buf.getvalue()))
    return 1, words + len(title.split()), len(chosen)


# ---------------------------------------------------------------- TXT / Markdown


def render_txt(spec: Spec, path: Path) -> tuple[int, int, int]:
    title, stream = blocks(spec)
    chosen, words = _take_words(stream, spec.size)
    parts = [title, "=" * len(title)]
    for block in chosen:
        kind = block[0]
        if kind == "h":
            parts.append(block[2].upper() if block[1] == 1 else block[2])
        elif kind == "p":
            parts.append(textwrap.fill(block[1], 72) if spec.wrap else block[1])
        elif kind == "list":
            parts.append("\n".join(f"  * {item}" for item in block[1]))
        elif kind == "code":
            parts.append(textwrap.indent(block[1], "    "))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return 1, words + len(title.split()), len(chosen)


def render_md(spec: Spec, path: Path) -> tuple[int, int, int]:
    title, stream = blocks(spec)
    chosen, words = _take_words(stream, spec.size)
    parts = [f"# {title}", f"*{spec.org}*"]
    for block in chosen:
        kind = block[0]
        if kind == "h":
            parts.append("#" * (block[1] + 1) + " " + block[2])
        elif kind == "p":
            parts.append(block[1])
        elif kind == "list":
            parts.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "code":
            parts.append(f"```python\n{block[1]}\n```")
        else:
            rows = block[1]
            lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
            parts.append("\n".join(lines))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return 1, words + len(title.split()), len(chosen)


def truth_words(spec: Spec, blocks_drawn: int, pages: int) -> list[str]:
    """The words a perfect extractor finds in a rendered PDF: title, blocks, header, footer."""
    title, stream = blocks(spec)
    text = [title]
    for _, block in zip(range(blocks_drawn), stream, strict=False):
        kind = block[0]
        if kind == "h":
            text.append(block[2])
        elif kind in ("p", "code"):
            text.append(block[1])
        elif kind == "list":
            text.extend(block[1])
        else:
            text.extend(cell for row in block[1] for cell in row)
    for number in range(1, pages + 1):
        text.append(f"{spec.org} - {title}")
        text.append(f"Confidential - {spec.org} | Page {number} of {pages}")
    return re.findall(r"\w+", " ".join(text))


RENDERERS = {"pdf": render_pdf, "docx": render_docx, "txt": render_txt, "md": render_md}


def file_name(spec: Spec) -> str:
    title, _ = blocks(spec)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
    return f"{spec.index:04d}-{slug}.{spec.kind}"


def _render(args: tuple[Spec, str]) -> dict:
    spec, out = args
    path = Path(out) / spec.name
    pages, words, drawn = RENDERERS[spec.kind](spec, path)
    return {
        "file": spec.name,
        "index": spec.index,
        "kind": spec.kind,
        "pages": pages if spec.kind == "pdf" else None,
        "words": words,
        "blocks": drawn,
        "bytes": path.stat().st_size,
        "near_duplicate_of": spec.near_dup_of,
    }


def make_corpus(
    n: int, out: str | Path, seed: int = 0, max_pages: int = 200, jobs: int | None = None
) -> dict:
    """Write ``n`` files into ``out`` and return the manifest (also saved as .manifest.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = plan(n, seed, max_pages)
    for spec in specs:
        spec.name = file_name(spec)
    names = {s.index: s.name for s in specs}
    jobs = jobs or os.cpu_count() or 1
    work = [(s, str(out)) for s in specs]
    # big files first so the pool stays busy to the end
    work.sort(key=lambda w: -(w[0].size * (400 if w[0].kind == "pdf" else 1)))
    if jobs > 1 and n > 4:
        with Pool(jobs) as pool:
            rows = pool.map(_render, work, chunksize=1)
    else:
        rows = [_render(w) for w in work]
    rows.sort(key=lambda r: r["file"])
    for row in rows:
        if row["near_duplicate_of"] is not None:
            row["near_duplicate_of"] = names[row["near_duplicate_of"]]
    manifest = {
        "seed": seed,
        "count": n,
        "max_pages": max_pages,
        "pdf_pages": sum(r["pages"] or 0 for r in rows),
        "words": sum(r["words"] for r in rows),
        "bytes": sum(r["bytes"] for r in rows),
        "kinds": {k: sum(1 for r in rows if r["kind"] == k) for k in RENDERERS},
        "files": rows,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of files")
    ap.add_argument("out", help="output folder (created)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-pages", type=int, default=200, help="cap on PDF pages (default 200)")
    ap.add_argument("--jobs", type=int, default=None, help="render processes (default: CPUs)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    manifest = make_corpus(args.n, args.out, args.seed, args.max_pages, args.jobs)
    summary = {k: v for k, v in manifest.items() if k != "files"}
    summary["seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
