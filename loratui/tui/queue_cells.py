"""The queue screen's cells: column definitions, state styles, and how a DocRow renders.

Pure formatting, no widgets: ``cell_values`` gives the plain values behind each cell (the screen
patches a cell only when its value changes) and ``render_cell`` turns one into Rich text.
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
    ("kind", "Type", 5, lambda r: r.kind),
    ("state", "State", 10, lambda r: (r.shown_state, r.id)),
    ("progress", "Progress", 11, lambda r: (r.pages_done / r.pages) if r.pages else 0),
    ("pages", "Pages", 5, lambda r: r.pages or 0),
    ("chars", "Chars", 7, lambda r: r.chars),
    ("tokens", "Tokens", 7, lambda r: r.tokens),
    ("attempts", "Try", 3, lambda r: r.attempts),
    ("error", "Error", None, lambda r: (r.error_code or "", r.error_message or "")),
]
SORTABLE = [c[0] for c in COLUMNS if c[0] not in ("mark",)]


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


def render_cell(key: str, value: Any) -> Any:
    if key == "mark":
        return Text("●" if value else " ", style="bold yellow")
    if key == "id":
        return Text(str(value), justify="right", style="dim")
    if key == "name":
        return Text(value, no_wrap=True, overflow="ellipsis")
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
    if key == "error":
        code, message, warnings = value
        if code:
            return Text.assemble((code, "red"), f" {message or ''}".rstrip())
        if warnings:
            return Text("warn: " + ", ".join(warnings), style="yellow")
        return Text("")
    return Text(str(value))
