"""What a screen says when one of its background loads fails.

Screens read the database in thread workers (``exit_on_error=False``: a failed load must
not close the app); without a handler the failure was silent, and a damaged database showed
as an empty projects list. Every screen now tells the user, with the same words as the CLI.
"""

from __future__ import annotations

import sqlite3

import peewee
from textual.worker import Worker, WorkerState

from loratui.core.errors import LoratuiError
from loratui.core.store import db


def error_text(error: BaseException | None, what: str = "") -> str:
    """The message and hint of ``error`` (database failures explained like the CLI does)."""
    if isinstance(error, (peewee.DatabaseError, sqlite3.DatabaseError)):
        error = db.explain(error)
    if isinstance(error, LoratuiError):
        return f"{error.message}\n{error.hint_for('tui')}"
    return f"{what}{error}"


class ReportsWorkerErrors:
    """Mixin for screens: a failed background worker becomes an error notification."""

    WORKER_ERROR_TITLE = "Error"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(  # type: ignore[attr-defined] - mixed into a Screen
                error_text(event.worker.error), title=self.WORKER_ERROR_TITLE, severity="error"
            )
