"""Dashboard and Files are kept mounted once opened (issue 13 item 14: switching Files ->
Dashboard took 0.6-2.2 s under load, each switch rebuilt the screen and re-read every row):
going back is the same screen, caught up with what changed while it was hidden."""

from __future__ import annotations

from pathlib import Path

from loratui.core.projects import workspace
from loratui.core.store.models import Document, now
from loratui.tui.app import LoratuiApp
from loratui.tui.screens.dashboard import DashboardScreen
from loratui.tui.screens.queue import QueueScreen
from tests.tui.conftest import screen_text, wait_for
from tests.tui.screen_host import make_document


async def test_sections_are_kept_and_catch_up(home: Path) -> None:
    project = workspace.create_project("kept")
    other = workspace.create_project("other")
    doc = make_document(project, "a.pdf", ["Page one."])
    make_document(other, "b.pdf", ["Page one."])
    app = LoratuiApp(home=home, start_worker=False, project="kept")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        dashboard = app.screen
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen))
        files = app.screen
        await wait_for(pilot, lambda: "a.pdf" in screen_text(app))
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen is dashboard)
        # changed by another process while Files is hidden
        Document.update(state="failed", error_code="corrupt", updated_at=now()).where(
            Document.id == doc.id
        ).execute()
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen is files)
        await wait_for(pilot, lambda: "corrupt" in screen_text(app))
        # another project: its own screens; the first project's are let go
        app.action_projects()
        await pilot.pause(0.2)
        app.open_project(other.id)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert app.screen is not dashboard
        await pilot.press("f")
        await wait_for(pilot, lambda: "b.pdf" in screen_text(app))
        assert app.screen is not files and "a.pdf" not in screen_text(app)
        assert not files.is_attached
