"""Helpers for the TUI tests: read the screen as text, wait for conditions, fixed data."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App

SAMPLES = Path(__file__).resolve().parents[2] / "loratui" / "samples"


def screen_text(app: App) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


async def wait_for(
    pilot, condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.2
) -> None:
    """Let the app run until ``condition()`` holds; fail with the screen after ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        await pilot.pause(step)
        if condition():
            return
    raise AssertionError("condition not met in time; screen:\n" + screen_text(pilot.app))


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def manual_pages(count: int) -> list[str]:
    """``count`` pages of distinct text for ``make_pdf``: page N says "Page N of the field
    manual"."""
    return [
        f"Page {n} of the field manual. " + "Check the valve and log it. " * 20
        for n in range(1, count + 1)
    ]


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("Shift handover", level=1)
    d.add_paragraph("The night shift checked every pump in building C and found no leaks.")
    table = d.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Pump", "Status"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "C-4", "ok"
    d.save(str(path))
    return path
