"""The help screen is made from the bindings: every key of every screen once, none missing
(issue 13 item 13: it listed `del` and quit twice and left out d f a e v l and ctrl+l)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Static

from loratui.core.projects import workspace
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.help import GENERIC, MOVEMENT, HelpScreen, key_name
from tests.tui.conftest import wait_for
from tests.tui.screen_host import make_document

SCREENS = {  # how to reach each screen from the projects list
    "ProjectsScreen": (),
    "DashboardScreen": ("enter",),
    "QueueScreen": ("enter", "f"),
    "PreviewScreen": ("enter", "f", "enter"),
    "ExportScreen": ("enter", "e"),
    "VersionsScreen": ("enter", "v"),
    "LogScreen": ("enter", "l"),
    "AddFilesScreen": ("enter", "a"),
}


def expected_keys(screen) -> list[str]:  # noqa: ANN001
    """The keys help must list: every enabled binding that does something worth saying."""
    keys = []
    for _node, binding, enabled, _ in screen.active_bindings.values():
        if enabled and binding.description and not binding.action.startswith(MOVEMENT):
            if not binding.action.endswith(GENERIC):
                keys.append(key_name(screen.app, binding))
    return keys


def help_lines(help_screen: HelpScreen) -> list[tuple[list[str], str]]:
    """The key table as drawn: (keys, description) per line."""
    console = Console(width=76, file=io.StringIO(), color_system=None, record=True)
    console.print(help_screen.query_one(".help-keys", Static).visual._renderable)
    rows = []
    for line in console.export_text().splitlines():
        keys, _, description = line.strip().partition("  ")
        if keys:
            rows.append((keys.split(" "), description.strip()))
    return rows


async def test_every_key_of_every_screen_is_in_help_once(home: Path) -> None:
    project = workspace.create_project("keys")
    make_document(project, "manual.pdf", ["Page one.", "Page two."])
    app = LoratuiApp(home=home, start_worker=False)
    async with app.run_test(size=(100, 40)) as pilot:
        for title, keys in SCREENS.items():
            app.action_projects()
            await pilot.pause(0.2)
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.3)
            await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
            under = app.screen
            assert type(under).__name__ == title
            wanted = expected_keys(under)
            # in a text input "?" is typed (no letter fires a key there): F1 opens help
            typing = type(app.focused).__name__ == "Input"
            await pilot.press("f1" if typing else "question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            rows = help_lines(app.screen)
            shown = [k for names, _ in rows for k in names]
            for key in wanted:
                assert shown.count(key) == 1, (title, key, rows)
            descriptions = [d for _, d in rows]
            assert len(descriptions) == len(set(descriptions)), (title, rows)
            if title != "ProjectsScreen" and not typing:  # sections and the log panel
                assert {"d", "f", "a", "e", "v", "l", "^l"} <= set(shown), (title, rows)
            assert "^p" in shown and ("?" in shown or typing)
            assert any(k.lower() == "f1" for k in shown)  # help from anywhere, inputs too
            await pilot.press("escape")
            await pilot.pause(0.2)
