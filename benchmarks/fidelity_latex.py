"""Typeset the fidelity documents with pdfLaTeX, when it is installed (Debian:
``texlive-latex-base``).

Why LaTeX: most scientific PDFs come from it, and they are hard on extractors in ways the
other producers are not: Type 1 Computer Modern fonts without a ToUnicode map (text is
recovered from glyph names and font encodings), no space glyphs (word gaps are kerns),
accents built from two glyphs in the OT1 encoding (``ü`` is ``¨`` over ``u``), ligatures
from the font, TeX's own hyphenation, maths symbols from the symbol font. Only the
documents whose text pdfLaTeX can set with the base fonts are made (not the one with
Greek, Cyrillic, Arabic, Hebrew and Chinese).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from fidelity_docs import FOOTNOTE, Block, Doc
from fidelity_text import SOFT

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "∈": r"$\in$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "∀": r"$\forall$",
    "∃": r"$\exists$",
    "−": r"$-$",
    "–": "--",
    "—": "---",
}
EPOCH = "1704067200"  # 2024-01-01: SOURCE_DATE_EPOCH makes the PDF reproducible


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


def can_set(doc: Doc) -> bool:
    return all(b.script == "latin" for p in doc.pages for b in p.front + p.blocks)


def _tex(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text.replace(SOFT, ""))


def _inline(text: str, notes: dict[int, str]) -> str:
    out = []
    pos = 0
    for m in FOOTNOTE.finditer(text):
        out.append(_tex(text[pos : m.start()]))
        out.append(r"\footnote{" + _tex(notes[int(m.group(1))]) + "}")
        pos = m.end()
    out.append(_tex(text[pos:]))
    return "".join(out)


def _block(block: Block, first: bool, notes: dict[int, str]) -> str:
    if block.kind == "heading":
        if block.level == 1:
            return r"\noindent{\LARGE\bfseries " + _tex(block.text) + r"\par}\medskip"
        return r"\subsection*{" + _tex(block.text) + "}"
    if block.kind == "table":
        cols = len(block.rows[0])
        spec = "|l|" + "r|" * (cols - 1)
        rows = [" & ".join(_tex(c) for c in row) + r" \\ \hline" for row in block.rows]
        return (
            r"\par\smallskip\noindent\begin{tabular}{" + spec + r"}\hline" + "\n"
            + "\n".join(rows) + "\n" + r"\end{tabular}\par\smallskip"
        )  # fmt: skip
    start = r"\noindent " if first or block.cont else ""
    return start + _inline(block.text, notes) + "\n"


def source(doc: Doc) -> str:
    """The LaTeX source of ``doc``: one forced page per model page."""
    twocol = any(p.columns == 2 for p in doc.pages)
    options = "10pt,a4paper," + ("twocolumn" if twocol else "twoside")
    notes = {n: t for p in doc.pages for n, t in p.notes}
    lines = [
        r"\documentclass[" + options + "]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[a4paper,margin=25mm]{geometry}" if _has("geometry.sty") else "",
        r"\pagestyle{myheadings}" if doc.heads == "alternate" else r"\pagestyle{plain}",
        r"\setlength{\parskip}{2pt}",
        r"\begin{document}",
        r"\setcounter{page}{" + str(doc.first_number) + "}",
    ]
    for page in doc.pages:
        if page.mark:
            lines.append(r"\markboth{" + _tex(page.mark) + "}{" + _tex(page.mark) + "}")
        if page.front:
            front = "\n\n".join(_block(b, True, notes) for b in page.front)
            lines.append(r"\twocolumn[{" + front + r"\bigskip}]")
        for i, block in enumerate(page.blocks):
            lines.append(_block(block, i == 0, notes))
        lines.append(r"\clearpage")
    lines.append(r"\end{document}")
    return "\n".join(line for line in lines if line) + "\n"


def _has(name: str) -> bool:
    kpse = shutil.which("kpsewhich")
    if kpse is None:
        return False
    found = subprocess.run([kpse, name], capture_output=True, text=True)
    return bool(found.stdout.strip())


def render(doc: Doc, work: Path) -> bytes:
    """The PDF pdfLaTeX makes of ``doc`` (reproducible: fixed dates and trailer id)."""
    program = pdflatex()
    if program is None:
        raise FileNotFoundError("pdflatex")
    work.mkdir(parents=True, exist_ok=True)
    tex = work / f"{doc.name}.tex"
    tex.write_text(source(doc), encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "FORCE_SOURCE_DATE": "1"}
    proc = subprocess.run(
        [program, "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    pdf = work / f"{doc.name}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        tail = " | ".join(proc.stdout.strip().splitlines()[-6:])
        raise RuntimeError(f"pdflatex failed on {doc.name}: {tail}")
    return pdf.read_bytes()
