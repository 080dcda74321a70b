"""The project's activity log, live: a bottom panel for every project screen.

Thousands of events must stay fast and a burst of them must not freeze the screen
(textual#2432), so the view is a line-API ``ScrollView`` with an LRU cache of rendered
rows (after Toolong), lines are capped, and one long-lived thread worker polls for new
events by id every half second and posts them as one batch per poll.
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects import documents, workspace
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets import fmt
from loratui.tui.widgets.log_view import MAX_LINES, LogLine, LogView, to_line

POLL_S = 0.5
POLL_RETRY_S = 2.0
LEVEL_CYCLE: tuple[str | None, ...] = (None, "info", "warning", "error")


class LogPanel(Vertical):
    """The live log of one project: ``LogPanel(project_id)``.

    Keys: ``l`` cycles the level filter, ``d`` filters to the highlighted event's
    document (again: all documents), ``enter`` opens that document's preview.
    """

    DEFAULT_CSS = """
    LogPanel { height: 10; border-top: solid $primary; }
    LogPanel > #log-status { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    LogPanel > LogView { height: 1fr; }
    """

    BINDINGS = [
        Binding("l", "cycle_level", "Level"),
        Binding("d", "toggle_document", "This doc"),
    ]

    class Reloaded(Message):
        def __init__(self, gen: int, lines: list[LogLine], document_label: str | None) -> None:
            super().__init__()
            self.gen = gen
            self.lines = lines
            self.document_label = document_label

    class Appended(Message):
        def __init__(self, gen: int, lines: list[LogLine]) -> None:
            super().__init__()
            self.gen = gen
            self.lines = lines

    class PollFailed(Message):
        """Reading new events failed (``error``) or works again (``None``)."""

        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    class FilterChanged(Message):
        """Posted when the level or document filter changes (LogScreen mirrors it)."""

        def __init__(self, level: str | None, document_id: int | None) -> None:
            super().__init__()
            self.level = level
            self.document_id = document_id

    def __init__(
        self,
        project_id: int,
        *,
        level: str | None = None,
        document_id: int | None = None,
        max_lines: int = MAX_LINES,
        poll_s: float = POLL_S,
        time_format=fmt.clock,  # noqa: ANN001 - any callable float -> str
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.project_id = project_id
        self.level = level
        self.document_id = document_id
        self.document_label: str | None = None
        self.max_lines = max_lines
        self.poll_s = poll_s
        self.time_format = time_format
        self._gen = 0
        self._filter: tuple[int, str | None, int | None] = (0, level, document_id)
        self._wake = threading.Event()
        self.loaded = False
        self.poll_error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Log · loading…", id="log-status")
        yield LogView(max_lines=self.max_lines, time_format=self.time_format)

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        self.poll()

    def on_unmount(self) -> None:
        self._wake.set()

    # -- filters -------------------------------------------------------------

    def set_filter(self, level: str | None = None, document_id: int | None = None) -> None:
        """Show events of ``level`` and above (None: all) for one document (None: all)."""
        self.level = level
        self.document_id = document_id
        self._gen += 1
        self._filter = (self._gen, level, document_id)
        self.loaded = False
        self._wake.set()
        self._update_status()
        self.post_message(self.FilterChanged(level, document_id))

    def action_cycle_level(self) -> None:
        i = LEVEL_CYCLE.index(self.level) if self.level in LEVEL_CYCLE else 0
        self.set_filter(LEVEL_CYCLE[(i + 1) % len(LEVEL_CYCLE)], self.document_id)

    def action_toggle_document(self) -> None:
        if self.document_id is not None:
            self.set_filter(self.level, None)
            return
        line = self.view.current
        if line is None or line.document_id is None:
            self.notify("the highlighted event is not about a document", severity="warning")
            return
        self.set_filter(self.level, line.document_id)

    # -- polling -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="log-poll", exit_on_error=False)
    def poll(self) -> None:
        worker = get_current_worker()
        seen_gen = -1
        last_id = 0
        failing = False
        with thread_connection():
            while not worker.is_cancelled:
                gen, level, document_id = self._filter
                try:
                    if gen != seen_gen:
                        last_id = self._reload(gen, level, document_id)
                        seen_gen = gen
                    else:
                        last_id = self._append_new(gen, level, document_id, last_id)
                except Exception as exc:  # noqa: BLE001 - keep following; say so once
                    if not failing:
                        self.post_message(self.PollFailed(_error_text(exc)))
                    failing = True
                    self._wake.wait(POLL_RETRY_S)
                    self._wake.clear()
                    continue
                if failing:
                    failing = False
                    self.post_message(self.PollFailed(None))
                self._wake.wait(self.poll_s)
                self._wake.clear()

    def _reload(self, gen: int, level: str | None, document_id: int | None) -> int:
        """Post the newest ``max_lines`` matching events; return the id to follow from."""
        rows = audit.events(
            self.project_id, level=level, document_id=document_id, limit=self.max_lines
        )
        # follow from the newest event, matching or not, so polls stay cheap
        newest = rows[-1:] or audit.events(self.project_id, limit=1)
        label = _document_label(self.project_id, document_id)
        self.post_message(self.Reloaded(gen, [to_line(r) for r in rows], label))
        return newest[-1].id if newest else 0

    def _append_new(
        self, gen: int, level: str | None, document_id: int | None, last_id: int
    ) -> int:
        """Post the matching events after ``last_id`` as one batch; return the new last id."""
        rows = audit.events(
            self.project_id,
            level=level,
            document_id=document_id,
            since_id=last_id,
            limit=self.max_lines,
        )
        if not rows:
            return last_id
        self.post_message(self.Appended(gen, [to_line(r) for r in rows]))
        return rows[-1].id

    @on(PollFailed)
    def _on_poll_failed(self, message: PollFailed) -> None:
        message.stop()
        self.poll_error = message.error
        self._update_status()
        if message.error:
            self.notify(f"the log cannot be read: {message.error}", title="Log", severity="error")

    @on(Reloaded)
    def _on_reloaded(self, message: Reloaded) -> None:
        message.stop()
        if message.gen != self._gen:
            return
        self.document_label = message.document_label
        self.view.replace(message.lines)
        self.loaded = True
        self._update_status()

    @on(Appended)
    def _on_appended(self, message: Appended) -> None:
        message.stop()
        if message.gen != self._gen:
            return
        self.view.append(message.lines)
        self._update_status()

    @on(LogView.Selected)
    def _on_selected(self, message: LogView.Selected) -> None:
        message.stop()
        if message.line.document_id is None:
            self.notify("this event is not about a document", severity="warning")
            return
        from loratui.tui.screens.preview import PreviewScreen

        self.app.push_screen(PreviewScreen(self.project_id, message.line.document_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = error.message if isinstance(error, LoratuiError) else str(error)
            self.notify(f"the log stopped updating: {text}", title="Log", severity="error")

    def _update_status(self) -> None:
        parts = ["Log", f"level ≥ {self.level}" if self.level else "all levels"]
        if self.document_id is not None:
            parts.append(f"document {self.document_label or '#' + str(self.document_id)}")
        else:
            parts.append("all documents")
        if self.loaded:
            parts.append(f"{fmt.count(len(self.view.lines))} events")
        else:
            parts.append("loading…")
        if self.poll_error:
            parts.append("not updating (see the notification)")
        self.query_one("#log-status", Static).update(" · ".join(parts))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, LoratuiError):
        return f"{exc.message} ({exc.hint_for('tui')})"
    return str(exc) or type(exc).__name__


def _document_label(project_id: int, document_id: int | None) -> str | None:
    if document_id is None:
        return None
    try:
        doc = documents.get_document(workspace.get_project(project_id), document_id)
    except LoratuiError:
        return f"#{document_id} (deleted)"
    return f"#{doc.id} {doc.name}"
