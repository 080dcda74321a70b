"""Typeset the fidelity documents as PDF with fpdf2 (PyPI only, byte-for-byte reproducible).

Why our own line breaking: fpdf2's ``multi_cell`` decides where lines and hyphens fall; the
benchmark needs words split at line ends (at soft hyphens and at a compound's own hyphen),
both space-glyph and positioned-word text, two columns and footnotes at the foot, so the
few dozen lines of greedy breaking live here. Fonts come from the system (DejaVu from
Debian's ``fonts-dejavu-core``; Droid Sans Fallback from ``fonts-droid-fallback`` for
Chinese when it is there). Without text shaping, fpdf2 reorders right-to-left lines into
visual order, as many real producers do.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path

from fidelity_docs import FOOTNOTE, Block, Doc, Page
from fidelity_text import SOFT

FONT_FILES = {
    "serif": "DejaVuSerif.ttf",
    "serif-b": "DejaVuSerif-Bold.ttf",
    "serif-i": "DejaVuSerif-Italic.ttf",
    "sans": "DejaVuSans.ttf",
    "cjk": "DroidSansFallbackFull.ttf",
}
FONT_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts")
LIGATURES = (
    ("ffi", "\ufb03"),
    ("ffl", "\ufb04"),
    ("ff", "\ufb00"),
    ("fi", "\ufb01"),
    ("fl", "\ufb02"),
)
BREAK = "\x01"  # in a token: a line broke at a soft hyphen here (drawn as the doc's hyphen)

W, H = 210.0, 297.0
MARGIN = 25.0
HEAD_Y, TOP, BOTTOM, FOOT_Y = 13.0, 26.0, 272.0, 279.0
GAP = 8.0  # between columns
BODY_PT, BODY_LH = 10.0, 4.7
NOTE_PT, NOTE_LH = 8.0, 3.7
MARK_PT = 6.5
FIXED_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class LayoutError(RuntimeError):
    """A page's content does not fit: the plan and the typesetter disagree."""


def find_fonts() -> dict[str, Path]:
    """The font files of ``FONT_FILES`` found under the system's font folders."""
    wanted = {name: key for key, name in FONT_FILES.items()}
    found: dict[str, Path] = {}
    for root in FONT_ROOTS:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if name in wanted and wanted[name] not in found:
                    found[wanted[name]] = Path(folder) / name
    return found


def usable(fonts: dict[str, Path]) -> bool:
    return all(k in fonts for k in ("serif", "serif-b", "sans"))


def _font_of(script: str) -> str:
    return {"arabic": "sans", "hebrew": "sans", "cjk": "cjk"}.get(script, "serif")


