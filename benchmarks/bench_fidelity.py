"""Extraction fidelity against ground truth: loratui's engines beside the bare libraries.

    python benchmarks/bench_fidelity.py [--quick] [--sets fpdf2,docx,libreoffice,latex]
                                        [--keep DIR]

Documents (``fidelity_docs``: a German maths book with per-section running heads and
footnotes, a two-column paper, a report with tables, a page per writing system) are made
in this run, so their text is known: with fpdf2 and python-docx always, and through
LibreOffice and pdfLaTeX when those are installed (``sets`` in the output says which ran;
``--quick`` makes a few pages per document and only the PyPI-made sets, in seconds).

Engines: ``loratui_pypdf`` and ``loratui_pypdfium2`` (loratui's extraction as the worker
pool runs it, with ``pdf_engine`` set), bare ``pypdf`` (``page.extract_text()``), bare
``pypdfium2`` (``get_text_range()``); for DOCX ``loratui_docx`` and bare ``python_docx``
(paragraphs and tables). Per document and as the mean of documents: ``similarity`` (the
normalised indel similarity 2·LCS/(len a + len b) of whitespace-normalised NFC text,
page by page, summed over the document; rapidfuzz computes it when installed, else an
exact bit-parallel LCS here), word ``recall`` and ``precision``
(multisets of words: letter runs, digit runs, single CJK characters) and artefacts, all
against the ``raw`` truth (running heads and page numbers are on the page). ``clean_*``:
loratui's export cleaning (as the default export config applies it) run on loratui's pages,
against the ``body`` truth (heads and numbers must be gone). Goals (issue 11): similarity
>= 0.96 raw, recall >= 0.99, no control characters, U+FFFE or ligature glyphs in loratui's
output; >= 0.97 after cleaning.

Artefacts counted in the extracted text: ``control`` (C0 other than tab and newline, a CR
not before LF), ``form_feed`` (inside a page), ``fffe``, ``fffd``, ``soft_hyphen`` (U+00AD
left in), ``ligature`` (U+FB00-FB06), ``accent_split`` (a spacing accent beside a
letter, "vergr¨oßert"), ``glued`` (a word not in the truth that is two
truth words run together: "wellcoordinated"), ``hyphen_split`` ("res-onance": a truth word
cut by a hyphen not at a line end), ``split`` ("res onance": cut by a space or newline),
``rtl_reversed`` (Arabic or Hebrew words in visual, not logical, order); after cleaning
also ``running_head`` (a page whose head, or foot number line, is still there). ``hyphen_line_end``
("res-" at the end of a line) is how the page looks, so it is reported but not counted as
an artefact in raw text; after cleaning it is.
"""

from __future__ import annotations

import argparse
import re
import shutil
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import benchlib
import fidelity_docs
import fidelity_docx
import fidelity_latex
import fidelity_pdf

SETS = ("fpdf2", "docx", "libreoffice", "latex")
PDF_ENGINES = ("loratui_pypdf", "loratui_pypdfium2", "pypdf", "pypdfium2")
DOCX_ENGINES = ("loratui_docx", "python_docx")
EXAMPLES = 3  # per artefact kind and engine


# ---------------------------------------------------------------- loratui, behind two adapters


def loratui_pages(path: Path, kind: str, pdf_engine: str | None = None) -> list[str]:
    """Pages as loratui's extraction workers produce them: the pool's first look at the
    file, then page ranges (the functions ``loratui.core.jobs.pool`` runs in its processes,
    called here in-process, with the default settings and ``pdf_engine``)."""
    from loratui.core.jobs.pool import extract_range, first_look
    from loratui.core.store import settings

    limits = dict(settings.DEFAULTS)
    if pdf_engine:
        limits["pdf_engine"] = pdf_engine
    per_task = int(limits["pdf_pages_per_task"]) or 25
    kind, total, pages = first_look(str(path), kind, path.name, None, limits, per_task)
    if pages is None:
        pages = []
        for start in range(1, total + 1, per_task):
            end = min(total, start + per_task - 1)
            pages += extract_range(str(path), kind, start, end, None, limits)
    return [page[1] for page in pages]  # (number, text) or PageText


def default_pdf_engine() -> str:
    from loratui.core.store import settings

    return str(settings.DEFAULTS.get("pdf_engine", "pypdfium2"))


