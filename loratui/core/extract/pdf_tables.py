"""Tables on a PDF page, found by where the text sits, and marked in the page's text.

A PDF has no tables, only text placed on the page; the engines' plain text gives a table
row as one line of words (``1975 105.1 - 31.4``) that the export's cleaning would join
into a sentence. Both engines can say where pieces of text sit (PDFium its text
rectangles, pypdf the position of each text-showing operation), so the test is the same
for both: pieces on one line with a gap of more than ``GAP`` line heights between them
are cells; ``MIN_ROWS`` or more lines in a row with the same number of cells, each
column's cells aligned at their left edge, right edge or centre, are a table. Its lines
in the page text are then rewritten as rows (``table_rows.row``), so they survive
cleaning. A row whose line cannot be found in the text as the engine wrote it is left
as it was (never guessed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from loratui.core.extract.table_rows import row

GAP = 1.2  # a gap wider than this many line heights separates cells
ALIGN = 0.5  # cells of one column line up within this many line heights
MIN_ROWS = 3
MIN_COLUMNS = 2


class Box(NamedTuple):
    """Where a piece of text sits (PDF units, y up); ``x1`` may be an estimate."""

    x0: float
    x1: float
    bottom: float
    top: float


class _Cell(NamedTuple):
    x0: float
    x1: float
    height: float
    pieces: list[int]  # indexes of the boxes in it, left to right


def _lines(boxes: Sequence[Box]) -> list[list[int]]:
    """Box indexes grouped into lines (a box whose middle is in the first box's band),
    top of the page first, each line left to right."""
    lines: list[list[int]] = []
    low = high = 0.0
    for i in sorted(range(len(boxes)), key=lambda i: -boxes[i].top):
        b = boxes[i]
        middle = (b.top + b.bottom) / 2
        if lines and low <= middle <= high:
            lines[-1].append(i)
        else:
            lines.append([i])
            low, high = b.bottom, b.top
    for line in lines:
        line.sort(key=lambda i: boxes[i].x0)
    return lines


def _cells(boxes: Sequence[Box], line: list[int]) -> list[_Cell]:
    """The line's boxes merged into cells (pieces closer than ``GAP`` line heights);
    an empty list for a line that is one cell (most lines: checked without building any)."""
    height = max(boxes[i].top - boxes[i].bottom for i in line) or 1.0
    gap = GAP * height
    starts = [0]
    right = boxes[line[0]].x1
    for k in range(1, len(line)):
        b = boxes[line[k]]
        if b.x0 - right > gap:
            starts.append(k)
        if b.x1 > right:
            right = b.x1
    if len(starts) < MIN_COLUMNS:
        return []
    cells = []
    for a, z in zip(starts, [*starts[1:], len(line)], strict=True):
        pieces = line[a:z]
        x1 = max(boxes[i].x1 for i in pieces)
        cells.append(_Cell(boxes[pieces[0]].x0, x1, height, pieces))
    return cells


def _aligned(rows: list[list[_Cell]]) -> bool:
    height = max(r[0].height for r in rows)
    for column in zip(*rows, strict=True):
        edges = (
            [c.x0 for c in column],
            [c.x1 for c in column],
            [(c.x0 + c.x1) / 2 for c in column],
        )
        if not any(max(e) - min(e) <= ALIGN * height for e in edges):
            return False
    return True


def find_tables(boxes: Sequence[Box], text: Callable[[int], str]) -> list[list[list[str]]]:
    """The page's tables: each a list of rows, each row its cells' text, top to bottom.

    ``boxes`` are the page's pieces of text (not blank ones); ``text(i)`` gives the text
    of box ``i``, asked only for the boxes of a table (reading it costs more than its
    box with PDFium)."""
    tables: list[list[list[str]]] = []
    run: list[list[_Cell]] = []

    def cell_text(cell: _Cell) -> str:
        return " ".join(" ".join(text(i) for i in cell.pieces).split())

    def close() -> None:
        if len(run) >= MIN_ROWS and _aligned(run):
            tables.append([[cell_text(c) for c in cells] for cells in run])
        run.clear()

    for line in _lines(boxes):
        cells = _cells(boxes, line) if len(line) >= MIN_COLUMNS else []
        if len(cells) < MIN_COLUMNS or (run and len(cells) != len(run[0])):
            close()
        if len(cells) >= MIN_COLUMNS:
            run.append(cells)
    close()
    return tables


def _squash(text: str) -> str:
    return "".join(text.split())


def mark_tables(text: str, tables: list[list[list[str]]]) -> str:
    """``text`` with each table row's line rewritten as a row (``table_rows.row``).

    A row's line is the next line whose characters, spaces aside, are the row's cells in
    order; a table with a row not found that way is left as it is."""
    if not tables:
        return text
    lines = text.split("\n")
    cursor = 0
    for table in tables:
        found: list[int] = []
        at = cursor
        for cells in table:
            want = _squash("".join(cells))
            hit = next((i for i in range(at, len(lines)) if _squash(lines[i]) == want), None)
            if hit is None:
                break
            found.append(hit)
            at = hit + 1
        if len(found) != len(table):
            continue
        for i, cells in zip(found, table, strict=True):
            lines[i] = row(cells)
        cursor = at
    return "\n".join(lines)
