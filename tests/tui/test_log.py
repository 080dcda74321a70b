"""LogPanel and LogScreen: live events, level and document filters, details, open a document."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from loratui.core import audit
from loratui.core.projects import workspace
from loratui.core.store.db import write_txn
from loratui.tui.screens.log import LogScreen
from loratui.tui.screens.preview import PreviewScreen
from loratui.tui.widgets.log_panel import LogPanel
from loratui.tui.widgets.log_view import LogView
from tests.tui.conftest import screen_text
from tests.tui.screen_host import ScreenHost, make_document, wait_for


def _lines(app) -> list[str]:  # noqa: ANN001
    return app.screen.query_one(LogView).plain_lines()


async def test_filter_the_log_and_open_a_document(home: Path) -> None:
    project = workspace.create_project("logs")
    good = make_document(project, "good.pdf", ["hello"])
    bad = make_document(project, "bad.pdf", [], state="failed", error_code="corrupt")
    audit.log_event(project, "document.added", "good.pdf added", document=good)
    audit.log_event(project, "document.added", "bad.pdf added", document=bad)
    audit.log_event(
        project,
        "task.failed",
        "bad.pdf failed: the file is damaged",
        level="error",
        document=bad,
        data={"code": "corrupt", "traceback": "Traceback (most recent call last):\n boom"},
    )
    audit.log_event(
        project, "task.warning", "good.pdf has little text", level="warning", document=good
    )

    app = ScreenHost(lambda: LogScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.screen.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.loaded and len(_lines(app)) == 5)
        assert "project.created" in _lines(app)[0]
        assert "bad.pdf failed" in _lines(app)[3]
        # the cursor follows the tail; the detail pane shows the newest event
        detail = lambda: str(app.screen.query_one("#ls-detail", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "little text" in detail())

        # level filter from the keyboard: all -> info -> warning
        await pilot.press("l", "l")
        await wait_for(pilot, lambda: panel.loaded and len(_lines(app)) == 2)
        assert panel.level == "warning"
        assert any("ERROR task.failed" in line for line in _lines(app))
        status = str(app.screen.query_one("#log-status", Static).render())
        assert "level ≥ warning" in status and "2 events" in status

        # details of the error event include its traceback
        await pilot.press("up")
        await wait_for(pilot, lambda: "Traceback (most recent call last)" in detail())
        assert '"code": "corrupt"' in detail()

        # document filter by name, typed into the filter field
        await pilot.press("l", "l")  # -> error -> all levels
        await wait_for(pilot, lambda: panel.loaded and panel.level is None)
        await pilot.press("slash")
        await pilot.press(*"good.pdf", "enter")
        await wait_for(pilot, lambda: panel.loaded and panel.document_id == good.id)
        assert len(_lines(app)) == 2
        assert all("good.pdf" in line for line in _lines(app))
        assert f"#{good.id} good.pdf" in str(app.screen.query_one("#log-status", Static).render())

        # a new event for that document appears live; one for another does not
        audit.log_event(project, "task.done", "good.pdf done", document=good)
        audit.log_event(project, "task.done", "bad.pdf retried", document=bad)
        await wait_for(pilot, lambda: any("good.pdf done" in x for x in _lines(app)))
        await pilot.pause(0.7)
        assert not any("bad.pdf retried" in x for x in _lines(app))

        # `d` clears the document filter; enter opens the highlighted event's document
        await pilot.press("d")
        await wait_for(pilot, lambda: panel.loaded and panel.document_id is None)
        assert app.screen.query_one("#ls-doc", Input).value == ""
        assert "bad.pdf retried" in _lines(app)[-1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert app.screen.document_id == bad.id


async def test_thousands_of_events_stay_capped_and_live(home: Path) -> None:
    project = workspace.create_project("busy")
    with write_txn():
        for i in range(3000):
            audit.log_event(project, "task.progress", f"event {i}")

    app = ScreenHost(lambda: _PanelScreen(project.id))
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.screen.query_one(LogPanel)
        await wait_for(pilot, lambda: panel.loaded)
        lines = _lines(app)
        assert len(lines) == 1000  # the cap
        assert lines[-1].endswith("event 2999")
        with write_txn():
            for i in range(3000, 3500):
                audit.log_event(project, "task.progress", f"event {i}")
        await wait_for(pilot, lambda: _lines(app)[-1].endswith("event 3499"))
        assert len(_lines(app)) == 1000
        assert _lines(app)[0].endswith("event 2500")
        # the visible rows are the tail (following)
        view = app.screen.query_one(LogView)
        assert view.cursor == len(view.lines) - 1
        await wait_for(pilot, lambda: "event 3499" in screen_text(app))
        assert "event 2500" not in screen_text(app)
        await pilot.press("home")
        assert view.cursor == 0 and not view.follow
        await wait_for(pilot, lambda: "event 2500" in screen_text(app))
        # new events while reading older ones do not move the view
        audit.log_event(project, "task.progress", "event 3500")
        await wait_for(pilot, lambda: view.lines[-1].message == "event 3500")
        assert view.cursor == 0 and "event 2501" in screen_text(app)


from textual.screen import Screen  # noqa: E402


class _PanelScreen(Screen):
    """A project screen with the log panel at the bottom, as the app shows it."""

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id

    def compose(self):  # noqa: ANN201
        yield Static("a project screen", id="body")
        yield LogPanel(self.project_id, max_lines=1000)

    def on_mount(self) -> None:
        self.query_one(LogView).focus()
