"""FastTable: Textual's DataTable made cheap for big, live tables (the queue of 10,000 files).

DataTable keys every render cache on one global update counter, so each ``update_cell`` or
cursor-free data change throws away the rendering of every row; and it renders each cell
through Rich ``Styled(Padding(...))`` + ``Console.render_lines`` (~0.1-0.5 ms a cell) and
measures every cell of every new row, even in fixed-width columns. This subclass keeps what
is on screen identical and removes that work:

- ``update_cells`` patches many cells at once and evicts only the cached renderings of the
  rows it touched (the global counter is left alone), then repaints those rows if visible;
- a one-line ``rich.text.Text`` cell is rendered straight from ``Text.wrap``/``Text.render``
  with the same padding and style layering as the Rich path (same segments, same styles);
- new rows are measured only in auto-width columns (the others have a fixed width);
- rows appended below existing ones keep the cached renderings of those (a table filled in
  chunks renders its visible rows once, not once per chunk), unless a column width changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, zip_longest
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual._types import SegmentLines
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import (
    CellDoesNotExist,
    ColumnKey,
    DuplicateKey,
    Row,
    RowKey,
    default_cell_formatter,
)

_AWAY = Coordinate(-10, -10)  # a cursor or hover position on no row (see FastTable._away)


def render_text_cell(
    console: Console,
    text: Text,
    width: int,
    padding: int,
    pre_style: Style,
    post_style: Style,
    options_justify: Any = None,
    options_overflow: Any = None,
    options_no_wrap: bool | None = True,
) -> SegmentLines | None:
    """One line of segments for a one-line ``Text`` cell ``width`` cells wide (padding
    included), as ``console.render_lines(Styled(Padding(text, (0, padding)), pre_style,
    post_style), options)`` gives for a row one line high; None when the text doesn't fit
    that shape (the caller then takes the Rich path)."""
    inner = width - 2 * padding
    if inner < 1:
        return None
    plain = text.plain
    if "\n" in plain or "\t" in plain:
        return None
    justify = text.justify or options_justify or "default"
    pad_style = console.get_style("none")
    line = _plain_line(console, text, plain, inner, justify, pad_style)
    if line is not None:
        if padding:
            side = Segment(" " * padding, pad_style)
            line = [side, *line, side]
        return [list(Segment.apply_style(line, pre_style, post_style))]
    no_wrap = text.no_wrap if text.no_wrap is not None else options_no_wrap
    lines = text.wrap(
        console,
        inner,
        justify=justify,
        overflow=text.overflow or options_overflow or "fold",
        tab_size=8,
        no_wrap=bool(no_wrap),
    )
    if len(lines) != 1:
        return None
    line = [s for s in Text("\n").join(lines).render(console, end="") if s.text]
    line = Segment.adjust_line_length(line, inner, style=pad_style, pad=True)
    if padding:
        side = Segment(" " * padding, pad_style)
        line = [side, *line, side]
    return [list(Segment.apply_style(line, pre_style, post_style))]


def _plain_line(
    console: Console, text: Text, plain: str, width: int, justify: str, pad_style: Style
) -> list[Segment] | None:
    """The common case without Text.wrap: a text with one style and no spans that fits in
    ``width``, justified left, right or not at all; None for anything else."""
    if text._spans or justify not in ("default", "left", "right"):
        return None
    length = cell_len(plain)
    if length > width or (justify == "right" and plain[-1:].isspace()):
        return None
    style = console.get_style(text.style, default=Style.null()) if text.style else None
    line = [Segment(plain, style)] if plain else []
    pad = width - length
    if pad:
        if justify == "right":
            line.insert(0, Segment(" " * pad, style))
        elif justify == "left":
            line.append(Segment(" " * pad, style))
        else:
            line.append(Segment(" " * pad, pad_style))
    return line


class FastTable(DataTable):
    """A DataTable whose cell updates repaint only the rows they touch (see module doc)."""

    # column widths when rows were first appended since the last dimension update; None
    # when something else (a first fill, a removal, a width change) needs the stock update
    _append_widths: tuple[int, ...] | None = None

    def _render_widths(self) -> tuple[int, ...]:
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        return (self._row_label_column_width, *widths)

    # -- Home and End go to the first and last row of a row-cursor table -------------------
    def action_scroll_home(self) -> None:
        """Home: the first row (DataTable scrolls to the first column, which in a list of
        rows that fit the width does nothing)."""
        if self.cursor_type == "row":
            self.action_scroll_top()
        else:
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        """End: the last row (see ``action_scroll_home``)."""
        if self.cursor_type == "row":
            self.action_scroll_bottom()
        else:
            super().action_scroll_end()

    # -- adding many rows with the bookkeeping done once ------------------------------------
    def add_keyed_rows(self, rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """Append rows one line high, each ``(key, cells)``: the same as ``add_row(*cells,
        key=key)`` for each, with the cursor check, cache invalidation and idle call once."""
        columns = self.ordered_columns
        start = self.row_count
        for key, cells in rows:
            row_key = RowKey(key)
            if row_key in self._row_locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            if len(cells) > len(columns):
                raise ValueError("More values provided than there are columns.")
            self._row_locations[row_key] = len(self.rows)
            self._data[row_key] = {column.key: cell for column, cell in zip_longest(columns, cells)}
            self.rows[row_key] = Row(row_key, 1)
            self._new_rows.add(row_key)
        if self.row_count == start:
            return
        if start and not self._require_update_dimensions:
            self._append_widths = self._render_widths()
        elif not start:
            self._append_widths = None
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        visible_cursor = self.show_cursor and self.cursor_type != "none"
        if start == 0 and len(self.columns) > 0 and visible_cursor:
            self._highlight_cursor()
        if start:
            # rows below the old ones: what is rendered stays valid, only the y offsets grow
            self._offset_cache.clear()
        else:
            self._update_count += 1
        self.check_idle()

    # -- updating cells without throwing every cached row away -------------------------------
    def update_cells(self, updates: Iterable[tuple[str | RowKey, str | ColumnKey, Any]]) -> None:
        """Set many cells at once (row key, column key, value); column widths stay as they are
        (like ``update_cell(..., update_width=False)``)."""
        rows: set[RowKey] = set()
        for row_key, column_key, value in updates:
            row_key = RowKey(row_key) if isinstance(row_key, str) else row_key
            column_key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
            if row_key not in self._row_locations or column_key not in self._column_locations:
                raise CellDoesNotExist(
                    f"No cell exists for row_key={row_key!r}, column_key={column_key!r}."
                )
            self._data[row_key][column_key] = value
            rows.add(row_key)
        if rows:
            self._forget_rows(rows)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
        else:
            self.update_cells([(row_key, column_key, value)])

    def _forget_rows(self, rows: set[RowKey]) -> None:
        """Drop the cached renderings of ``rows`` and repaint those on screen."""
        if self.fixed_rows or any(self.rows[key].height != 1 for key in rows):
            self._update_count += 1  # the stock behaviour: every cached rendering is stale
            self.refresh()
            return
        count = self._update_count
        indexes = {self._row_locations.get(key) for key in rows}
        for index in indexes:
            self._row_renderable_cache.discard((count, index))
        for cache in (self._cell_render_cache, self._row_render_cache):
            for key in [k for k in cache.keys() if k[0] in rows]:
                cache.discard(key)
        header = self.header_height if self.show_header else 0
        lines = {index + header for index in indexes}  # rows are one line high
        for key in [k for k in self._line_cache.keys() if k[0] in lines]:
            self._line_cache.discard(key)
        width = max(self.size.width, self.virtual_size.width)
        for y in lines:
            self._refresh_region(Region(0, y, width, 1))

    # -- rendering one-line Text cells without the Rich layout machinery -------------------
    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        is_header = row_index == -1
        is_label = column_index == -1
        row_key = self._header_row_key if is_header else self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        height = self.header_height if is_header else self.rows[row_key].height
        if height != 1 or is_label:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        _, cells = self._get_row_renderables(row_index)
        cell = cells[column_index]
        if not isinstance(cell, Text):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        is_fixed = not is_header and (
            row_index < self.fixed_rows or column_index < self.fixed_columns
        )
        component_style, post_style = self._get_styles_to_render_cell(
            is_header,
            False,
            is_fixed,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        options = self.app.console_options
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = render_text_cell(
            self.app.console,
            cell,
            width,
            self.cell_padding,
            pre_style + component_style,
            post_style,
            options.justify,
            options.overflow,
            True,
        )
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cell_render_cache[cache_key] = lines
        return lines

    # -- cursor moves re-render only the rows the cursor leaves and enters -----------------
    def _away(self, row_key: RowKey, cursor: Coordinate, hover: Coordinate) -> tuple:
        """The cursor and hover coordinates as far as this row's rendering can tell: with a
        row cursor, a row looks the same wherever else the cursor (or hover) is, so those
        positions share one cache entry instead of one per cursor position."""
        if self.cursor_type != "row":
            return cursor, hover
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        if cursor.row != row_index:
            cursor = _AWAY
        if hover.row != row_index:
            hover = _AWAY
        return cursor, hover

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[SegmentLines, SegmentLines]:
        cursor_location, hover_location = self._away(row_key, cursor_location, hover_location)
        return super()._render_line_in_row(
            row_key, line_no, base_style, cursor_location, hover_location
        )

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """DataTable._render_line with the cursor and hover positions in the cache key
        reduced by ``_away`` (the rest is Textual's code)."""
        width = self.size.width
        try:
            row_key, y_offset_in_row = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base_style)
        cursor, hover = self._away(row_key, self.cursor_coordinate, self.hover_coordinate)
        cache_key = (
            y,
            x1,
            x2,
            width,
            cursor,
            hover,
            base_style,
            self.cursor_type,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._line_cache.get(cache_key)
        if cached is not None:
            return cached
        fixed, scrollable = self._render_line_in_row(
            row_key,
            y_offset_in_row,
            base_style,
            cursor_location=self.cursor_coordinate,
            hover_location=self.hover_coordinate,
        )
        fixed_width = sum(
            column.get_render_width(self) for column in self.ordered_columns[: self.fixed_columns]
        )
        fixed_line: list[Segment] = list(chain.from_iterable(fixed)) if fixed else []
        scrollable_line: list[Segment] = list(chain.from_iterable(scrollable))
        segments = fixed_line + line_crop(scrollable_line, x1 + fixed_width, x2, width)
        strip = Strip(segments).adjust_cell_length(width, base_style).simplify()
        self._line_cache[cache_key] = strip
        return strip

    # -- measuring only what can change a column's width -----------------------------------
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        new_rows = list(new_rows)
        appended, self._append_widths = self._append_widths, None
        if any(
            (row := self.rows.get(key)) is not None and (row.label is not None or row.auto_height)
            for key in new_rows
        ):
            super()._update_dimensions(new_rows)
            return
        auto = [c.key for c in self.ordered_columns if c.auto_width]
        if auto:
            console = self.app.console
            columns = self.columns
            for key in new_rows:
                row = self.rows.get(key)
                if row is None:
                    continue
                data = self._data[key]
                for column_key in auto:
                    value = data.get(column_key)
                    if value is None:
                        continue
                    renderable = default_cell_formatter(
                        value, wrap=row.height != 1, height=row.height
                    )
                    column = columns[column_key]
                    column.content_width = max(
                        column.content_width, measure(console, renderable, 1)
                    )
        if appended is not None and appended == self._render_widths():
            # only rows appended, no width changed: the cached renderings stay valid
            self.hover_coordinate = self.hover_coordinate
            header_height = self.header_height if self.show_header else 0
            self.virtual_size = Size(sum(appended), self._total_row_height + header_height)
            self.refresh(layout=True)
            return
        super()._update_dimensions(())
