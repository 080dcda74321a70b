"""Every project is watched and processed while the app runs, not only the open one: a file
dropped into another project's folder is taken and extracted at once, and the projects list
shows each project's counts as they change. Real worker processes, real drop folders."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import Document
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.dashboard import DashboardScreen
from loratui.tui.screens.projects import ProjectsScreen
from tests.tui.conftest import wait_for

SIZE = (100, 30)


def _row(app: LoratuiApp, project_id: int) -> dict[str, str]:
    table = app.screen.query_one(DataTable)
    cells = table.get_row(str(project_id))
    return {str(c.key.value): str(v) for c, v in zip(table.columns.values(), cells, strict=True)}


async def test_a_file_dropped_into_another_project_is_processed(home: Path) -> None:
    opened = workspace.create_project("opened")
    other = workspace.create_project("other")
    for p in (opened, other):
        workspace.update_settings(p, {"watch_settle_s": 0.3})
    app = LoratuiApp(home=home, workers=2, project="opened")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        sessions = app.sessions
        assert sessions is not None
        await wait_for(
            pilot,
            lambda: all(
                (s := sessions.get(p.id)) is not None
                and s.watcher_status.get("mode") in ("watching", "polling")
                for p in (opened, other)
            ),
            timeout=60,
        )
        assert app.session is sessions.get(opened.id) and app.session.workers == 2
        # the other project runs in the background: one process (no workers setting)
        assert sessions.get(other.id).workers == 1
        await pilot.press("escape")  # to the projects list
        await wait_for(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await wait_for(pilot, lambda: _row(app, other.id)["done"] == "0")

        for n in range(3):
            (folders.drop_dir(other) / f"note-{n}.txt").write_text(f"Dropped note {n}.\n")
        await wait_for(
            pilot,
            lambda: (
                Document.select()
                .where((Document.project == other) & (Document.state == "done"))
                .count()
                == 3
            ),
            timeout=90,
        )
        # the list follows without a key press (the app refreshes it on the worker's news)
        await wait_for(pilot, lambda: _row(app, other.id)["done"] == "3", timeout=10)
        row = _row(app, other.id)
        assert (row["documents"], row["queued"], row["processing"]) == ("3", "0", "0")
        assert _row(app, opened.id)["documents"] == "0"

        # opening the other project gives it the focus's processes (its session restarts)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(str(other.id)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await wait_for(pilot, lambda: (s := sessions.get(other.id)) is not None and s.workers == 2)
        assert app.session is sessions.get(other.id)


async def test_a_deleted_project_stops_being_watched(home: Path) -> None:
    keep = workspace.create_project("keep")
    gone = workspace.create_project("gone")
    app = LoratuiApp(home=home, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        sessions = app.sessions
        await wait_for(pilot, lambda: sessions.get(keep.id) and sessions.get(gone.id), timeout=60)
        workspace.delete_project(gone)  # from the CLI, say
        app.sync_sessions()
        await wait_for(pilot, lambda: sessions.get(gone.id) is None, timeout=30)
        assert sessions.get(keep.id) is not None
        fresh = workspace.create_project("fresh")
        app.sync_sessions()
        await wait_for(pilot, lambda: sessions.get(fresh.id) is not None, timeout=30)


async def test_deleting_a_project_that_is_not_open_stops_its_watcher_first(home: Path) -> None:
    workspace.create_project("keep")
    gone = workspace.create_project("gone")
    app = LoratuiApp(home=home, workers=1)
    async with app.run_test(size=SIZE) as pilot:
        sessions = app.sessions
        await wait_for(pilot, lambda: sessions.get(gone.id) is not None, timeout=60)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: str(gone.id) in table.rows)
        table.move_cursor(row=table.get_row_index(str(gone.id)))
        await pilot.press("delete")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmModal")
        await pilot.press("y")
        await wait_for(pilot, lambda: not folders.project_dir(gone).exists(), timeout=30)
        app.sync_sessions()
        await pilot.pause(0.5)
        assert sessions.get(gone.id) is None
        assert [n for n in sessions.names.values()] == ["keep"]


async def test_saved_settings_restart_the_projects_worker(home: Path) -> None:
    from textual.widgets import Input

    from loratui.tui.screens.settings import SettingsScreen

    project = workspace.create_project("tuned")
    app = LoratuiApp(home=home, project="tuned")  # no --workers: the setting counts
    async with app.run_test(size=SIZE) as pilot:
        sessions = app.sessions
        await wait_for(pilot, lambda: app.session is not None and app.session.worker is not None)
        before = app.session
        await pilot.press("comma")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_for(pilot, lambda: app.screen.stored is not None)
        app.screen.query_one("#s-workers", Input).value = "3"
        await pilot.pause(0.2)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                (s := sessions.get(project.id)) is not None and s is not before and s.workers == 3
            ),
            timeout=30,
        )
