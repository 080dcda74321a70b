"""``q`` while an export runs asks first, then cancels it cleanly (issue 13, item 4).

It used to exit without a question, after a blank screen for as long as the export took.
The export thread is held at its start by a gate (the real export runs once it opens), so
the question always comes while the version is being written.
"""

from __future__ import annotations

import threading
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
    for n in range(20):
        pages = [f"Volume {n} part {p}. {PARAGRAPH} Unique line {n}-{p}." for p in (1, 2, 3)]
        make_document(project, f"volume-{n}.pdf", pages)


def _question(app: LoratuiApp) -> str:
    return str(app.screen.query_one(".dialog-message", Static).render())


async def _start_held_export(app: LoratuiApp, pilot) -> tuple[ExportScreen, threading.Event]:  # noqa: ANN001
    """Open Export, run it, and hold its thread at the start until the gate opens."""
    await pilot.pause(0.3)
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
    export = app.screen
    gate = threading.Event()
    write = export._write_version

    def held(cfg, force):  # noqa: ANN001, ANN202
        gate.wait(60)
        write(cfg, force)

    export._write_version = held
    export.action_run()
    await wait_for(pilot, lambda: export._writing, timeout=60)
    return export, gate


def _versions(project) -> list[Path]:  # noqa: ANN001
    return [p for p in folders.exports_dir(project).iterdir() if p.name.startswith("v")]


async def test_q_during_an_export_asks_and_no_keeps_it_running(home: Path) -> None:
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        export, gate = await _start_held_export(app, pilot)
        await app.action_quit()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "no version is written" in _question(app)
        app.screen.dismiss(False)
        gate.set()
        await wait_for(pilot, lambda: not export.running, timeout=120)
        assert app.is_running
    assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 1


async def test_quit_during_an_export_cancels_it_without_a_half_version(home: Path) -> None:
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        export, gate = await _start_held_export(app, pilot)
        await app.action_quit()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        app.screen.dismiss(True)
        await pilot.pause(0.3)
        assert app.is_running  # waiting for the export to stop, the screen still drawn
        gate.set()
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
        assert not export.running_export
    assert DatasetVersion.select().where(DatasetVersion.project == project).count() == 0
    assert not _versions(project)
    assert Event.get_or_none(Event.kind == "export.cancelled") is not None


async def test_q_asks_about_an_export_left_running_in_another_section(home: Path) -> None:
    """The export goes on when the user moves to the dashboard: q still asks about it, and
    quitting waits for it to stop instead of leaving a blank screen."""
    project = workspace.create_project("long")
    _corpus(project)
    app = LoratuiApp(home=home, start_worker=False, project="long")
    async with app.run_test(size=(100, 30)) as pilot:
        export, gate = await _start_held_export(app, pilot)
        app.action_section("dashboard")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        await app.action_quit()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "no version is written" in _question(app)
        app.screen.dismiss(True)
        await pilot.pause(0.3)
        assert app.is_running
        gate.set()
        await wait_for(pilot, lambda: not app.is_running, timeout=120)
    assert not _versions(project)
    assert Event.get_or_none(Event.kind == "export.cancelled") is not None
