"""What every section screen of an open project shares: header, footer, back key, log panel."""

from __future__ import annotations

from typing import cast

from textual.binding import Binding
from textual.screen import Screen

from loratui.tui.shell import Shell
from loratui.tui.worker_errors import ReportsWorkerErrors


class ProjectScreen(ReportsWorkerErrors, Screen[None]):
    """A screen of one project. Escape goes back to the screen opened before it."""

    BINDINGS = [Binding("escape", "app.back", "Back")]

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id

    @property
    def lapp(self) -> Shell:
        return cast(Shell, self.app)

    def on_screen_resume(self) -> None:
        self.lapp.apply_log_panel(self)