def export_clean(pages: list[str]) -> list[str]:
    """A document's pages after the cleaning steps of an export with the default config
    (``loratui.core.export.cleaned_pages``, what the export pipeline runs: repeated edge
    lines and running heads dropped, dehyphenate, unwrap, pages in one sentence joined)."""
    from loratui.core.export.cleaned_pages import PageCleaner
    from loratui.core.export.config import ExportConfig

    numbered = list(enumerate(pages, start=1))
    cleaner = PageCleaner(ExportConfig())
    cleaner.scan(numbered, len(numbered))
    return [page.text for page in cleaner.pages(numbered)]


# ---------------------------------------------------------------- the bare libraries


def bare_pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def bare_pypdfium2(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        out = []
        for page in doc:
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


def bare_python_docx(path: Path) -> list[str]:
    """Body paragraphs and table rows (cells joined by a space), as one page."""
    import docx

    parts = []
    for item in docx.Document(str(path)).iter_inner_content():
        if hasattr(item, "rows"):
            parts += [" ".join(cell.text for cell in row.cells) for row in item.rows]
        else:
            parts.append(item.text)
    return ["\n".join(parts)]


def engine_fn(name: str):  # noqa: ANN201 - a callable Path -> list[str]
    return {
        "loratui_pypdf": lambda p: loratui_pages(p, "pdf", "pypdf"),
        "loratui_pypdfium2": lambda p: loratui_pages(p, "pdf", "pypdfium2"),
        "pypdf": bare_pypdf,
        "pypdfium2": bare_pypdfium2,
        "loratui_docx": lambda p: loratui_pages(p, "docx"),
        "python_docx": bare_python_docx,
    }[name]


# ---------------------------------------------------------------- measuring

_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0\u2000-\u200a\u202f\u3000]+")
_CJK = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+|\d+")
LETTERS = re.compile(rf"[^\W\d_{_CJK}]+")
_RTL_WORD = re.compile(r"^[\u0590-\u05ff\u0600-\u06ff\ufb1d-\ufefc]+$")
_HYPHENS = "-\u2010\u00ad\ufffe\x02"
_ACCENTS = "\u00a8\u00b4\u00b8\u00af\u02c6\u02c7\u02d8\u02d9\u02da\u02dc\u02dd"
INLINE_HYPHEN = re.compile(rf"([^\W\d_]+)[{_HYPHENS}]([^\W\d_]+)")
LINE_END_HYPHEN = re.compile(rf"([^\W\d_]+)[{_HYPHENS}][ \t]*\r?\n[ \t]*([^\W\d_]+)")
SPLIT = re.compile(r"([^\W\d_]+)[ \t\r\n]+(?=([^\W\d_]+))")
CHARS = {
    "control": re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]|\r(?!\n)"),
    "form_feed": re.compile(r"\x0c"),
    "fffe": re.compile("\ufffe"),
    "fffd": re.compile("\ufffd"),
    "soft_hyphen": re.compile("\u00ad"),
    "ligature": re.compile("[\ufb00-\ufb06]"),
    # a spacing accent beside a letter: "vergr¨oßert" (TeX's OT1 builds ö from two glyphs)
    "accent_split": re.compile(
        f"[{_ACCENTS}][^\\W\\d_]|[^\\W\\d_][{_ACCENTS}]| [\u0300-\u036f]"
    ),  # (NFKC makes a spacing accent a space and a combining one)
}
try:
    from rapidfuzz.distance import Indel
except ImportError:  # rapidfuzz is not a dependency: difflib is the fallback
    Indel = None


def similarity_metric() -> str:
    return "indel 2*LCS/(a+b), " + ("rapidfuzz" if Indel is not None else "bit-parallel LCS")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence, exactly, with the bit-parallel algorithm
    (Allison and Dix; Hyyrö): one big-integer step per character of ``b``, so whole
    documents compare in a fraction of a second without a compiled dependency."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full
    for ch in b:
        match = row & masks.get(ch, 0)
        row = ((row + match) | (row - match)) & full
    return len(a) - row.bit_count()


def matched(truth: str, got: str) -> tuple[int, int]:
    """(2 x matched characters, total characters) of two normalised texts: the indel
    similarity is their ratio (rapidfuzz's ``Indel``, the same figure, when installed)."""
    total = len(truth) + len(got)
    if Indel is not None:
        return total - Indel.distance(truth, got), total
    return 2 * lcs_length(truth, got), total


