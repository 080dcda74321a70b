"""From the lines an OCR engine found on a page image to the page's text: spaces and order.

Why not the engine's own: RapidOCR's recogniser (Chinese and English) often drops the
spaces between English words ("needsnewlightingbeforewinter"), and it sorts lines by their
top edge only, so the lines of two columns interleave. Spaces come back from the image: each
line's ink gaps are measured, the page's gap widths (relative to line height) are split in
two, letter gaps and word gaps, by Otsu's method, and a space goes where a word gap falls
between two recognised characters. Then lines are ordered: by column when a gutter that no
line crosses splits the page (text lines as long as a column's on both sides, so a table's
cells are not read column by column), top to bottom, lines of one row left to right; a
vertical gap taller than most lines starts a new paragraph.

Measured on rendered pages of 9-12 pt text in three fonts (benchmarks/bench_ocr.py):
word recall 0.46-1.0 with the engine's spaces, 0.99-1.0 with these.

Pure numpy on plain values, so it is tested without the OCR extra installed.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

# A word gap is at least this share of the line's height, at most that (the page's own
# split is clamped between them); with too few gaps on a page to split, the fallback.
WORD_GAP_MIN = 0.1
WORD_GAP_MAX = 0.45
WORD_GAP_FALLBACK = 0.22
MIN_GAPS_TO_SPLIT = 8
DIGIT_GAP = 2.0  # between two digits a space needs this many times the word gap
PARAGRAPH_GAP = 0.8  # a vertical gap over this share of the median line height
# A gutter: a strip at least this share of the median line height wide that no line
# crosses (line boxes are drawn a little wider than their ink, so a gutter of an em or two
# shows narrower), and lines on both sides as long as text lines in a column (median over
# COLUMN_WIDTH of the text's width), not short cells. Columns within columns are split
# again, down to COLUMN_DEPTH.
GUTTER_MIN = 0.3
COLUMN_MIN_LINES = 3
COLUMN_WIDTH = 0.25
COLUMN_DEPTH = 2


@dataclass(frozen=True)
class Line:
    """One recognised line: its box on the page image (pixels), text and score (0-1).

    ``chars`` and ``centers``: the recognised characters and the x of each one's centre,
    when the engine gives them; ``respace`` needs them.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float
    chars: tuple[str, ...] = ()
    centers: tuple[float, ...] = ()

    @property
    def height(self) -> float:
        return max(1.0, self.y1 - self.y0)


def otsu_split(values: Sequence[float] | np.ndarray) -> float:
    """The value that splits ``values`` into two groups of least spread (Otsu's method)."""
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n < 2:
        return float(v[0]) if n else 0.0
    below = np.cumsum(v)[:-1]
    counts = np.arange(1, n)
    mean_below = below / counts
    mean_above = (v.sum() - below) / (n - counts)
    between = counts * (n - counts) * (mean_below - mean_above) ** 2
    i = int(np.argmax(between))
    return float((v[i] + v[i + 1]) / 2)


def _ink_level(pixels: np.ndarray) -> int:
    """The grey level at or below which a pixel is ink (Otsu's method on the histogram)."""
    hist = np.bincount(pixels.ravel(), minlength=256).astype(float)
    below = np.cumsum(hist)
    above = below[-1] - below
    weighted = np.cumsum(hist * np.arange(256))
    mean_below = weighted / np.maximum(below, 1)
    mean_above = (weighted[-1] - weighted) / np.maximum(above, 1)
    return int(np.argmax(below * above * (mean_below - mean_above) ** 2))


def ink_gaps(gray: np.ndarray, line: Line) -> list[tuple[float, float]]:
    """Runs of columns without ink inside ``line``'s box on the page image (x from, x to),
    between its first and last inked column."""
    h, w = gray.shape[:2]
    x0, x1 = max(0, int(line.x0)), min(w, int(np.ceil(line.x1)))
    y0, y1 = max(0, int(line.y0)), min(h, int(np.ceil(line.y1)))
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0 or int(crop.max()) - int(crop.min()) < 32:  # flat: nothing to split
        return []
    ink = (crop <= _ink_level(crop)).any(axis=0)
    inked = np.flatnonzero(ink)
    if len(inked) < 2:
        return []
    steps = np.diff(inked)
    return [(x0 + inked[i] + 1.0, x0 + inked[i + 1] + 0.0) for i in np.flatnonzero(steps > 1)]


