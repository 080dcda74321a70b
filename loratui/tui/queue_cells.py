"""The queue screen's cells: column definitions, state styles, and how a DocRow renders.

Pure formatting, no widgets: ``cell_values`` gives the plain values behind each cell (the screen
patches a cell only when its value changes) and ``render_cell`` turns one into Rich text.
``columns_for`` fits the columns to the screen: the name takes the room the others leave (a
long name keeps its end, where names differ), the error code has its own column (the
message is on the detail line under the table), and less needed columns go first when the
terminal is narrow, so nothing is cut to one letter or pushed off-screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from loratui.core.projects.files import DocRow

STATE_FILTERS = (
    "all",
    "queued",
    "processing",
    "done",
    "failed",
    "duplicate",
    "cancelled",
    "excluded",
)
STATE_STYLE = {
    "queued": "cyan",
    "processing": "bold yellow",
    "done": "green",
    "failed": "bold red",
    "duplicate": "magenta",
    "cancelled": "dim",
    "excluded": "dim",
}
# (key, label, width, sort key)
COLUMNS: list[tuple[str, str, int | None, Callable[[DocRow], Any]]] = [
    ("mark", " ", 1, lambda r: 0),
    ("id", "#", 5, lambda r: r.id),
    ("name", "Name", 24, lambda r: r.name.lower()),
    ("kind", "Type", 7, lambda r: r.kind),
    ("state", "State", 10, lambda r: (r.shown_state, r.id)),
    ("progress", "Progress", 11, lambda r: (r.pages_done / r.pages) if r.pages else 0),
    ("pages", "Pages", 5, lambda r: r.pages or 0),
    ("chars", "Chars", 7, lambda r: r.chars),
    ("tokens", "Tokens", 7, lambda r: r.tokens),
    ("attempts", "Try", 3, lambda r: r.attempts),
    ("error", "Error", 14, lambda r: (r.error_code or "", r.error_message or "")),
]
SORTABLE = [c[0] for c in COLUMNS if c[0] not in ("mark",)]
PADDING = 2  # a cell's padding, one column each side
NAME_MIN = 20  # the name never gets less than this ...
NAME_COMFORT = 32  # ... and the optional columns only come while it keeps this much
# columns shown when there is room, first the most needed; the others are always shown
OPTIONAL = (("kind", False), ("progress", False), ("tokens", True), ("pages", True))
OPTIONAL += (("chars", True), ("attempts", True))


def columns_for(width: int) -> list[tuple[str, str, int]]:
    """The (key, label, width) of the columns to show in a table ``width`` cells wide."""
    widths = {key: w or 0 for key, _, w, _ in COLUMNS}
    shown = {"mark", "id", "name", "state", "error"}
    used = sum(widths[k] + PADDING for k in shown if k != "name") + PADDING
    for key, only_if_comfortable in OPTIONAL:
        need = widths[key] + PADDING
        floor = NAME_COMFORT if only_if_comfortable else NAME_MIN
        if width - used - need >= floor:
            shown.add(key)
            used += need
    name = max(NAME_MIN, width - used)
    return [
        (k, label, name if k == "name" else widths[k]) for k, label, *_ in COLUMNS if k in shown
    ]


def fit_name(name: str, width: int) -> str:
    """``name`` in ``width`` cells: cut in the middle, so that the end (a number, the
    extension: where names of one batch differ) stays."""
    if len(name) <= width or width < 5:
        return name
    tail = max(1, (width - 1) // 2)
    return name[: width - 1 - tail] + "…" + name[-tail:]


def _num(n: int | None) -> Text:
    if n is None:
        return Text("–", justify="right", style="dim")
    if n >= 100_000:
        s = f"{n / 1_000_000:.1f}M" if n >= 1_000_000 else f"{n / 1000:.0f}k"
    else:
        s = f"{n:,}"
    return Text(s, justify="right")


def cell_values(row: DocRow, marked: bool) -> dict[str, Any]:
    """The plain values behind each cell; cells are patched only when these change."""
    return {
        "mark": marked,
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "state": row.shown_state,
        "progress": (row.pages_done, row.pages, row.state),
        "pages": row.pages,
        "chars": row.chars,
        "tokens": row.tokens,
        "attempts": row.attempts,
        "error": (row.error_code, row.error_message, row.warning_codes),
    }


def render_cell(key: str, value: Any, width: int | None = None) -> Any:
    if key == "mark":
        return Text("●" if value else " ", style="bold yellow")
    if key == "id":
        return Text(str(value), justify="right", style="dim")
    if key == "name":
        shown = fit_name(value, width) if width else value
        return Text(shown, no_wrap=True, overflow="ellipsis")
    if key == "kind":
        return Text(value, style="dim")
    if key == "state":
        return Text(value, style=STATE_STYLE.get(value, ""))
    if key == "progress":
        done, total, state = value
        if not total:
            return Text("–", style="dim", justify="right")
        width = 5
        filled = round(width * min(done, total) / total)
        bar = Text("█" * filled, style="green" if state == "done" else "yellow")
        bar.append("░" * (width - filled), style="dim")
        bar.append(f" {done}/{total}" if total < 100 else f" {done * 100 // total}%")
        return bar
    if key in ("pages", "chars", "tokens"):
        return _num(value)
    if key == "attempts":
        return Text(str(value) if value else "", justify="right")
    if key == "error":  # the code only: the message is on the detail line
        code, _message, warnings = value
        if code:
            return Text(code, style="red", no_wrap=True, overflow="ellipsis")
        if warnings:
            return Text(
                "⚠ " + ",".join(warnings), style="yellow", no_wrap=True, overflow="ellipsis"
            )
        return Text("")
    return Text(str(value))