class Truth:
    """What a document's truth allows: its words, vocabulary and hyphenated pairs."""

    def __init__(self, pages: list[str]) -> None:
        text = unicodedata.normalize("NFC", "\n".join(pages))
        self.vocab = set(LETTERS.findall(text))
        self.hyphenated = {(a, b) for a, b in INLINE_HYPHEN.findall(text)}

    def joins(self, a: str, b: str) -> bool:
        return a + b in self.vocab

    def glued(self, token: str) -> bool:
        if token in self.vocab or len(token) < 5:
            return False
        return any(
            token[:i] in self.vocab and token[i:] in self.vocab for i in range(2, len(token) - 1)
        )


def artefacts(text: str, truth: Truth) -> tuple[Counter[str], dict[str, list[str]]]:
    """Counts of each artefact kind in one page, with short excerpts of each."""
    counts: Counter[str] = Counter()
    where: dict[str, list[str]] = defaultdict(list)

    def note(kind: str, start: int, end: int) -> None:
        counts[kind] += 1
        if len(where[kind]) < EXAMPLES:
            where[kind].append(text[max(0, start - 25) : end + 25])

    for kind, pattern in CHARS.items():
        for m in pattern.finditer(text):
            note(kind, m.start(), m.end())
    nfc = unicodedata.normalize("NFC", text)
    for m in LETTERS.finditer(nfc):
        token = m.group(0)
        excerpt = nfc[max(0, m.start() - 20) : m.end() + 20]
        fragment = nfc[m.end() : m.end() + 1] in _HYPHENS or nfc[m.start() - 1 : m.start()] in (
            _HYPHENS
        )  # "infor-" of a split word is not "in" + "for" glued
        if truth.glued(token) and not fragment:
            _count(counts, where, "glued", excerpt)
        elif _RTL_WORD.match(token) and token not in truth.vocab and token[::-1] in truth.vocab:
            _count(counts, where, "rtl_reversed", excerpt)
    line_end = {m.start() for m in LINE_END_HYPHEN.finditer(nfc) if truth.joins(*m.groups())}
    for m in LINE_END_HYPHEN.finditer(nfc):
        if truth.joins(*m.groups()) and m.groups() not in truth.hyphenated:
            _count(counts, where, "hyphen_line_end", nfc[max(0, m.start() - 15) : m.end() + 15])
    for m in INLINE_HYPHEN.finditer(nfc):
        a, b = m.groups()
        if m.start() not in line_end and truth.joins(a, b) and (a, b) not in truth.hyphenated:
            _count(counts, where, "hyphen_split", nfc[max(0, m.start() - 15) : m.end() + 15])
    for m in SPLIT.finditer(nfc):
        a, b = m.group(1), m.group(2)
        if truth.joins(a, b) and (a not in truth.vocab or b not in truth.vocab):
            _count(counts, where, "split", nfc[max(0, m.start() - 15) : m.end() + 25])
    return counts, where


def _count(counts: Counter[str], where: dict[str, list[str]], kind: str, excerpt: str) -> None:
    counts[kind] += 1
    if len(where[kind]) < EXAMPLES:
        where[kind].append(excerpt)


RAW_ONLY = {"hyphen_line_end"}  # the page's own layout: an artefact only after cleaning


