"""The project's activity log as a full screen: filters, the live list, the event's details.

The list is the same ``LogPanel`` the project screens show at the bottom; this screen
adds visible filter fields (level, document by id or name) and a detail pane with the
highlighted event's full message and data (tracebacks included).
"""

from __future__ import annotations

import json

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects import documents, workspace
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets import fmt
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.log_panel import LogPanel
from loratui.tui.widgets.log_view import LogView
from loratui.tui.worker_errors import ReportsWorkerErrors

LEVEL_OPTIONS = [
    ("all levels", "all"),
    ("debug and up", "debug"),
    ("info and up", "info"),
    ("warnings and errors", "warning"),
    ("errors only", "error"),
]


def event_details(project_id: int, event_id: int) -> str:
    """The full text of one event: when, who, what, and its data as JSON."""
    rows = [e for e in audit.events(project_id, since_id=event_id - 1, limit=1) if e.id == event_id]
    if not rows:
        return f"event {event_id} is gone"
    ev = rows[0]
    head = (
        f"#{ev.id} {fmt.when(ev.time)} UTC · {ev.level} · {ev.kind} · "
        f"by {ev.actor or '?'} via {ev.origin or '?'}"
    )
    if ev.document_id is not None:
        head += f" · document #{ev.document_id}"
    lines = [head, ev.message or ""]
    data = dict(ev.data or {})
    tb = data.pop("traceback", None)
    if data:
        lines.append(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True, default=str))
    if tb:
        lines.append(str(tb))
    return "\n".join(lines)


def resolve_document(project_id: int, ref: str) -> tuple[int, str]:
    """A document of the project by id or name -> (id, label)."""
    doc = documents.get_document(workspace.get_project(project_id), ref.strip())
    return doc.id, f"#{doc.id} {doc.name}"


class LogScreen(ReportsWorkerErrors, Screen):
    """``LogScreen(project_id)``: the whole log, filterable, with event details."""

    DEFAULT_CSS = """
    LogScreen #ls-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    LogScreen #ls-filters { height: 1; padding: 0 1; }
    LogScreen #ls-filters Label { padding: 0 1 0 0; }
    LogScreen #ls-level { width: 26; margin-right: 2; }
    LogScreen #ls-level > SelectCurrent { border: none; height: 1; padding: 0 1; }
    LogScreen #ls-level:focus > SelectCurrent { background: $accent 30%; }
    LogScreen #ls-doc { width: 1fr; height: 1; border: none; padding: 0 1; }
    LogScreen #ls-doc:focus { background: $accent 30%; }
    LogScreen LogPanel { height: 1fr; border-top: none; }
    LogScreen #ls-detail {
        height: 7; border-top: solid $primary; padding: 0 1; overflow-y: auto;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_document", "Doc filter", key_display="/"),
        Binding("ctrl+l", "focus_log", "Log", show=False),
    ]

    class DetailLoaded(Message):
        def __init__(self, event_id: int, text: str) -> None:
            super().__init__()
            self.event_id = event_id
            self.text = text

    class DocumentResolved(Message):
        def __init__(self, document_id: int | None, error: str | None = None) -> None:
            super().__init__()
            self.document_id = document_id
            self.error = error

    def __init__(
        self,
        project_id: int,
        *,
        level: str | None = None,
        document_id: int | None = None,
        time_format=fmt.clock,  # noqa: ANN001 - any callable float -> str
    ) -> None:
        super().__init__()
        self.project_id = project_id
        self.initial_level = level
        self.initial_document = document_id
        self.time_format = time_format
        self._detail_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("Activity log", id="ls-title")
        with Horizontal(id="ls-filters"):
            yield Label("Level")
            yield Select(
                LEVEL_OPTIONS,
                value=self.initial_level or "all",
                allow_blank=False,
                id="ls-level",
            )
            yield Label("Document")
            yield Input(
                value="" if self.initial_document is None else str(self.initial_document),
                placeholder="id or file name; enter applies, empty = all",
                id="ls-doc",
            )
        yield LogPanel(
            self.project_id,
            level=self.initial_level,
            document_id=self.initial_document,
            time_format=self.time_format,
        )
        yield Static("", id="ls-detail")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one(LogView).focus()
        self._load_title()

    @property
    def panel(self) -> LogPanel:
        return self.query_one(LogPanel)

    @work(thread=True, exclusive=True, group="log-title", exit_on_error=False)
    def _load_title(self) -> None:
        with thread_connection():
            name = workspace.get_project(self.project_id).name
        self.app.call_from_thread(
            self.query_one("#ls-title", Static).update, f"Activity log · {name}"
        )

    # -- filters -------------------------------------------------------------

    @on(Select.Changed, "#ls-level")
    def _level_changed(self, event: Select.Changed) -> None:
        level = None if event.value in ("all", Select.NULL) else str(event.value)
        if level != self.panel.level:
            self.panel.set_filter(level, self.panel.document_id)

    @on(Input.Submitted, "#ls-doc")
    def _document_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        ref = event.value.strip()
        if not ref:
            self.panel.set_filter(self.panel.level, None)
            self.query_one(LogView).focus()
            return
        self._resolve_document(ref)

    @work(thread=True, exclusive=True, group="log-doc", exit_on_error=False)
    def _resolve_document(self, ref: str) -> None:
        try:
            with thread_connection():
                document_id, _label = resolve_document(self.project_id, ref)
        except LoratuiError as exc:
            self.post_message(self.DocumentResolved(None, exc.message))
            return
        self.post_message(self.DocumentResolved(document_id))

    @on(DocumentResolved)
    def _on_document(self, message: DocumentResolved) -> None:
        if message.error:
            self.notify(message.error, title="Log filter", severity="warning")
            return
        self.panel.set_filter(self.panel.level, message.document_id)
        self.query_one(LogView).focus()

    @on(LogPanel.FilterChanged)
    def _mirror_filter(self, message: LogPanel.FilterChanged) -> None:
        select = self.query_one("#ls-level", Select)
        want = message.level or "all"
        if select.value != want:
            with select.prevent(Select.Changed):
                select.value = want
        doc_input = self.query_one("#ls-doc", Input)
        text = "" if message.document_id is None else str(message.document_id)
        if doc_input.value != text:
            with doc_input.prevent(Input.Changed):
                doc_input.value = text

    # -- details -------------------------------------------------------------

    @on(LogView.Highlighted)
    def _highlighted(self, message: LogView.Highlighted) -> None:
        if message.line is None:
            self._detail_id = None
            self.query_one("#ls-detail", Static).update("")
            return
        if message.line.id != self._detail_id:
            self._detail_id = message.line.id
            self._load_detail(message.line.id)

    @work(thread=True, exclusive=True, group="log-detail", exit_on_error=False)
    def _load_detail(self, event_id: int) -> None:
        with thread_connection():
            text = event_details(self.project_id, event_id)
        self.post_message(self.DetailLoaded(event_id, text))

    @on(DetailLoaded)
    def _on_detail(self, message: DetailLoaded) -> None:
        if message.event_id == self._detail_id:
            self.query_one("#ls-detail", Static).update(escape(message.text))

    # -- actions -------------------------------------------------------------

    def action_back(self) -> None:
        if not isinstance(self.focused, LogView):
            self.query_one(LogView).focus()
            return
        self.app.pop_screen()

    def action_focus_document(self) -> None:
        self.query_one("#ls-doc", Input).focus()

    def action_focus_level(self) -> None:
        self.query_one("#ls-level", Select).focus()

    def action_focus_log(self) -> None:
        self.query_one(LogView).focus()