class Typesetter:
    def __init__(self, doc: Doc, fonts: dict[str, Path]) -> None:
        from fpdf import FPDF

        self.doc = doc
        pdf = FPDF(unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_creation_date(FIXED_DATE)
        pdf.set_title(doc.title)
        pdf.c_margin = 0
        pdf.add_font("serif", "", str(fonts["serif"]))
        pdf.add_font("serif", "B", str(fonts["serif-b"]))
        pdf.add_font("serif", "I", str(fonts.get("serif-i", fonts["serif"])))
        pdf.add_font("sans", "", str(fonts["sans"]))
        if "cjk" in fonts:
            pdf.add_font("cjk", "", str(fonts["cjk"]))
        self.pdf = pdf

    # ---- text pieces

    def drawn(self, token: str, script: str) -> tuple[str, str]:
        """(what a token draws, its footnote mark or "")."""
        m = FOOTNOTE.search(token)
        mark = m.group(1) if m else ""
        text = FOOTNOTE.sub("", token).replace(SOFT, "").replace(BREAK, self.doc.hyphen)
        if self.doc.ligatures and script == "latin":
            for letters, glyph in LIGATURES:
                text = text.replace(letters, glyph)
        return text, mark

    def width(self, token: str, font: tuple[str, str, float], script: str) -> float:
        text, mark = self.drawn(token, script)
        pdf = self.pdf
        pdf.set_font(*font)
        w = pdf.get_string_width(text)
        if mark:
            pdf.set_font(font[0], "", MARK_PT)
            w += pdf.get_string_width(mark)
            pdf.set_font(*font)
        return w

    def _split(self, token: str, avail: float, font, script: str) -> tuple[str, str] | None:  # noqa: ANN001
        """The longest head of ``token`` that fits ``avail`` when broken at a soft hyphen
        or after a hyphen of its own, and the rest."""
        best = None
        for i, ch in enumerate(token):
            if ch == SOFT:
                head, rest = token[:i] + BREAK, token[i + 1 :]
            elif ch == "-" and 0 < i < len(token) - 1:
                head, rest = token[: i + 1], token[i + 1 :]
            else:
                continue
            if FOOTNOTE.sub("", rest) and self.width(head, font, script) <= avail:
                best = (head, rest)
        return best

    def lines(self, tokens: list[str], width: float, font, script: str, indent: float):  # noqa: ANN001, ANN201
        """Greedy line breaking; each line is its list of tokens."""
        space = 0.0 if script == "cjk" else self._space(font)
        out: list[list[str]] = []
        cur: list[str] = []
        used = indent
        queue = deque(tokens)
        while queue:
            tok = queue.popleft()
            w = self.width(tok, font, script)
            gap = space if cur else 0.0
            if used + gap + w <= width:
                cur.append(tok)
                used += gap + w
                continue
            split = None if script == "cjk" else self._split(tok, width - used - gap, font, script)
            if split:
                cur.append(split[0])
                queue.appendleft(split[1])
            elif not cur:
                cur.append(tok)
            else:
                queue.appendleft(tok)
            out.append(cur)
            cur, used = [], 0.0
        if cur:
            out.append(cur)
        return out

    def _space(self, font) -> float:  # noqa: ANN001
        self.pdf.set_font(*font)
        return self.pdf.get_string_width(" ")

    # ---- drawing one line

    def draw_line(self, x: float, y: float, width: float, tokens: list[str], font, script: str,  # noqa: ANN001
                  indent: float, justify: bool, rtl: bool, lh: float) -> None:  # fmt: skip
        pdf = self.pdf
        pieces = [self.drawn(t, script) for t in tokens]
        pdf.set_font(*font)
        if rtl:
            pdf.set_xy(x, y)
            pdf.cell(width, lh, " ".join(text for text, _ in pieces), align="R")
            return
        joiner = "" if script == "cjk" else " "
        if self.doc.spaces and not justify and not any(mark for _, mark in pieces):
            pdf.set_xy(x + indent, y)
            pdf.cell(width - indent, lh, joiner.join(text for text, _ in pieces))
            return
        widths = [self.width(t, font, script) for t in tokens]
        gap = 0.0 if script == "cjk" else self._space(font)
        if justify and len(tokens) > 1:
            gap = (width - indent - sum(widths)) / (len(tokens) - 1)
        cx = x + indent
        for (text, mark), w in zip(pieces, widths, strict=True):
            pdf.set_font(*font)
            pdf.set_xy(cx, y)
            text_w = pdf.get_string_width(text)
            pdf.cell(text_w, lh, text + (" " if self.doc.spaces and not justify else ""))
            if mark:
                pdf.set_font(font[0], "", MARK_PT)
                pdf.set_xy(cx + text_w, y - 1.2)
                pdf.cell(pdf.get_string_width(mark), lh, mark)
            cx += w + gap

    # ---- blocks as boxes: (height, draw(x, y))

    def boxes(self, block: Block, width: float, first: bool) -> list[tuple[float, Callable]]:
        if block.kind == "table":
            return self._table(block, width)
        script = block.script
        if block.kind == "heading":
            size = 15.0 if block.level == 1 else 11.5
            font, lh, before = ("serif", "B", size), size * 0.55, 0.0 if first else 3.0
        else:
            font, lh, before = (_font_of(script), "", BODY_PT), BODY_LH, 0.0 if first else 1.2
        indent = 0.0 if (block.kind != "para" or first or block.cont or block.rtl) else 5.0
        tokens = list(block.text) if script == "cjk" else block.text.split(" ")
        lines = self.lines(tokens, width, font, script, indent)
        out = []
        for i, toks in enumerate(lines):
            justify = self.doc.justify and i < len(lines) - 1 and block.kind == "para"

            def draw(x, y, toks=toks, i=i, justify=justify):  # noqa: ANN001, ANN202
                self.draw_line(x, y, width, toks, font, script, indent if i == 0 else 0.0,
                               justify, block.rtl, lh)  # fmt: skip

            out.append(((before if i == 0 else 0.0) + lh, draw, before if i == 0 else 0.0))
        if block.kind == "heading":
            out[-1] = (out[-1][0] + 1.5, out[-1][1], out[-1][2])
        return out

    def _table(self, block: Block, width: float) -> list[tuple[float, Callable, float]]:
        cols = len(block.rows[0])
        first = 26.0
        rest = (width - first) / (cols - 1)
        widths = [first] + [rest] * (cols - 1)
        out = []
        for r, row in enumerate(block.rows):

            def draw(x, y, row=row, r=r):  # noqa: ANN001, ANN202
                pdf = self.pdf
                pdf.set_font("serif", "B" if r == 0 else "", 9.0)
                pdf.c_margin = 1.2
                cx = x
                for c, (cell, w) in enumerate(zip(row, widths, strict=True)):
                    pdf.set_xy(cx, y)
                    pdf.cell(w, 5.6, cell, border=1, align="L" if c == 0 or r == 0 else "R")
                    cx += w
                pdf.c_margin = 0

            out.append((5.6 + (1.5 if r == 0 else 0.0), draw, 1.5 if r == 0 else 0.0))
        return out

    # ---- pages

    def page(self, index: int, page: Page) -> None:
        pdf = self.pdf
        doc = self.doc
        pdf.add_page()
        full = W - 2 * MARGIN
        number = doc.number(index)
        if doc.heads == "alternate":
            pdf.set_font("serif", "I", 9.0)
            left, right = (str(number), page.mark) if number % 2 == 0 else (page.mark, str(number))
            pdf.set_xy(MARGIN, HEAD_Y)
            pdf.cell(full / 2, 5, left, align="L")
            pdf.set_xy(MARGIN + full / 2, HEAD_Y)
            pdf.cell(full / 2, 5, right, align="R")
            pdf.line(MARGIN, HEAD_Y + 6, W - MARGIN, HEAD_Y + 6)
        # footnotes at the foot, laid out first so the body knows where to stop
        note_lines = []
        for n, text in page.notes:
            toks = [str(n)] + text.split(" ")
            note_lines += self.lines(toks, full, ("serif", "", NOTE_PT), "latin", 0.0)
        bottom = BOTTOM - (len(note_lines) * NOTE_LH + 4.0 if note_lines else 0.0)
        y = TOP
        for i, block in enumerate(page.front):
            for h, draw, _before in self.boxes(block, full, i == 0):
                draw(MARGIN, y + _before)
                y += h
        if page.front:
            y += 4.0
        cols = page.columns
        col_w = (full - GAP * (cols - 1)) / cols
        col = 0
        top = y
        for i, block in enumerate(page.blocks):
            if block.kind == "table" and cols > 1:
                raise LayoutError("tables are one-column only")
            for h, draw, before in self.boxes(block, col_w, i == 0 and not page.front):
                if y + h > bottom:
                    col += 1
                    if col >= cols:
                        raise LayoutError(f"{doc.name}: page {index + 1} overflows")
                    y, before, h = top, 0.0, h - before
                draw(MARGIN + col * (col_w + GAP), y + before)
                y += h
        if note_lines:  # drawn after the body, as most producers write them
            pdf.line(MARGIN, bottom + 1.5, MARGIN + 45, bottom + 1.5)
            y = bottom + 3.0
            for toks in note_lines:
                self.draw_line(MARGIN, y, full, toks, ("serif", "", NOTE_PT), "latin", 0.0,
                               False, False, NOTE_LH)  # fmt: skip
                y += NOTE_LH
        if doc.heads == "foot":
            pdf.set_font("serif", "", 9.0)
            pdf.set_xy(MARGIN, FOOT_Y)
            pdf.cell(full, 5, str(number), align="C")

    def render(self) -> bytes:
        for i, page in enumerate(self.doc.pages):
            self.page(i, page)
        return bytes(self.pdf.output())


def render(doc: Doc, fonts: dict[str, Path]) -> bytes:
    """The PDF of ``doc`` (same bytes for the same doc and fonts)."""
    return Typesetter(doc, fonts).render()