class Score:
    """Figures of one engine on one document, summed over its pages."""

    def __init__(self) -> None:
        self.m2 = self.total = 0
        self.hit = self.want = self.got = 0
        self.counts: Counter[str] = Counter()
        self.pages: list[tuple[int, float]] = []

    def add(self, number: int, truth: str, got: str, vocab: Truth, clean: bool,
            where: dict[str, list[tuple[int, str]]]) -> None:  # fmt: skip
        t, g = normalise(truth), normalise(got)
        m2, total = matched(t, g)
        self.m2 += m2
        self.total += total
        self.pages.append((number, m2 / total if total else 1.0))
        tw, gw = Counter(WORD.findall(t)), Counter(WORD.findall(g))
        self.hit += sum((tw & gw).values())
        self.want += sum(tw.values())
        self.got += sum(gw.values())
        counts, excerpts = artefacts(got, vocab)
        if not clean:
            self.counts["hyphen_line_end_info"] += sum(counts[k] for k in RAW_ONLY)
            counts = Counter({k: v for k, v in counts.items() if k not in RAW_ONLY})
        self.counts.update(counts)
        for kind, texts in excerpts.items():
            if kind in counts:
                where[kind] += [(number, x) for x in texts]

    def figures(self) -> dict[str, Any]:
        info = self.counts.get("hyphen_line_end_info", 0)
        kinds = {k: v for k, v in sorted(self.counts.items()) if k != "hyphen_line_end_info"}
        worst = sorted(self.pages, key=lambda p: p[1])[:3]
        out = {
            "similarity": self.m2 / self.total if self.total else 1.0,
            "recall": self.hit / self.want if self.want else 1.0,
            "precision": self.hit / self.got if self.got else 1.0,
            "artefacts": sum(kinds.values()),
            "by_kind": kinds,
            "worst_pages": [{"page": n, "similarity": round(s, 4)} for n, s in worst],
        }
        if info:
            out["hyphen_line_end"] = info
        return out


# ---------------------------------------------------------------- the documents of this run


def make_documents(root: Path, quick: bool, wanted: set[str]) -> tuple[list, dict[str, str]]:
    """Write every set's files under ``root``; return ([(set, Doc, path, kind)], set status)."""
    fonts = fidelity_pdf.find_fonts()
    status: dict[str, str] = {}
    docs = fidelity_docs.plan(quick, cjk="cjk" in fonts)
    files: list[tuple[str, fidelity_docs.Doc, Path, str]] = []
    if "fpdf2" in wanted:
        if fidelity_pdf.usable(fonts):
            (root / "fpdf2").mkdir(parents=True)
            for doc in docs:
                path = root / "fpdf2" / f"{doc.name}.pdf"
                path.write_bytes(fidelity_pdf.render(doc, fonts))
                files.append(("fpdf2", doc, path, "pdf"))
            status["fpdf2"] = "ran" + ("" if "cjk" in fonts else " (no CJK font: no Chinese page)")
        else:
            status["fpdf2"] = "skipped: no DejaVu fonts (Debian: fonts-dejavu-core)"
    docx_paths = []
    if wanted & {"docx", "libreoffice"}:
        (root / "docx").mkdir(parents=True)
        for doc in docs:
            path = root / "docx" / f"{doc.name}.docx"
            path.write_bytes(fidelity_docx.render(doc))
            docx_paths.append((doc, path))
            if "docx" in wanted:
                files.append(("docx", doc, path, "docx"))
        if "docx" in wanted:
            status["docx"] = "ran"
    if "libreoffice" in wanted:
        if fidelity_docx.soffice() is None:
            status["libreoffice"] = "skipped: soffice not installed (libreoffice-writer-nogui)"
        else:
            pdfs = fidelity_docx.convert_with_libreoffice(
                [p for _, p in docx_paths], root / "libreoffice", root / "lo-profile"
            )
            for (doc, _), pdf in zip(docx_paths, pdfs, strict=True):
                files.append(("libreoffice", doc, pdf, "pdf"))
            status["libreoffice"] = "ran"
    if "latex" in wanted:
        if fidelity_latex.pdflatex() is None:
            status["latex"] = "skipped: pdflatex not installed (texlive-latex-base)"
        else:
            made = []
            (root / "latex").mkdir(parents=True, exist_ok=True)
            for doc in docs:
                if fidelity_latex.can_set(doc):
                    path = root / "latex" / f"{doc.name}.pdf"
                    path.write_bytes(fidelity_latex.render(doc, root / "latex-work"))
                    files.append(("latex", doc, path, "pdf"))
                    made.append(doc.name)
            status["latex"] = "ran (" + ", ".join(made) + "; not the non-Latin scripts)"
    for name in wanted - set(status):
        status[name] = "skipped"
    return files, status


# ---------------------------------------------------------------- the run


