"""Every document of the project in one live table: updated in place, sortable, filterable.

The database is the only source of truth. The screen keeps the rows it last read (``_rows``) and
re-reads only what changed: documents whose row or job was updated since the last read, or those
the worker just reported. Changed cells are patched with keyed ``update_cell`` inside one
``batch_update``; the table is rebuilt only when the filter or the sort changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Static

from loratui.core.projects import workspace
from loratui.core.projects.files import DocRow, doc_count, doc_ids, doc_rows
from loratui.core.store.threads import thread_connection
from loratui.tui.messages import DocumentsChanged, FileTaken, WorkerStatus
from loratui.tui.queue_cells import (
    COLUMNS,
    SORTABLE,
    STATE_FILTERS,
    STATE_STYLE,
    cell_values,
    columns_for,
    render_cell,
)
from loratui.tui.screens.base import ProjectScreen
from loratui.tui.screens.queue_actions import QueueActions
from loratui.tui.widgets.fast_table import FastTable
from loratui.tui.widgets.footer import QuietFooter

POLL_S = 2.0  # re-read rows changed by other processes (CLI, another TUI) this often
OVERLAP_S = 2.0  # re-read a little before the last read so nothing slips between reads
FILL_STEP = 25  # rows added at a time when (re)building the table
FILL_TURN_S = 0.01  # ... for at most about this long per event-loop turn (keeps the UI live)


class QueueScreen(QueueActions, ProjectScreen):
    TITLE = "Files"
    # the table has the focus from the first frame (focusing it in on_mount drew the screen
    # twice: first with the filter box focused, then with the table)
    AUTO_FOCUS = "#queue"
    HELP = (
        "Every document of the project, updated live while the worker runs. Enter opens the "
        "preview. space marks rows; actions work on the marked rows, or on the row under the "
        "cursor when none are marked. t cycles the state filter, / filters by text, s and S "
        "change the sort. Escape clears marks and filters, then goes back to the projects."
    )
    BINDINGS = [
        Binding("o", "preview", "Preview"),
        Binding("space", "mark", "Mark", key_display="space"),
        Binding("p", "pause", "Pause", show=False),
        Binding("r", "retry", "Retry"),
        Binding("R", "retry_failed", "Retry failed", show=False),
        Binding("c", "cancel", "Cancel", show=False),
        Binding("x", "exclude", "Excl/incl", show=False),
        Binding("delete", "delete", "Delete", key_display="del", show=False),
        Binding("t", "state_filter", "State"),
        Binding("slash", "text_filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort", show=False),
        Binding("S", "sort_reverse", "Reverse sort", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, project_id: int, state: str | None = None, code: str | None = None) -> None:
        super().__init__(project_id)
        self.state_filter = state or "all"
        self.code_filter = code
        self.sort_key = "id"
        self.sort_reverse = False
        self._rows: dict[int, DocRow] = {}
        self._cells: dict[int, dict[str, Any]] = {}  # what each shown row displays
        self._marked: set[int] = set()
        self._since: float | None = None
        self._loaded = False
        self._pending_ids: set[int] = set()
        self._status = ""
        self._columns: list[tuple[str, str, int]] = []  # (key, label, width) shown now

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queue-bar"):
            yield Static("", id="queue-status")
            yield Input(placeholder="/ filter by name or error", id="queue-filter")
        table = FastTable(id="queue", cursor_type="row", zebra_stripes=True)
        table.fixed_columns = 2
        yield table
        yield Static("", id="queue-detail")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = workspace.get_project(self.project_id).name
        self._fit_columns(self.app.size.width)
        self.set_interval(POLL_S, self._tick)
        self.load_all()

    def on_resize(self, event: events.Resize) -> None:
        if self._fit_columns(event.size.width) and self._loaded:
            self.rebuild()

    def _fit_columns(self, screen_width: int) -> bool:
        """Set the table's columns for this width (see ``columns_for``); True if changed.
        Two cells stay free for the vertical scrollbar, so no row ever scrolls sideways."""
        columns = columns_for(screen_width - 2)
        if columns == self._columns:
            return False
        self._columns = columns
        table = self.query_one(FastTable)
        table.clear(columns=True)
        self._cells.clear()
        for key, label, width in columns:
            table.add_column(label, key=key, width=width)
        return True

    def _tick(self) -> None:
        if self._loaded and self.is_current:  # kept while hidden: it catches up on resume
            self.poll()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self._loaded:
            self.poll()

    # -- reading ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="queue-read", exit_on_error=False)
    def load_all(self) -> None:
        started = time.time()
        with thread_connection():
            rows = doc_rows(self.project_id)
        self.app.call_from_thread(self._loaded_all, rows, started)

    def _loaded_all(self, rows: list[DocRow], started: float) -> None:
        self._rows = {r.id: r for r in rows}
        self._since = started - OVERLAP_S
        self._loaded = True
        self.rebuild()

    @work(thread=True, exclusive=True, group="queue-read", exit_on_error=False)
    def poll(self, ids: frozenset[int] | None = None) -> None:
        """Re-read what changed since the last read (and ``ids``), and what was deleted."""
        if self._since is None:
            return
        started = time.time()
        with thread_connection():
            changed = doc_rows(self.project_id, since=self._since)
            if ids:
                seen = {r.id for r in changed}
                missing = [i for i in ids if i not in seen]
                if missing:
                    changed += doc_rows(self.project_id, ids=missing)
            deleted: set[int] = set()
            known = len(self._rows) + sum(1 for r in changed if r.id not in self._rows)
            if doc_count(self.project_id) != known:
                deleted = set(self._rows) - doc_ids(self.project_id)
        self.app.call_from_thread(self._apply, changed, deleted, started)

    def on_documents_changed(self, message: DocumentsChanged) -> None:
        if self._loaded:
            self.poll(message.doc_ids)

    def on_file_taken(self, _: FileTaken) -> None:
        if self._loaded:
            self.poll()

    def on_worker_status(self, _: WorkerStatus) -> None:
        self._update_status()

    # -- showing ---------------------------------------------------------------------------
    def _visible(self, row: DocRow, text: str | None = None) -> bool:
        if text is None:
            text = self.query_one("#queue-filter", Input).value.strip()
        return row.matches(self.state_filter, text, self.code_filter)

    def _sorted(self, rows: list[DocRow]) -> list[DocRow]:
        key = next(c[3] for c in COLUMNS if c[0] == self.sort_key)
        return sorted(rows, key=key, reverse=self.sort_reverse)

    @work(exclusive=True, group="queue-fill", exit_on_error=False)
    async def rebuild(self) -> None:
        """Rebuild the table for the current filter and sort (in chunks, keeping the UI live)."""
        table = self.query_one(DataTable)
        current = self.selected_id()
        text = self.query_one("#queue-filter", Input).value.strip()
        shown = self._sorted([r for r in self._rows.values() if self._visible(r, text)])
        table.clear()
        self._cells.clear()
        start = 0
        while start < len(shown):
            turn_ends = time.perf_counter() + FILL_TURN_S
            with self.app.batch_update():
                while start < len(shown):
                    table.add_keyed_rows(
                        self._cells_of(row) for row in shown[start : start + FILL_STEP]
                    )
                    start += FILL_STEP
                    if time.perf_counter() >= turn_ends:
                        break
            await asyncio.sleep(0)
        if current is not None and str(current) in table.rows:
            table.move_cursor(row=table.get_row_index(str(current)))
        self._show_detail(self.selected_id())
        self._update_status()

    def _cells_of(self, row: DocRow) -> tuple[str, list[Any]]:
        """The row's key and rendered cells; remembers the values they show."""
        values = cell_values(row, row.id in self._marked)
        self._cells[row.id] = values
        return str(row.id), [render_cell(k, values[k], w) for k, _, w in self._columns]

    def _add(self, table: FastTable, row: DocRow) -> None:
        table.add_keyed_rows([self._cells_of(row)])

    def _apply(self, changed: list[DocRow], deleted: set[int], started: float) -> None:
        self._since = started - OVERLAP_S
        table = self.query_one(DataTable)
        with self.app.batch_update():
            for doc_id in deleted:
                self._rows.pop(doc_id, None)
                self._marked.discard(doc_id)
                if self._cells.pop(doc_id, None) is not None:
                    table.remove_row(str(doc_id))
            if deleted:  # the line under the table named the row that is gone
                self._show_detail(self.selected_id())
            text = self.query_one("#queue-filter", Input).value.strip()
            updates: list[tuple[str, str, Any]] = []
            for row in changed:
                self._rows[row.id] = row
                self._patch(table, row, updates, text)
            table.update_cells(updates)
        self._update_status()

    def _patch(
        self,
        table: FastTable,
        row: DocRow,
        updates: list[tuple[str, str, Any]],
        text: str | None = None,
    ) -> None:
        """Add, remove or (into ``updates``) re-render the cells of ``row`` that changed."""
        shown = self._cells.get(row.id)
        visible = self._visible(row, text)
        if shown is None:
            if visible:
                self._add(table, row)
            return
        if not visible:
            table.remove_row(str(row.id))
            del self._cells[row.id]
            return
        values = cell_values(row, row.id in self._marked)
        for key, _, width in self._columns:
            if shown.get(key) != values[key]:
                updates.append((str(row.id), key, render_cell(key, values[key], width)))
        self._cells[row.id] = values
        if row.id == self.selected_id():
            self._show_detail(row.id)

    def _update_status(self) -> None:
        table = self.query_one(DataTable)
        parts = [f"{table.row_count:,} of {len(self._rows):,} files"]
        if self.state_filter != "all":
            parts.append(f"state: {self.state_filter}")
        if self.code_filter:
            parts.append(f"code: {self.code_filter}")
        arrow = "↓" if self.sort_reverse else "↑"
        parts.append(f"sort: {self.sort_key} {arrow}")
        if self._marked:
            parts.append(f"{len(self._marked)} marked")
        parts.append(f"worker {self.lapp.worker_state}")
        status = " · ".join(parts)
        if status != self._status:  # unchanged text: no repaint, no layout pass
            self._status = status
            self.query_one("#queue-status", Static).update(status)

    # -- selection -------------------------------------------------------------------------
    def selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def targets(self) -> list[int]:
        """The marked rows, else the row under the cursor."""
        if self._marked:
            return sorted(self._marked)
        current = self.selected_id()
        return [current] if current is not None else []

    @on(DataTable.RowHighlighted, "#queue")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(int(event.row_key.value) if event.row_key.value else None)

    def _show_detail(self, doc_id: int | None) -> None:
        """The lines under the table: the whole name, the state, and the error (code and
        message) or warnings of the row under the cursor, which the table shortens."""
        row = self._rows.get(doc_id) if doc_id is not None else None
        detail = Text(overflow="fold")
        if row is not None:
            detail.append(row.name, style="bold")
            detail.append(f"  {row.shown_state}", style=STATE_STYLE.get(row.shown_state, ""))
            detail.append("  · enter: preview\n", style="dim")
            if row.error_code:
                detail.append(row.error_code, style="bold red")
                detail.append(f": {row.error_message or ''}")
            elif row.warning_codes:
                detail.append("warnings: " + ", ".join(row.warning_codes), style="yellow")
        # a fixed height, as wide as the screen: new text never changes its size
        self.query_one("#queue-detail", Static).update(detail, layout=False)

    def action_mark(self) -> None:
        doc_id = self.selected_id()
        if doc_id is None:
            return
        self._marked.symmetric_difference_update({doc_id})
        table = self.query_one(FastTable)
        updates: list[tuple[str, str, Any]] = []
        self._patch(table, self._rows[doc_id], updates)
        table.update_cells(updates)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._update_status()

    @on(DataTable.RowSelected, "#queue")
    def _open_preview(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.lapp.open_preview(int(event.row_key.value))

    def action_preview(self) -> None:
        doc_id = self.selected_id()
        if doc_id is not None:
            self.lapp.open_preview(doc_id)

    # -- filters and sort ------------------------------------------------------------------
    def action_text_filter(self) -> None:
        self.query_one("#queue-filter", Input).focus()

    @on(Input.Changed, "#queue-filter")
    def _text_changed(self) -> None:
        self.rebuild()

    @on(Input.Submitted, "#queue-filter")
    def _text_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_state_filter(self) -> None:
        i = STATE_FILTERS.index(self.state_filter) if self.state_filter in STATE_FILTERS else 0
        self.state_filter = STATE_FILTERS[(i + 1) % len(STATE_FILTERS)]
        self.rebuild()

    def action_sort(self) -> None:
        i = SORTABLE.index(self.sort_key)
        self.sort_key = SORTABLE[(i + 1) % len(SORTABLE)]
        self.rebuild()

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.rebuild()

    @on(DataTable.HeaderSelected, "#queue")
    def _header_sort(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORTABLE:
            self.sort_reverse = not self.sort_reverse if key == self.sort_key else False
            self.sort_key = key
            self.rebuild()

    def action_back(self) -> None:
        box = self.query_one("#queue-filter", Input)
        if self.focused is box:
            self.query_one(DataTable).focus()
            return
        if self._marked or box.value or self.state_filter != "all" or self.code_filter:
            self._marked.clear()
            box.value = ""
            self.state_filter = "all"
            self.code_filter = None
            self.rebuild()
            return
        self.lapp.action_back()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Retry selected files", "queue the marked or current file again", self.action_retry),
            ("Retry all failed files", "queue every failed file again", self.action_retry_failed),
            ("Cancel selected files", "stop processing them", self.action_cancel),
            ("Exclude/include selected files", "leave them out of exports", self.action_exclude),
            ("Delete selected files", "purge originals, text and rows", self.action_delete),
            ("Pause or resume processing", "the worker of this project", self.action_pause),
            ("Filter by state", "cycle all/queued/…/failed", self.action_state_filter),
            ("Sort by next column", "cycle the sort column", self.action_sort),
        ]
