"""The Files table fits the terminal (issue 13 item 12): names keep the end where a batch's
names differ, the error code has its own readable column, "records" is not cut, nothing
scrolls sideways at 80 or 100 columns, and the row under the cursor shows whole below."""

from __future__ import annotations

from pathlib import Path

import pytest

from loratui.core.projects import workspace
from loratui.tui.app import LoratuiApp
from loratui.tui.queue_cells import columns_for, fit_name
from loratui.tui.widgets.fast_table import FastTable
from tests.tui.conftest import screen_text, wait_for
from tests.tui.screen_host import make_document

PREFIX = "poi__test-data_document-export-"


def test_fit_name_keeps_both_ends() -> None:
    name = PREFIX + "0017.pdf"
    shown = fit_name(name, 20)
    assert len(shown) == 20 and shown.startswith("poi__") and shown.endswith("0017.pdf")
    assert fit_name("short.pdf", 20) == "short.pdf"


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_columns_fill_the_width_and_keep_name_and_error(width: int) -> None:
    columns = columns_for(width - 2)
    keys = [k for k, *_ in columns]
    assert {"id", "name", "state", "error"} <= set(keys)
    assert sum(w + 2 for *_, w in columns) == width - 2
    widths = dict((k, w) for k, _, w in columns)
    assert widths["name"] >= 20 and widths["error"] >= len("wrong_password")
    if "kind" in widths:
        assert widths["kind"] >= len("records")


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_files_table_fits_the_terminal(home: Path, size: tuple[int, int]) -> None:
    project = workspace.create_project("fit")
    for n in range(1, 6):
        make_document(project, f"{PREFIX}{n:04d}.pdf", [f"Page of document {n}."])
    make_document(project, "manifest.json", ['{"a": 1}'], kind="records")
    failed = make_document(
        project,
        f"{PREFIX}0099.pdf",
        [],
        state="failed",
        error_code="wrong_password",
        error_message="the password given for this document is wrong",
    )
    app = LoratuiApp(home=home, start_worker=False, project="fit")
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        await pilot.press("f")
        table = app.screen.query_one(FastTable)
        await wait_for(pilot, lambda: table.row_count == 7)
        await pilot.pause(0.3)
        text = screen_text(app)
        lines = text.splitlines()
        header = next(line for line in lines if " Name " in line)
        assert "Error" in header and "Type" in header
        # no row runs past the screen, the table needs no sideways scrolling
        assert table.virtual_size.width <= table.size.width
        # every name keeps its distinguishing end
        for n in range(1, 6):
            assert f"{n:04d}.pdf" in text
        row = next(line for line in lines if "0099.pdf" in line)
        assert "wrong_password" in row  # the code whole, in its column
        assert "records" in next(line for line in lines if "manifest.json" in line)
        # the row under the cursor, whole: name and error message
        table.move_cursor(row=table.get_row_index(str(failed.id)))
        await pilot.pause(0.3)
        flat = " ".join(screen_text(app).split())
        assert f"{PREFIX}0099.pdf failed" in flat
        assert "wrong_password: the password given for this document is wrong" in flat


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_footer_keys_stay_visible_and_clean(home: Path, size: tuple[int, int]) -> None:
    """The log panel (ctrl+l) covered the footer; the footer's right edge showed a stray
    letter of the key scrolled under the palette key (`^p palettel`)."""
    project = workspace.create_project("feet")
    make_document(project, "a.pdf", ["Page one."])
    app = LoratuiApp(home=home, start_worker=False, project="feet")
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        await pilot.press("f")
        await wait_for(pilot, lambda: "a.pdf" in screen_text(app))
        last = screen_text(app).splitlines()[-1]
        assert last.rstrip().endswith("^p palette"), last
        assert last.startswith("esc Back"), last
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: app.screen.query(".log-panel"))
        await pilot.pause(0.5)
        lines = screen_text(app).splitlines()
        assert lines[-1].startswith("esc Back") and lines[-1].rstrip().endswith("^p palette")
        assert any(line.startswith(" Log ·") for line in lines[-12:]), lines[-12:]
