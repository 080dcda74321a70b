"""Typing into a text input never fires the screen's single-letter keys (issue 13, item 2).

Typing ``/data/exports`` into Add files used to land on the folder tree, where ``e``
opened the Export form. The rule holds app-wide: checked here on several screens.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from loratui.core.projects import workspace
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.add_files import AddFilesScreen
from loratui.tui.screens.log import LogScreen
from loratui.tui.screens.queue import QueueScreen
from tests.tui.conftest import wait_for

TYPED = "/data/exports/quality feedback"  # e, d, f, l, a, q, x, o, r, t, s, p: all screen keys


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def test_add_files_opens_with_the_path_input_focused(home: Path) -> None:
    workspace.create_project("typing")
    app = LoratuiApp(home=home, start_worker=False, project="typing")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AddFilesScreen))
        await pilot.pause(0.2)
        assert isinstance(app.focused, Input) and app.focused.id == "add-path"
        await _type(pilot, TYPED)
        await pilot.pause(0.2)
        assert isinstance(app.screen, AddFilesScreen)
        assert app.screen.query_one("#add-path", Input).value.startswith(TYPED)


async def test_filter_inputs_take_letters_on_files_and_log(home: Path) -> None:
    workspace.create_project("typing")
    app = LoratuiApp(home=home, start_worker=False, project="typing")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        for section, screen_type, box in (
            ("f", QueueScreen, "#queue-filter"),
            ("l", LogScreen, "#ls-doc"),
        ):
            await pilot.press(section)
            await wait_for(pilot, lambda t=screen_type: isinstance(app.screen, t))
            await pilot.press("slash")
            await pilot.pause(0.2)
            assert isinstance(app.focused, Input) and app.focused.id == box[1:]
            await _type(pilot, "deflaq")
            await pilot.pause(0.2)
            assert isinstance(app.screen, screen_type), section
            assert app.screen.query_one(box, Input).value == "deflaq"
            await pilot.press("escape")  # leaves the input; the section keys work again
            await pilot.pause(0.2)


def test_no_single_letter_binding_overrides_a_focused_input() -> None:
    """A focused input takes printable keys before any non-priority binding; a priority
    binding would fire anyway. So no letter, digit or sign may be bound with priority, on
    the app or any screen or widget of the TUI."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import loratui.tui.screens as screens_pkg
    import loratui.tui.widgets as widgets_pkg

    owners: list[type] = [LoratuiApp]
    for pkg in (screens_pkg, widgets_pkg):
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            owners += [
                c
                for _, c in inspect.getmembers(module, inspect.isclass)
                if c.__module__ == module.__name__ and issubclass(c, DOMNode)
            ]
    assert len(owners) > 10
    offenders = []
    for owner in owners:
        for binding in getattr(owner, "BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.priority:
                continue
            for key in binding.key.split(","):
                key = key.strip()
                if len(key) == 1 or key in ("slash", "space", "question_mark"):
                    offenders.append(f"{owner.__name__}: {key}")
    assert not offenders, offenders
