"""Add files: a path input that completes as you type, and a folder tree to mark files in.

Adding goes through ``ingest.add_paths(origin="tui")`` in a thread (it copies the files into the
store); the screen then lists what was queued, skipped or found to be a duplicate.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, cast

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import DataTable, DirectoryTree, Header, Input, Label, Static
from textual.widgets._tree import TreeNode

from loratui.core.projects import workspace
from loratui.core.store.threads import thread_connection
from loratui.tui.shell import Shell
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.worker_errors import ReportsWorkerErrors

STATE_STYLE = {"queued": "green", "duplicate": "magenta", "skipped": "yellow", "failed": "red"}


class PathSuggester(Suggester):
    """Completes the last part of a path from what exists on disk (folders end with /)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, prefix = os.path.split(expanded)
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                full = os.path.join(folder, name)
                completed = value[: len(value) - len(prefix)] + name
                return completed + ("/" if os.path.isdir(full) else "")
        return None


class MarksChanged(Message):
    """The set of marked paths changed."""


class MarkingTree(DirectoryTree):
    """A DirectoryTree where space marks files and folders to add."""

    BINDINGS = [Binding("space", "toggle_mark", "Mark", key_display="space")]

    def __init__(self, path: str | Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.marked: set[Path] = set()

    def filter_paths(self, paths: Any) -> list[Path]:
        return [p for p in paths if not p.name.startswith(".")]

    def action_toggle_mark(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        path = Path(node.data.path)
        self.marked.symmetric_difference_update({path})
        node.refresh()
        self.refresh()
        self.post_message(MarksChanged())
        self.action_cursor_down()

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        if node.data is not None and Path(node.data.path) in self.marked:
            return Text.assemble(("● ", "bold yellow"), label)
        return label


class AddFilesScreen(ReportsWorkerErrors, Screen[None]):
    TITLE = "Add files"
    HELP = (
        "Type a path (→ accepts the completion, enter adds it; folders are added with all "
        "their files), or move through the tree, mark files and folders with space and press "
        "a to add the marked ones. Hidden and temporary files are skipped; files already in "
        "the project are reported as duplicates."
    )
    BINDINGS = [
        Binding("a", "add_marked", "Add marked"),
        Binding("ctrl+g", "go", "Tree to path"),
        Binding("backspace", "root_up", "Parent folder", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, project_id: int, start: str | Path | None = None) -> None:
        super().__init__()
        self.project_id = project_id
        self.start = Path(start) if start else Path.cwd()

    @property
    def lapp(self) -> Shell:
        return cast(Shell, self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="add-path-row"):
            yield Label("Path ", classes="bar-label")
            yield Input(
                placeholder="~/docs/manuals/ (→ completes, enter adds)",
                suggester=PathSuggester(),
                id="add-path",
            )
        with Horizontal(id="add-body"):
            yield MarkingTree(self.start, id="add-tree")
            with Vertical(id="add-results"):
                yield Static("Nothing added yet.", id="add-summary")
                table = DataTable(id="add-table", cursor_type="row", show_cursor=False)
                table.add_column("State", key="state", width=9)
                table.add_column("File", key="file")
                table.add_column("Why", key="why")
                yield table
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.sub_title = workspace.get_project(self.project_id).name
        # typing starts a path: with the tree focused, letters were screen keys (e: Export)
        self.query_one("#add-path", Input).focus()

    @on(Input.Submitted, "#add-path")
    def _add_typed(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            return
        path = Path(value).expanduser()
        if not path.exists():
            self.notify(f"{path} does not exist", severity="error")
            return
        self.add([path])

    def action_add_marked(self) -> None:
        tree = self.query_one(MarkingTree)
        if not tree.marked:
            self.notify("Mark files or folders with space first (or type a path).")
            return
        paths = sorted(tree.marked)
        tree.marked.clear()
        tree.refresh()
        self.add(paths)

    def on_marks_changed(self, _: MarksChanged) -> None:
        n = len(self.query_one(MarkingTree).marked)
        if n:
            self.query_one("#add-summary", Static).update(f"{n} marked · press a to add")

    def action_go(self) -> None:
        value = self.query_one("#add-path", Input).value.strip()
        path = Path(value or "~").expanduser()
        if path.is_file():
            path = path.parent
        if path.is_dir():
            tree = self.query_one(MarkingTree)
            tree.path = path
            tree.focus()

    def action_root_up(self) -> None:
        tree = self.query_one(MarkingTree)
        if self.focused is tree:
            tree.path = Path(tree.path).resolve().parent

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="add", exit_on_error=False)
    def add(self, paths: list[Path]) -> None:
        from loratui.core.ingest import add as ingest

        self.app.call_from_thread(
            self.query_one("#add-summary", Static).update, f"Adding {len(paths)} path(s)…"
        )
        try:
            with thread_connection():
                results = ingest.add_paths(
                    workspace.get_project(self.project_id), [str(p) for p in paths], origin="tui"
                )
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            message = getattr(exc, "message", None) or str(exc)
            self.app.call_from_thread(self.notify, message, title="Add failed", severity="error")
            self.app.call_from_thread(
                self.query_one("#add-summary", Static).update, f"Add failed: {message}"
            )
            return
        self.app.call_from_thread(self._show, results)

    def _show(self, results: list[Any]) -> None:
        from loratui.core.ingest.add_summary import taken_line

        counts = Counter(r.state for r in results)
        summary = Text()
        for state in ("queued", "duplicate", "skipped", "failed"):
            summary.append(f"{counts.get(state, 0)} {state}", style=STATE_STYLE[state])
            summary.append("  ")
        taken = taken_line(results)
        if taken:  # by kind, with the names of rare kinds: a stray LICENSE shows here
            summary.append("\n" + taken)
        self.query_one("#add-summary", Static).update(summary)
        table = self.query_one("#add-table", DataTable)
        with self.app.batch_update():
            table.clear()
            order = {"failed": 0, "skipped": 1, "duplicate": 2, "queued": 3}
            for r in sorted(results, key=lambda r: order.get(r.state, 9))[:2000]:
                why = r.reason or r.error_code or ""
                table.add_row(
                    Text(r.state, style=STATE_STYLE.get(r.state, "")),
                    Text(Path(r.path).name, no_wrap=True, overflow="ellipsis"),
                    Text(why, style="dim"),
                )
        if counts.get("queued") and self.lapp.session is not None:
            self.lapp.session.wake()
        self.notify(
            f"{counts.get('queued', 0)} queued, {counts.get('duplicate', 0)} duplicate, "
            f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed"
            + (f"\n{taken}" if taken else ""),
            title="Files added",
        )