def run(files: list, clean_engines: tuple[str, ...]) -> dict[str, Any]:
    per_engine: dict[str, dict[str, Any]] = defaultdict(dict)
    seconds: Counter[str] = Counter()
    pages_read: Counter[str] = Counter()
    examples: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    mismatched = []
    for set_name, doc, path, kind in files:
        name = f"{set_name}/{doc.name}"
        engines = PDF_ENGINES if kind == "pdf" else DOCX_ENGINES
        raw_truth = fidelity_docs.raw_truth if kind == "pdf" else fidelity_docs.docx_raw_truth
        raw = [raw_truth(doc, i) for i in range(len(doc.pages))]
        body = [fidelity_docs.body_truth(p) for p in doc.pages]
        vocab = Truth(raw)
        for engine in engines:
            start = time.perf_counter()
            try:
                pages = engine_fn(engine)(path)
            except Exception as exc:  # noqa: BLE001 - one engine failing is a finding
                per_engine[engine][name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            seconds[engine] += time.perf_counter() - start
            pages_read[engine] += len(pages)
            truths, got_pages = raw, pages
            if len(pages) != len(raw):  # python-docx has no pages; else the layout differs
                if engine != "python_docx":
                    mismatched.append({"doc": name, "engine": engine, "pages": len(pages),
                                       "expected": len(raw)})  # fmt: skip
                truths, got_pages = ["\n\n".join(raw)], ["\n\n".join(pages)]
            where: dict[str, list[tuple[int, str]]] = defaultdict(list)
            score = Score()
            for i, (truth, got) in enumerate(zip(truths, got_pages, strict=True)):
                score.add(i + 1, truth, got, vocab, False, where)
            figures = score.figures()
            if engine in clean_engines:
                cleaned = export_clean(pages)
                ctruth = body if len(cleaned) == len(body) else ["\n\n".join(body)]
                cleaned = cleaned if len(cleaned) == len(body) else ["\n\n".join(cleaned)]
                cwhere: dict[str, list[tuple[int, str]]] = defaultdict(list)
                cscore = Score()
                for i, (truth, got) in enumerate(zip(ctruth, cleaned, strict=True)):
                    cscore.add(i + 1, truth, got, vocab, True, cwhere)
                if kind == "pdf" and len(cleaned) == len(body):
                    heads = _heads_left(doc, cleaned)
                    cscore.counts["running_head"] += len(heads)
                    cwhere["running_head"] += heads
                c = cscore.figures()
                figures["clean"] = {k: c[k] for k in ("similarity", "recall", "precision",
                                                       "artefacts", "by_kind")}  # fmt: skip
                for what, items in cwhere.items():
                    _examples(examples[engine + "_clean"][what], name, items)
            for what, items in where.items():
                _examples(examples[engine][what], name, items)
            per_engine[engine][name] = figures
    return {
        "per_engine": per_engine,
        "seconds": seconds,
        "pages": pages_read,
        "examples": examples,
        "mismatched": mismatched,
    }


def _heads_left(doc: fidelity_docs.Doc, cleaned: list[str]) -> list[tuple[int, str]]:
    """Pages whose cleaned text still has the running head (or the page number as a line
    of its own at the foot): (page, excerpt) for each."""
    out = []
    for i, text in enumerate(cleaned):
        lines = [normalise(line) for line in text.split("\n") if line.strip()]
        if doc.heads == "alternate":
            head = normalise(fidelity_docs.head_line(doc, i))
            if any(head in line for line in lines[:3]):
                out.append((i + 1, head))
        elif lines and lines[-1] == str(doc.number(i)):
            out.append((i + 1, lines[-1]))
    return out


def _examples(bucket: list[dict[str, Any]], doc: str, items: list[tuple[int, str]]) -> None:
    for page, text in items:
        if len(bucket) < EXAMPLES and not any(e["doc"] == doc for e in bucket):
            bucket.append({"doc": doc, "page": page, "text": text})


def summarise(result: dict[str, Any], clean_engines: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    engines: dict[str, Any] = {}
    for engine, docs in result["per_engine"].items():
        ok = {d: f for d, f in docs.items() if "error" not in f}
        if not ok:
            engines[engine] = {"errors": docs}
            continue

        def mean(key: str, sub: str | None = None, ok: dict = ok) -> float:
            vals = [(f[sub] if sub else f)[key] for f in ok.values() if not sub or sub in f]
            return sum(vals) / len(vals) if vals else 0.0

        kinds: Counter[str] = Counter()
        for f in ok.values():
            kinds.update(f["by_kind"])
        secs = result["seconds"][engine]
        summary = {
            "similarity": mean("similarity"),
            "recall": mean("recall"),
            "precision": mean("precision"),
            "artefacts": sum(kinds.values()),
            "by_kind": dict(kinds.most_common()),
            "pages_per_s": result["pages"][engine] / secs if secs else None,
            "by_set": _by_set(ok),
            "documents": {d: _brief(f) for d, f in docs.items()},
        }
        for key in ("similarity", "recall", "precision", "artefacts"):
            out[f"fidelity_{'word_' if key in ('recall', 'precision') else ''}{key}_{engine}"] = (
                summary[key]
            )
        if engine in clean_engines:
            ckinds: Counter[str] = Counter()
            for f in ok.values():
                ckinds.update(f["clean"]["by_kind"])
            summary["clean"] = {
                "similarity": mean("similarity", "clean"),
                "recall": mean("recall", "clean"),
                "precision": mean("precision", "clean"),
                "artefacts": sum(ckinds.values()),
                "by_kind": dict(ckinds.most_common()),
            }
            out[f"fidelity_clean_similarity_{engine}"] = summary["clean"]["similarity"]
        engines[engine] = summary
    return {"keys": out, "engines": engines}


def _by_set(docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean figures of each set's documents (fpdf2, libreoffice, latex, docx)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, f in docs.items():
        groups[name.split("/")[0]].append(f)
    out = {}
    for name, fs in groups.items():
        out[name] = {
            k: sum(f[k] for f in fs) / len(fs) for k in ("similarity", "recall", "precision")
        }
        if all("clean" in f for f in fs):
            out[name]["clean_similarity"] = sum(f["clean"]["similarity"] for f in fs) / len(fs)
    return out


def _brief(f: dict[str, Any]) -> dict[str, Any]:
    if "error" in f:
        return f
    brief = {k: f[k] for k in ("similarity", "recall", "precision", "artefacts")}
    if f["artefacts"]:
        brief["by_kind"] = f["by_kind"]
    if "clean" in f:
        brief["clean_similarity"] = f["clean"]["similarity"]
    brief["worst_pages"] = f["worst_pages"]
    return brief


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("pypdf", "pypdfium2", "python-docx", "fpdf2", "fonttools", "rapidfuzz"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size: a few pages, PyPI-made sets")
    ap.add_argument("--sets", default="", help="comma-separated subset of " + ",".join(SETS))
    ap.add_argument("--keep", type=Path, default=None, help="write the documents here and keep")
    args = ap.parse_args(argv)
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()} or (
        {"fpdf2", "docx"} if args.quick else set(SETS)
    )
    unknown = wanted - set(SETS)
    if unknown:
        ap.error("unknown set(s): " + ", ".join(sorted(unknown)))
    # warm the engines (imports, first-call set-up) so pages/s is extraction only
    import docx  # noqa: F401
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401

    import loratui.core.extract  # noqa: F401

    default = default_pdf_engine()
    clean_engines = ("loratui_pypdf", "loratui_pypdfium2", "loratui_docx")
    with benchlib.scratch("fidelity-") as tmp:
        root = args.keep or tmp
        if args.keep:
            shutil.rmtree(root, ignore_errors=True)
        files, status = make_documents(root, args.quick, wanted)
        if not any(kind == "pdf" for _, _, _, kind in files):
            benchlib.emit({"bench": "fidelity", "skipped": "no PDF could be made", "sets": status})
            return 0
        for sample in {kind: path for _, _, path, kind in files}.values():
            for engine in PDF_ENGINES if sample.suffix == ".pdf" else DOCX_ENGINES:
                engine_fn(engine)(sample)
        result = run(files, clean_engines)
    summary = summarise(result, clean_engines)
    keys = summary["keys"]
    pdf_clean = keys.get(f"fidelity_clean_similarity_loratui_{default}")
    emit = {
        "bench": "fidelity",
        **keys,
        "fidelity_clean_similarity": pdf_clean,
        "default_pdf_engine": default,
        "sets": status,
        "documents": sorted({f"{s}/{d.name}" for s, d, _, _ in files}),
        "pages": {s: sum(len(d.pages) for s2, d, _, _ in files if s2 == s) for s in status},
        "similarity_metric": similarity_metric(),
        "versions": versions(),
        "engines": summary["engines"],
        "examples": {e: dict(k) for e, k in result["examples"].items()},
        "page_count_mismatches": result["mismatched"],
        "quick": args.quick,
    }
    benchlib.emit(emit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
