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
