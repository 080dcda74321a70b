"""A read-only text view that stays fast on very long texts.

Why not a ``Static`` or ``TextArea``: those lay out the whole text as widgets or
documents. This is a ``ScrollView`` with the line API (after Toolong): the text is
wrapped once per width into row spans, and only the visible rows are rendered,
each cached as a ``Strip`` in an LRU cache.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from rich.segment import Segment
from textual.actions import SkipAction
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

_CONTROL = {c: None for c in range(32) if c not in (9, 10)}
_CONTROL[127] = None


def clean_text(text: str) -> str:
    """Tabs as four spaces, control characters removed, line ends normalised."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return text.translate(_CONTROL).replace("\t", "    ")


def wrap_spans(line: str, width: int) -> list[tuple[int, int]]:
    """Split ``line`` into (start, end) spans of at most ``width`` cells, at spaces if possible."""
    n = len(line)
    if width <= 0 or n == 0:
        return [(0, n)]
    ascii_only = line.isascii()
    if ascii_only and n <= width:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n:
        if ascii_only:
            end = min(n, start + width)
        else:
            end, cells = start, 0
            while end < n:
                w = get_character_cell_size(line[end])
                if cells + w > width:
                    break
                cells += w
                end += 1
            end = max(end, start + 1)
        if end < n:
            space = line.rfind(" ", start, end)
            if space > start:
                end = space + 1
        spans.append((start, end))
        start = end
    return spans


class TextView(ScrollView, can_focus=True):
    """Wrapped, read-only text rendered line by line; ``set_text`` replaces it."""

    DEFAULT_CSS = """
    TextView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    TextView:focus {
        background-tint: $foreground 4%;
    }
    """

    def __init__(
        self,
        text: str = "",
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's own parameter name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[str] = [""]
        self._rows: list[tuple[int, int, int]] = []  # (line index, start, end)
        self._layout_width = -1
        self._cache: LRUCache[tuple[int, int, object], Strip] = LRUCache(maxsize=2000)
        self._set_lines(text)

    @property
    def text(self) -> str:
        return "\n".join(self._lines)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def _set_lines(self, text: str) -> None:
        self._lines = clean_text(text).split("\n")
        self._layout_width = -1
        self._rows = [(i, 0, len(line)) for i, line in enumerate(self._lines)]
        self._cache.clear()

    def set_text(self, text: str, *, keep_scroll: bool = False) -> None:
        """Show ``text`` from the top (or at the same scroll position with ``keep_scroll``)."""
        self._set_lines(text)
        self._relayout()
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False)
        self.refresh()

    def row_text(self, index: int) -> str:
        """The text of one visible row (wrapped), for tests and copy."""
        line, start, end = self._rows[index]
        return self._lines[line][start:end]

    def visible_text(self) -> str:
        """The rows currently on screen, joined by newlines."""
        top = round(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        last = min(len(self._rows), top + height)
        return "\n".join(self.row_text(i) for i in range(top, last))

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        if width != self._layout_width:
            rows: list[tuple[int, int, int]] = []
            append = rows.append
            for i, line in enumerate(self._lines):
                if len(line) <= width and line.isascii():
                    append((i, 0, len(line)))
                else:
                    for start, end in wrap_spans(line, width):
                        append((i, start, end))
            self._rows = rows
            self._layout_width = width
            self._cache.clear()
        self.virtual_size = Size(width, len(self._rows))

    # keyboard scrolling jumps at once: animating across a long text only delays the reader
    def action_scroll_home(self) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_end(animate=False)

    def action_page_up(self) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_page_down(animate=False)

    def on_resize(self) -> None:
        self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        if self._layout_width != self.scrollable_content_region.width:
            self._relayout()
        width = self.scrollable_content_region.width
        index = y + round(self.scroll_offset.y)
        style = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, style)
        key = (index, width, style)
        strip = self._cache.get(key)
        if strip is None:
            line, start, end = self._rows[index]
            segment = Segment(self._lines[line][start:end], style)
            strip = Strip([segment]).crop_extend(0, width, style)
            self._cache[key] = strip
        return strip
