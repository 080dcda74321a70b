"""``q`` while an export runs asks first, then cancels it cleanly (issue 13, item 4).

It used to exit without a question, after a blank screen for as long as the export took.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import DatasetVersion, Event
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.export import ExportScreen
from loratui.tui.widgets.confirm import ConfirmModal
from tests.tui.screen_host import make_document, wait_for

PARAGRAPH = "The harbour master kept a ledger of every ship that entered the bay. " * 8


def _corpus(project) -> None:  # noqa: ANN001
    for n in range(150):
        pages = [f"Volume {n} part {p}. {PARAGRAPH} Unique line {n}-{p}." for p in (1, 2, 3)]
        make_document(project, f"volume-{n}.pdf", pages)


def _question(app: LoratuiApp) -> str:
    return str(app.screen.query_one(".dialog-message", Static).render())


async def test_q_during_an_export_asks_and_no_keeps_it_running(home: Path) -> None:
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        export = app.screen
        export.action_run()
        await app.action_quit()  # in the same tick: a small export ends before a key press
        await pilot.pause()  # the question mounts
        assert isinstance(app.screen, ConfirmModal)
        assert "no version is written" in _question(app)
        app.screen.dismiss(False)
        await wait_for(pilot, lambda: not export.running, timeout=120)
        assert app.is_running
    assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 1


async def test_quit_during_an_export_cancels_it_without_a_half_version(home: Path) -> None:
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        export = app.screen
        export.action_run()
        await app.action_quit()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert export.running
        app.screen.dismiss(True)
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
        assert not export.running  # the app waited for the export to stop
    cancelled = Event.get_or_none(Event.kind == "export.cancelled")
    versions = [p for p in folders.exports_dir(project).iterdir() if p.name.startswith("v")]
    if cancelled is None:  # (rare: it was publishing when the answer came) whole, not half
        assert [v.name for v in versions] == ["v1"] and (versions[0] / "manifest.json").exists()
    else:
        assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 0
        assert not versions


async def test_q_asks_about_an_export_left_running_in_another_section(home: Path) -> None:
    """The export goes on when the user moves to the dashboard: q still asks about it, and
    quitting waits for it to stop instead of leaving a blank screen."""
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        export = app.screen
        export.action_run()
        await wait_for(pilot, lambda: export._writing, timeout=60)  # the version is being written
        app.action_section("dashboard")
        await app.action_quit()
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert isinstance(app.screen, ConfirmModal)  # asked while it was being written
        assert "no version is written" in _question(app)
        app.screen.dismiss(True)
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
        assert not export.running_export
    cancelled = Event.get_or_none(Event.kind == "export.cancelled")
    versions = [p for p in folders.exports_dir(project).iterdir() if p.name.startswith("v")]
    assert (cancelled is None) == bool(versions)  # cancelled cleanly, or whole
