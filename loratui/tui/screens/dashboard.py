"""A project at a glance: progress, states, throughput and ETA, totals, problems by code,
drop folder, worker state (and the engine of a command on a Ray cluster), the last export
and where the data lives."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from loratui.core.projects import workspace
from loratui.core.projects.overview import Overview, Throughput, overview
from loratui.core.projects.where import where
from loratui.core.store.threads import thread_connection
from loratui.tui.messages import DocumentsChanged, FileTaken, WorkerStatus
from loratui.tui.screens.base import ProjectScreen
from loratui.tui.widgets.footer import QuietFooter

REFRESH_S = 1.0
STATE_ORDER = ("queued", "processing", "done", "failed", "duplicate", "cancelled")
STATE_STYLE = {
    "queued": "cyan",
    "processing": "yellow",
    "done": "green",
    "failed": "red",
    "duplicate": "magenta",
    "cancelled": "dim",
    "excluded": "dim",
}


def human(n: float) -> str:
    for unit in ("", "k", "M", "G"):
        if abs(n) < 1000:
            return f"{n:.0f}{unit}" if unit == "" else f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}T"


def duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class DashboardScreen(ProjectScreen):
    TITLE = "Dashboard"
    HELP = (
        "The open project at a glance. The worker and the drop-folder watcher run while the "
        "project is open. Select a failure or warning code and press enter to see those files. "
        "p pauses or resumes processing."
    )
    BINDINGS = [
        Binding("p", "pause", "Pause"),
        Binding("r", "retry_failed", "Retry failed"),
    ]

    def __init__(self, project_id: int) -> None:
        super().__init__(project_id)
        self._throughput = Throughput()
        self._stats: Overview | None = None
        self._note: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            with Horizontal(classes="bar-row"):
                yield Label("Pages ", classes="bar-label")
                yield ProgressBar(id="pages-bar", show_eta=False, total=None)
                yield Label("", id="pages-text", classes="bar-text")
            with Horizontal(classes="bar-row"):
                yield Label("Files ", classes="bar-label")
                yield ProgressBar(id="files-bar", show_eta=False, total=None)
                yield Label("", id="files-text", classes="bar-text")
            yield Static("", id="status-line")
            yield Static("", id="states-line")
            yield Static("", id="totals-line")
            yield Static("", id="drop-line")
            yield Static("", id="export-line")
            note = Static("", id="note-line")
            note.display = False  # shown when there is a note (the demo's password)
            yield note
            with Vertical(id="problems-box"):
                yield Label("Failures and warnings (enter shows the files)", classes="section")
                yield OptionList(id="problems")
            yield Label("Where the data lives", classes="section")
            yield Static("", id="where")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self._tick)
        self.refresh_stats()
        self.load_where()

    def _tick(self) -> None:
        if self.is_current:  # kept mounted while another section shows: no reads then
            self.refresh_stats()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.refresh_stats()
        if self._stats is not None:  # kept mounted: the sizes may have grown meanwhile
            self.load_where()

    def on_documents_changed(self, _: DocumentsChanged) -> None:
        self.refresh_stats()

    def on_worker_status(self, _: WorkerStatus) -> None:
        self.refresh_stats()

    def on_file_taken(self, _: FileTaken) -> None:
        self.refresh_stats()

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def refresh_stats(self) -> None:
        from loratui.core.projects.demo import password_note

        with thread_connection():
            stats = overview(self.project_id)
            note = password_note(self.project_id)  # gone once the file is unlocked
        self.app.call_from_thread(self._show, stats)
        self.app.call_from_thread(self._show_note, note)

    @work(thread=True, group="dashboard-where", exit_on_error=False)
    def load_where(self) -> None:
        with thread_connection():
            rows = where(workspace.get_project(self.project_id))
        self.app.call_from_thread(self._show_where, rows)

    def _show_note(self, note: str | None) -> None:
        """A note about this project (the demo's password), or nothing."""
        if note == self._note:  # read every refresh; drawn only when it changes
            return
        self._note = note
        line = self.query_one("#note-line", Static)
        line.display = note is not None
        if note:
            line.update(Text(note, style="bold"))

    def _show_where(self, rows: list[dict[str, Any]]) -> None:
        box = self.query_one("#where", Static)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True, max_width=24, overflow="ellipsis")
        grid.add_column(overflow="fold")
        for row in rows:
            label = str(
                row.get("what") or row.get("label") or row.get("name") or row.get("kind") or ""
            )
            path = str(row.get("path") or row.get("location") or "")
            extra = row.get("size_bytes") or row.get("bytes") or row.get("size")
            grid.add_row(label, path + (f"  ({human(extra)}B)" if extra else ""))
        box.update(grid)

    def _show(self, stats: Overview) -> None:
        self._stats = stats
        self.sub_title = stats.project
        progress, states = stats.progress, stats.states
        pages = self.query_one("#pages-bar", ProgressBar)
        pages.update(total=max(progress.pages_total, 1), progress=progress.pages_done)
        self.query_one("#pages-text", Label).update(
            f"{progress.pages_done:,} / {progress.pages_total:,}"
        )
        files = self.query_one("#files-bar", ProgressBar)
        files.update(total=max(progress.files_total, 1), progress=progress.files_finished)
        self.query_one("#files-text", Label).update(
            f"{progress.files_finished:,} / {progress.files_total:,} finished"
        )

        state = self.lapp.worker_state
        if stats.counts["paused"] and state not in ("stopped", "not started"):
            state = "paused"
        status = Text.assemble(("Worker ", "bold"), (state, _worker_style(state)))
        rate = self._throughput.add(self.lapp.clock(), progress.pages_done)
        busy = states.get("queued", 0) + states.get("processing", 0)
        if busy and rate:
            eta = Throughput.eta_s(progress.pages_left(), rate)
            status.append(f"   {rate:.1f} pages/s")
            status.append(f"   ETA {duration(max(eta, 1))}" if eta is not None else "")
            status.append(f"   {busy} to process", style="dim")
        elif busy:
            status.append(f"   {busy} to process", style="dim")
        for run in stats.runs:  # a command on another engine, in this process or not
            status.append(f"   Engine {run.engine} ", style="bold")
            status.append(f"{run.cpus} CPUs on {run.nodes} node(s), {run.command}")
        self.query_one("#status-line", Static).update(status)

        states_line = Text("States ", style="bold")
        states_line.append(f"{stats.counts['documents']:,} files: ")  # as Files and status
        for s in STATE_ORDER:
            states_line.append(f"{s} ", style=STATE_STYLE[s])
            states_line.append(f"{states.get(s, 0)}  ")
        if stats.counts["excluded"]:
            states_line.append(f"excluded {stats.counts['excluded']}", style="dim")
        self.query_one("#states-line", Static).update(states_line)

        self.query_one("#totals-line", Static).update(
            Text.assemble(
                ("Totals ", "bold"),
                f"{stats.counts['pages']:,} pages · {human(stats.counts['chars'])} chars · "
                f"~{human(stats.counts['tokens'])} tokens (done files)",
            )
        )
        mode = str(self.lapp.watcher_status().get("mode", "off"))
        drop = Text.assemble(("Drop folder ", "bold"), (mode, "green" if mode != "off" else "dim"))
        drop.append(f"  {stats.drop_folder}")
        if stats.last_taken:
            drop.append(f"  · last taken {stats.last_taken}", style="dim")
        self.query_one("#drop-line", Static).update(drop)
        export = stats.last_export
        self.query_one("#export-line", Static).update(
            Text.assemble(
                ("Last export ", "bold"),
                f"v{export.number} · {export.records} records · {export.tokens:,} tokens"
                if export
                else "none yet (press e)",
            )
        )
        self._show_problems(stats)

    def _show_problems(self, stats: Overview) -> None:
        options = self.query_one("#problems", OptionList)
        wanted = [(f"failed:{c}", "failed", c, n) for c, n in _by_count(stats.failures)] + [
            (f"warning:{c}", "warning", c, n) for c, n in _by_count(stats.warnings)
        ]
        current = [options.get_option_at_index(i).id for i in range(options.option_count)]
        if current == [w[0] for w in wanted] and all(
            str(options.get_option(w[0]).prompt).endswith(f" {w[3]}") for w in wanted
        ):
            return
        highlighted = options.highlighted
        options.clear_options()
        if not wanted:
            options.add_option(Option(Text("none", style="dim"), id="none", disabled=True))
            return
        for oid, kind, code, n in wanted:
            label = Text.assemble(
                (f"{kind:<8}", "red" if kind == "failed" else "yellow"), f" {code:<20} {n}"
            )
            options.add_option(Option(label, id=oid))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted
        else:
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#problems")
    def _open_code(self, event: OptionList.OptionSelected) -> None:
        if not event.option.id or ":" not in event.option.id:
            return
        kind, code = event.option.id.split(":", 1)
        from loratui.tui.screens.queue import QueueScreen

        state = "failed" if kind == "failed" else None
        self.lapp.show_section(QueueScreen(self.project_id, state=state, code=code))

    def action_pause(self) -> None:
        from loratui.core.jobs import control as queue_control

        project = workspace.get_project(self.project_id)
        if project.paused:
            queue_control.resume(project)
            self.notify("Processing resumed")
        else:
            queue_control.pause(project)
            self.notify("Processing paused: files in progress finish, no new ones start")
        self.refresh_stats()

    def action_retry_failed(self) -> None:
        from loratui.core.jobs import control as queue_control

        n = queue_control.retry(workspace.get_project(self.project_id), None, failed_only=True)
        self.notify(f"{n} failed files queued again" if n else "No failed files to retry")
        self.refresh_stats()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Pause or resume processing", "the worker of this project", self.action_pause),
            ("Retry all failed files", "queue every failed file again", self.action_retry_failed),
        ]


def _by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The most frequent codes first."""
    return sorted(counts.items(), key=lambda item: -item[1])


def _worker_style(state: str) -> str:
    return {
        "running": "bold green",
        "paused": "bold yellow",
        "idle": "cyan",
        "stopping": "yellow",
    }.get(state, "dim")
