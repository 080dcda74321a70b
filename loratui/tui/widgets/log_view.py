"""A virtualised, cursor-driven list of log lines: the view inside the log panel and screen.

Thousands of events must stay fast (textual#2432): a line-API ``ScrollView`` renders only
the visible rows, from an LRU cache of rendered rows (after Toolong).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from loratui.core.store.models import Event
from loratui.tui.widgets import fmt

MAX_LINES = 5000
LEVEL_LABEL = {"debug": "debug", "info": "info ", "warning": "warn ", "error": "ERROR"}
LEVEL_STYLE = {"debug": "dim", "info": "", "warning": "yellow", "error": "bold red"}


@dataclass(frozen=True)
class LogLine:
    """One event as the view needs it (no data payload: that is read on demand)."""

    id: int
    time: float
    level: str
    kind: str
    message: str
    document_id: int | None


def to_line(ev: Event) -> LogLine:
    """The fields of an event row the list shows (its message on one line)."""
    return LogLine(
        id=ev.id,
        time=ev.time,
        level=ev.level,
        kind=ev.kind,
        message=" ".join((ev.message or "").split()),
        document_id=ev.document_id,
    )


class LogView(ScrollView, can_focus=True):
    """A virtualised list of log lines with a cursor; enter selects the line under it."""

    DEFAULT_CSS = """
    LogView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    LogView > .logview--cursor { background: $accent 40%; }
    LogView:focus > .logview--cursor { background: $accent; color: $text; }
    LogView > .logview--time { color: $text-muted; }
    LogView > .logview--kind { color: $secondary; }
    """
    COMPONENT_CLASSES = {"logview--cursor", "logview--time", "logview--kind"}

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "cursor_home", "First", show=False),
        Binding("end", "cursor_end", "Last (follow)", show=False),
        Binding("enter", "select", "Open document"),
    ]

    cursor: reactive[int] = reactive(-1, repaint=False, always_update=True)

    class Highlighted(Message):
        def __init__(self, line: LogLine | None) -> None:
            super().__init__()
            self.line = line

    class Selected(Message):
        def __init__(self, line: LogLine) -> None:
            super().__init__()
            self.line = line

    def __init__(
        self,
        *,
        max_lines: int = MAX_LINES,
        time_format=fmt.clock,  # noqa: ANN001 - any callable float -> str
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[LogLine] = []
        self.max_lines = max_lines
        self.time_format = time_format
        self.follow = True
        self._cache: LRUCache[tuple, Strip] = LRUCache(maxsize=1000)

    # -- data ----------------------------------------------------------------

    def replace(self, lines: list[LogLine]) -> None:
        """Show exactly ``lines`` (after a filter change), following the tail."""
        self.lines = list(lines[-self.max_lines :])
        self._cache.clear()
        self.follow = True
        self._update_size()
        self.cursor = len(self.lines) - 1
        self._scroll_tail()
        self.refresh()

    def _scroll_tail(self) -> None:
        # the new virtual size takes effect on the next layout; scroll after it
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def append(self, lines: list[LogLine]) -> None:
        """Add new lines at the end; drop the oldest past ``max_lines``."""
        if not lines:
            return
        self.lines.extend(lines)
        overflow = len(self.lines) - self.max_lines
        if overflow > 0:
            del self.lines[:overflow]
            self._cache.clear()
            if not self.follow:
                self.cursor = max(0, self.cursor - overflow)
                self.scroll_to(y=max(0, self.scroll_offset.y - overflow), animate=False)
        self._update_size()
        if self.follow:
            self.cursor = len(self.lines) - 1
            self._scroll_tail()
        self.refresh()

    def _update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.lines))

    @property
    def current(self) -> LogLine | None:
        if 0 <= self.cursor < len(self.lines):
            return self.lines[self.cursor]
        return None

    def plain_lines(self) -> list[str]:
        """Every line as plain text (what a row shows, unclipped)."""
        return [self._text(line).plain for line in self.lines]

    # -- rendering -----------------------------------------------------------

    def _text(self, line: LogLine) -> Text:
        text = Text(no_wrap=True, end="")
        text.append(self.time_format(line.time), self.get_component_rich_style("logview--time"))
        text.append(" ")
        text.append(LEVEL_LABEL.get(line.level, line.level[:5]), LEVEL_STYLE.get(line.level, ""))
        text.append(" ")
        text.append(line.kind, self.get_component_rich_style("logview--kind"))
        text.append(" ")
        text.append(line.message)
        return text

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self) -> None:
        self._update_size()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + round(self.scroll_offset.y)
        style = self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, style)
        line = self.lines[index]
        is_cursor = index == self.cursor
        key = (line.id, width, is_cursor, self.has_focus, style)
        strip = self._cache.get(key)
        if strip is None:
            text = self._text(line)
            text.stylize_before(style)
            if is_cursor:
                text.stylize(self.get_component_rich_style("logview--cursor"))
            segments = list(text.render(self.app.console))
            pad = self.get_component_rich_style("logview--cursor") if is_cursor else style
            strip = Strip(segments, text.cell_len).crop_extend(0, width, pad)
            self._cache[key] = strip
        return strip

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- actions -------------------------------------------------------------

    def _move_to(self, index: int) -> None:
        if not self.lines:
            return
        index = max(0, min(len(self.lines) - 1, index))
        self.follow = index == len(self.lines) - 1
        self.cursor = index
        top = round(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_cursor_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.scrollable_content_region.height))

    def action_cursor_home(self) -> None:
        self._move_to(0)

    def action_cursor_end(self) -> None:
        self._move_to(len(self.lines) - 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event) -> None:  # noqa: ANN001 - textual.events.Click
        self._move_to(event.y + round(self.scroll_offset.y))
