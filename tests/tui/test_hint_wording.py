"""Hints in the TUI name its keys, not commands (issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path

from loratui.core.projects import workspace
from loratui.tui.app import LoratuiApp


async def test_an_unknown_project_is_reported_with_the_tui_wording(home: Path) -> None:
    """The app said "create one with `loratui new NAME`": a command, in the app."""
    workspace.create_project("real")
    app = LoratuiApp(home=home, start_worker=False, project="nope")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        (note,) = [n for n in app._notifications if n.title == "No such project"]
        assert "no project named 'nope'" in note.message
        assert "press `n`" in note.message and "loratui" not in note.message
