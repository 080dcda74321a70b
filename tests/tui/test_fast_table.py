"""FastTable draws exactly what Textual's DataTable draws, with its shortcuts taken.

The cell fast path, the row-local cache eviction of ``update_cells``, the bulk
``add_keyed_rows`` and the cursor-independent row cache must not change one character or style
on screen: each test renders the same content through a stock DataTable and a FastTable and
compares the lines segment by segment.
"""

from __future__ import annotations

import itertools

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.renderables.styled import Styled
from textual.widgets import DataTable

from loratui.core.projects.files import DocRow
from loratui.tui.queue_cells import COLUMNS, cell_values, render_cell
from loratui.tui.widgets.fast_table import FastTable, render_text_cell


def _rich_path(console, text: Text, width: int, pre: Style, post: Style):  # noqa: ANN001, ANN202
    from rich.padding import Padding

    options = console.options.update_dimensions(width, 1).update(no_wrap=True)
    return console.render_lines(
        Styled(Padding(text, (0, 1)), pre_style=pre, post_style=post), options
    )


def _canon(lines):  # noqa: ANN001, ANN202
    return [list(Segment.simplify(line)) for line in lines]


def test_text_cells_render_like_rich() -> None:
    from rich.console import Console

    console = Console(width=120, color_system="truecolor", legacy_windows=False)
    bar = Text("██", style="green")
    bar.append("░░░", style="dim")
    bar.append(" 3/10")
    texts = [
        Text(""),
        Text("done", style="green"),
        Text("42", justify="right", style="dim"),
        Text("12,345", justify="right"),
        Text("left ", justify="left", style="bold"),
        Text("trailing  ", justify="right"),
        Text("document-with-a-very-long-name.pdf", no_wrap=True, overflow="ellipsis"),
        Text("centred", justify="center"),
        Text("wide 文字 chars"),
        Text.assemble(("corrupt", "red"), " the file is damaged"),
        bar,
    ]
    pre = Style(color="white", bgcolor="#202020") + Style.from_meta({"row": 3, "column": 2})
    for text, width, post in itertools.product(texts, (3, 7, 12, 40), (Style(), Style(bold=True))):
        fast = render_text_cell(console, text, width, 1, pre, post)
        if fast is None:
            continue
        assert _canon(fast) == _canon(_rich_path(console, text, width, pre, post)), (
            text.plain,
            width,
        )


def _doc(i: int, **changes) -> DocRow:  # noqa: ANN003
    base = dict(
        id=i,
        name=f"report-{i:03d}-quarterly-figures.pdf",
        kind="pdf",
        state=("done", "failed", "queued", "processing")[i % 4],
        pages=(i * 7) % 150 or None,
        pages_done=(i * 3) % 20,
        chars=i * 9_876,
        tokens=i * 2_345,
        attempts=i % 3,
        error_code="corrupt" if i % 4 == 1 else None,
        error_message="the file is damaged" if i % 4 == 1 else None,
        excluded=i % 9 == 0,
        warning_codes=("little_text",) if i % 5 == 0 else (),
    )
    base.update(changes)
    return DocRow(**base)


def _cells(row: DocRow) -> list:
    values = cell_values(row, row.id % 6 == 0)
    return [render_cell(k, values[k]) for k, *_ in COLUMNS]


class TwoTables(App):
    CSS = "DataTable { height: 14; }"

    def compose(self) -> ComposeResult:
        for cls in (DataTable, FastTable):
            table = cls(cursor_type="row", zebra_stripes=True)
            table.fixed_columns = 2
            for key, label, width, _ in COLUMNS:
                table.add_column(label, key=key, width=width)
            yield table


def _screens(app: App) -> tuple[list, list]:
    stock, fast = app.query(DataTable)
    region = Region(0, 0, stock.size.width, stock.size.height)
    return tuple(
        [[(s.text, s.style) for s in Segment.simplify(strip)] for strip in t.render_lines(region)]
        for t in (stock, fast)
    )


async def test_fast_table_draws_what_data_table_draws() -> None:
    app = TwoTables()
    async with app.run_test(size=(130, 30)) as pilot:
        stock, fast = app.query(DataTable)
        assert isinstance(fast, FastTable)
        app.set_focus(None)  # the same pseudo-classes (no :focus) on both tables
        rows = [_doc(i) for i in range(1, 41)]
        for row in rows:
            stock.add_row(*_cells(row), key=str(row.id))
        fast.add_keyed_rows((str(row.id), _cells(row)) for row in rows)
        await pilot.pause()
        screens = _screens(app)
        assert screens[0] == screens[1]
        assert any("report-001" in "".join(t for t, _ in line) for line in screens[1])

        # cursor moves, then cell updates on visible and scrolled-away rows
        for table in (stock, fast):
            table.move_cursor(row=3)
        await pilot.pause()
        changed = [_doc(2, state="done", error_code=None, error_message=None), _doc(4, pages=9)]
        changed.append(_doc(35, state="failed", error_code="encrypted", error_message="locked"))
        for row in changed:
            old = _cells(_doc(row.id))
            for (key, *_), new, was in zip(COLUMNS, _cells(row), old, strict=True):
                if new.plain != was.plain or new.style != was.style or new.spans != was.spans:
                    stock.update_cell(str(row.id), key, new)
                    fast.update_cells([(str(row.id), key, new)])
        await pilot.pause()
        screens = _screens(app)
        assert screens[0] == screens[1]
        assert not any("encrypted" in "".join(t for t, _ in line) for line in screens[1])

        for table in (stock, fast):
            table.move_cursor(row=37)  # scrolls: row 35's new cells come into view
        await pilot.pause()
        screens = _screens(app)
        assert screens[0] == screens[1]
        assert any("encrypted" in "".join(t for t, _ in line) for line in screens[1])


async def test_end_and_home_go_to_the_last_and_first_row() -> None:
    """In a row-cursor table End is the last row and Home the first (DataTable scrolled to
    the last column instead, which in a table that fits its width did nothing)."""

    class Host(App):
        def compose(self) -> ComposeResult:
            table = FastTable(cursor_type="row")
            table.add_columns("n", "name")
            table.add_rows([(str(n), f"file-{n}") for n in range(200)])
            yield table

    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(FastTable)
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == 199
        await pilot.press("home")
        assert table.cursor_row == 0