def _wide(char: str) -> bool:
    """Ideographs, kana, hangul: scripts written without spaces between words."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def respace(gray: np.ndarray, lines: Sequence[Line]) -> list[Line]:
    """``lines`` with a space wherever a word gap of the page image falls between two
    characters the engine ran together."""
    gaps = [ink_gaps(gray, line) for line in lines]
    widths = [
        (g1 - g0) / line.height for line, gs in zip(lines, gaps, strict=True) for g0, g1 in gs
    ]
    split = otsu_split(widths) if len(widths) >= MIN_GAPS_TO_SPLIT else WORD_GAP_FALLBACK
    split = min(max(split, WORD_GAP_MIN), WORD_GAP_MAX)
    out = []
    for line, gs in zip(lines, gaps, strict=True):
        chars, centers = line.chars, line.centers
        if not chars or len(chars) != len(centers):
            out.append(line)
            continue
        words = [
            ((g0 + g1) / 2, (g1 - g0) / line.height)
            for g0, g1 in gs
            if (g1 - g0) / line.height >= split
        ]
        text = [chars[0]]
        for i in range(1, len(chars)):
            a, b = chars[i - 1], chars[i]
            # digits are narrow with wide margins ("4,21 0"): between two, a gap must be
            # twice a word gap (a table's columns are wider still)
            least = DIGIT_GAP * split if a.isdigit() and b.isdigit() else split
            if (
                not a.isspace()
                and not b.isspace()
                and not (_wide(a) or _wide(b))
                and any(centers[i - 1] < m < centers[i] and w >= least for m, w in words)
            ):
                text.append(" ")
            text.append(b)
        out.append(replace(line, text="".join(text)))
    return out


def _rows(lines: Sequence[Line]) -> list[list[Line]]:
    """Lines grouped into rows (a line whose middle lies within a row's span joins it),
    top to bottom, each row left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0 + ln.y1) / 2):
        middle = (line.y0 + line.y1) / 2
        if rows and rows[-1][0].y0 <= middle <= rows[-1][0].y1:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.x0) for row in rows]


def _gutter(lines: Sequence[Line]) -> tuple[float, float] | None:
    """The widest vertical strip no line crosses that splits the page into two columns of
    text lines, or None."""
    if len(lines) < 2 * COLUMN_MIN_LINES:
        return None
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    span = right - left
    narrow = sorted((ln for ln in lines if ln.x1 - ln.x0 < 0.55 * span), key=lambda ln: ln.x0)
    least = max(4.0, GUTTER_MIN * statistics.median(ln.height for ln in lines))
    best: tuple[float, float] | None = None
    reach = left
    for ln in narrow:
        lo, hi = max(reach, left + 0.2 * span), min(ln.x0, right - 0.2 * span)
        if hi - lo >= least and (best is None or hi - lo > best[1] - best[0]):
            best = (reach, ln.x0)
        reach = max(reach, ln.x1)
    if best is None:
        return None
    g0, g1 = best
    lefts = [ln.x1 - ln.x0 for ln in lines if ln.x1 <= g0]
    rights = [ln.x1 - ln.x0 for ln in lines if ln.x0 >= g1]
    if len(lefts) < COLUMN_MIN_LINES or len(rights) < COLUMN_MIN_LINES:
        return None
    if min(statistics.median(lefts), statistics.median(rights)) < COLUMN_WIDTH * span:
        return None  # short pieces side by side: a table's cells, read row by row
    return best


def _runs(lines: Sequence[Line], depth: int = 0) -> list[list[Line]]:
    """Runs of lines read one after the other: the whole page, or with a gutter, bands
    between lines that cross it, each band's left column then its right one (each split
    again, for three columns)."""
    gutter = _gutter(lines) if depth < COLUMN_DEPTH else None
    if gutter is None:
        return [list(lines)]
    g0, g1 = gutter
    runs: list[list[Line]] = []
    band_left: list[Line] = []
    band_right: list[Line] = []

    def close_band() -> None:
        for side in (band_left, band_right):
            if side:
                runs.extend(_runs(side, depth + 1))
        band_left.clear()
        band_right.clear()

    for line in sorted(lines, key=lambda ln: ln.y0):
        if line.x1 <= g0:
            band_left.append(line)
        elif line.x0 >= g1:
            band_right.append(line)
        else:  # across the gutter: a title, a figure caption, a footer
            close_band()
            runs.append([line])
    close_band()
    return runs


def page_text(lines: Sequence[Line]) -> str:
    """The lines as the page's text in reading order: rows joined by newlines, a blank line
    between paragraphs and between columns."""
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return ""
    median_h = statistics.median(ln.height for ln in lines)
    blocks = []
    for run in _runs(lines):
        out: list[str] = []
        previous: list[Line] | None = None
        for row in _rows(run):
            if previous is not None:
                gap = min(ln.y0 for ln in row) - max(ln.y1 for ln in previous)
                out.append("\n\n" if gap > PARAGRAPH_GAP * median_h else "\n")
            out.append(" ".join(ln.text.strip() for ln in row))
            previous = row
        blocks.append("".join(out))
    return "\n\n".join(blocks)
