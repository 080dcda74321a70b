"""SettingsScreen: the project's settings in the TUI, checked and saved as the CLI does;
Escape walks back through the screens in the order they were opened."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from loratui.core.projects import workspace
from loratui.core.store import drafts
from loratui.core.store import settings as settings_mod
from loratui.core.store.models import Event, Project
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.dashboard import DashboardScreen
from loratui.tui.screens.export import ExportScreen
from loratui.tui.screens.projects import ProjectsScreen
from loratui.tui.screens.queue import QueueScreen
from loratui.tui.screens.settings import SettingsScreen
from tests.tui.conftest import screen_text, wait_for

SIZE = (100, 30)


async def test_change_and_save_settings_as_the_cli_does(home: Path) -> None:
    project = workspace.create_project("tuned")
    workspace.update_settings(project, {"max_attempts": 5})
    app = LoratuiApp(home=home, project=project.id, start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("comma")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: "✓ saved" in screen_text(app))
        assert "Settings · tuned" in screen_text(app)
        # the focused setting says what it does, with the words it takes, from the core
        engines = ", ".join(settings_mod.CHOICES["pdf_engine"])
        assert f"pdf_engine: {settings_mod.DESCRIPTIONS['pdf_engine']} ({engines})" in (
            screen_text(app)
        )
        # every setting of the core's definition has a row; the engines come from the core
        for key in settings_mod.DEFAULTS:
            assert screen.query(f"#s-{key}")
        engine = screen.query_one("#s-pdf_engine", Select)
        assert [str(o[1]) for o in engine._options] == list(settings_mod.CHOICES["pdf_engine"])
        assert screen.query_one("#s-max_attempts", Input).value == "5"

        # a bad value is refused inline with the CLI parser's words, and not saved
        workers = screen.query_one("#s-workers", Input)
        workers.value = "many"
        await wait_for(pilot, lambda: "✗ must be a int, got 'many'" in screen_text(app))
        assert "1 to fix: workers" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert "workers" not in (Project.get_by_id(project.id).settings or {})

        workers.value = "3"
        engine.value = settings_mod.CHOICES["pdf_engine"][-1]
        await wait_for(pilot, lambda: "2 unsaved change(s)" in screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "✓ saved" in screen_text(app))
        stored = Project.get_by_id(project.id).settings
        assert stored["workers"] == 3
        assert stored["pdf_engine"] == settings_mod.CHOICES["pdf_engine"][-1]
        assert stored["max_attempts"] == 5  # untouched keys stay as they were
        event = list(Event.select().where(Event.kind == "project.settings").order_by(Event.id))[-1]
        assert set(event.data["changes"]) == {"workers", "pdf_engine"}  # the CLI's audit row

        # unsaved changes are kept as a draft when leaving, and shown again, marked unsaved
        workers.value = "4"
        screen.query_one("#s-task_timeout_s", Input).value = "soon"  # not valid yet: kept too
        await pilot.pause(0.1)
        await pilot.press("escape")  # at once, before the debounce
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert drafts.load_draft(project, "settings") == {"workers": "4", "task_timeout_s": "soon"}
        assert Project.get_by_id(project.id).settings["workers"] == 3
    # the CLI changes another setting meanwhile: the draft, holding only the edits, keeps it
    workspace.update_settings(Project.get_by_id(project.id), {"max_attempts": 7})

    # a restart: the form opens with the draft, marked unsaved; saving removes it
    app = LoratuiApp(home=home, project=project.id, start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("comma")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.unsaved and "unsaved changes" in screen_text(app))
        assert screen.query_one("#s-workers", Input).value == "4"
        assert "1 to fix: task_timeout_s" in screen_text(app)
        screen.query_one("#s-task_timeout_s", Input).value = "90"
        await wait_for(pilot, lambda: "2 unsaved change(s)" in screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.unsaved and "✓ saved" in screen_text(app))
        stored = Project.get_by_id(project.id).settings
        assert (stored["workers"], stored["task_timeout_s"]) == (4, 90.0)
        assert stored["max_attempts"] == 7
        assert not drafts.draft_path(project, "settings").exists()


async def test_escape_goes_back_to_the_previous_screen(home: Path) -> None:
    project = workspace.create_project("walk")
    app = LoratuiApp(home=home, project=project.id, start_worker=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await wait_for(pilot, lambda: app.screen.saved is not None)
        await pilot.press("escape")  # back to the files, not to the projects list
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("d")  # a section open below is reopened in its place
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert [type(s) for s in app.screen_stack] == [ProjectsScreen, DashboardScreen]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectsScreen))
