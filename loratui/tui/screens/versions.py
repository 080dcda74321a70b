"""The dataset versions of a project: counts, files of a version, diff, the path to copy.

Versions are immutable folders; this screen only reads them. The table lists each
version; the lower pane shows one of its files (manifest, dataset card, trainer
snippets) or the diff of two versions from the core's ``diff_versions``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from loratui.core.projects import workspace
from loratui.core.store.models import DatasetVersion
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets import fmt
from loratui.tui.widgets.fast_table import FastTable
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.text_view import TextView
from loratui.tui.worker_errors import error_text

VIEW_FILES = {
    "manifest": "manifest.json",
    "card": "README.md",
    "axolotl": "axolotl.yaml",
    "info": "dataset_info.json",
}
MAX_VIEW_BYTES = 2_000_000


def list_versions(project_id: int) -> tuple[str, list[DatasetVersion]]:
    """The project's name and its versions, newest first."""
    from loratui.core.export import versions

    project = workspace.get_project(project_id)
    return project.name, list(reversed(versions.list_versions(project)))


def read_version_file(path: str, name: str) -> str:
    """A file of a version folder as text (the head of it when very large)."""
    p = Path(path) / name
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_VIEW_BYTES + 1)
    except FileNotFoundError:
        return f"{name} is not in this version ({p})"
    except OSError as exc:
        return f"cannot read {p}: {exc.strerror}"
    text = data[:MAX_VIEW_BYTES].decode("utf-8", errors="replace")
    if name.endswith(".json"):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    if len(data) > MAX_VIEW_BYTES:
        text += f"\n… (only the first {MAX_VIEW_BYTES:,} bytes are shown)"
    return text


def format_diff(diff: Any, indent: int = 0) -> str:
    """The core's diff dict as indented text: scalars inline, lists counted and listed."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(diff, dict):
        for key, value in diff.items():
            if isinstance(value, dict):
                lines.append(f"{pad}{key}:" if value else f"{pad}{key}: (none)")
                if value:
                    lines.append(format_diff(value, indent + 1))
            elif isinstance(value, list):
                if len(value) == 2 and not any(isinstance(v, dict | list) for v in value):
                    lines.append(f"{pad}{key}: {value[0]!r} → {value[1]!r}")
                    continue
                lines.append(f"{pad}{key}: {len(value)}")
                for item in value[:50]:
                    shown = (
                        json.dumps(item, ensure_ascii=False) if not isinstance(item, str) else item
                    )
                    lines.append(f"{pad}  - {shown}")
                if len(value) > 50:
                    lines.append(f"{pad}  … {len(value) - 50} more")
            else:
                lines.append(f"{pad}{key}: {value}")
    else:
        lines.append(f"{pad}{diff}")
    return "\n".join(lines)


def diff_versions(project_id: int, a: int, b: int) -> str:
    from loratui.core.export import diff

    result = diff.diff_versions(workspace.get_project(project_id), a, b)
    return format_diff(result)


NUMBER_COLUMNS = (("train", "train", 7), ("val", "val", 6), ("tokens", "tokens", 9))
NUMBER_COLUMNS += (("size", "size", 9),)


class VersionsScreen(Screen):
    """``VersionsScreen(project_id)``: the versions table and what is in each version."""

    DEFAULT_CSS = """
    VersionsScreen #vs-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    VersionsScreen DataTable { height: auto; max-height: 9; }
    VersionsScreen #vs-path { height: auto; padding: 0 1; background: $boost; }
    VersionsScreen #vs-view-bar { height: 1; padding: 0 1; }
    VersionsScreen #vs-view-title { width: 1fr; color: $accent; }
    VersionsScreen #vs-keys { width: auto; color: $text-muted; }
    VersionsScreen #vs-view { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("m", "show('manifest')", "Manifest", show=False),
        Binding("c", "show('card')", "Dataset card", show=False),
        Binding("a", "show('axolotl')", "axolotl.yaml", show=False),
        Binding("i", "show('info')", "dataset_info.json", show=False),
        Binding("space", "mark", "Mark"),
        Binding("D", "diff", "Diff", key_display="D"),
        Binding("y", "copy_path", "Copy path"),
        Binding("r", "reload", "Reload", show=False),
        Binding("tab", "focus_next_pane", "Pane", show=False),
    ]

    class Loaded(Message):
        def __init__(self, project_name: str, versions: list[DatasetVersion]) -> None:
            super().__init__()
            self.project_name = project_name
            self.versions = versions

    class Shown(Message):
        def __init__(self, title: str, text: str) -> None:
            super().__init__()
            self.title = title
            self.text = text

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id
        self.versions: dict[int, DatasetVersion] = {}
        self.marked: int | None = None
        self.showing = "manifest"

    def compose(self) -> ComposeResult:
        yield Static("Versions", id="vs-title")
        table = FastTable(cursor_type="row", zebra_stripes=True)
        # numbers right-aligned under right-aligned labels, fixed widths: the header and
        # the rows line up however many digits a version has
        table.add_column("", key="mark", width=1)
        table.add_column("ver", key="ver", width=4)
        for key, label, width in NUMBER_COLUMNS:
            table.add_column(Text(label, justify="right"), key=key, width=width)
        table.add_column("created (UTC)", key="created", width=19)
        table.add_column("format", key="format")
        yield table
        yield Static("", id="vs-path")
        with Horizontal(id="vs-view-bar"):
            yield Static("", id="vs-view-title")
            yield Static("m manifest · c card · a axolotl · i dataset_info", id="vs-keys")
        yield TextView(id="vs-view")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    @property
    def current(self) -> DatasetVersion | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.versions.get(int(key.value)) if key.value is not None else None

    # -- loading -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="versions-load", exit_on_error=False)
    def _load(self) -> None:
        with thread_connection():
            name, rows = list_versions(self.project_id)
        self.post_message(self.Loaded(name, rows))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        self.query_one("#vs-title", Static).update(f"Versions · {message.project_name}")
        table = self.query_one(DataTable)
        previous = self.current.number if self.current else None
        table.clear()
        self.versions = {v.number: v for v in message.versions}
        for v in message.versions:
            table.add_row(
                "•" if v.number == self.marked else "",
                f"v{v.number}",
                *(
                    Text(value, justify="right")
                    for value in (
                        fmt.count(v.records_train),
                        fmt.count(v.records_validation),
                        fmt.count(v.tokens),
                        fmt.human_bytes(v.bytes),
                    )
                ),
                fmt.when(v.created_at),
                str((v.config or {}).get("format", "")),
                key=str(v.number),
            )
        if not message.versions:
            self.query_one("#vs-path", Static).update(
                "no versions yet: run an export from the Export screen"
            )
            self.query_one(TextView).set_text("")
            return
        if previous in self.versions:
            table.move_cursor(row=table.get_row_index(str(previous)))
        self._version_changed()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._version_changed()

    def _version_changed(self) -> None:
        v = self.current
        if v is None:
            return
        dropped = ", ".join(f"{k} {fmt.count(n)}" for k, n in sorted((v.dropped or {}).items()))
        self.query_one("#vs-path", Static).update(
            f"v{v.number} · {escape(str(v.path))}\n"
            f"{fmt.count(len(v.documents or []))} documents · "
            f"dropped: {escape(dropped) if dropped else 'none'}"
        )
        self.action_show(self.showing)

    # -- viewing -------------------------------------------------------------

    def action_show(self, what: str) -> None:
        v = self.current
        if v is None:
            return
        self.showing = what
        self._read(v.number, v.path, VIEW_FILES[what])

    @work(thread=True, exclusive=True, group="versions-view", exit_on_error=False)
    def _read(self, number: int, path: str, name: str) -> None:
        self.post_message(self.Shown(f"v{number} · {name}", read_version_file(path, name)))

    @on(Shown)
    def _on_shown(self, message: Shown) -> None:
        self.query_one("#vs-view-title", Static).update(escape(message.title))
        self.query_one(TextView).set_text(message.text)

    def action_mark(self) -> None:
        v = self.current
        if v is None:
            return
        table = self.query_one(DataTable)
        if self.marked is not None and str(self.marked) in table.rows:
            table.update_cell(str(self.marked), "mark", "")
        self.marked = None if self.marked == v.number else v.number
        if self.marked is not None:
            table.update_cell(str(self.marked), "mark", "•")
            self.notify(f"v{v.number} marked; highlight another version and press D to diff")

    def action_diff(self) -> None:
        v = self.current
        if v is None:
            return
        if self.marked is not None and self.marked != v.number:
            a, b = sorted((self.marked, v.number))
        else:
            older = [n for n in self.versions if n < v.number]
            if not older:
                self.notify("mark another version with space to diff against", severity="warning")
                return
            a, b = max(older), v.number
        self.showing = "manifest"
        self.query_one("#vs-view-title", Static).update(f"diff v{a} → v{b} · computing…")
        self._diff(a, b)

    @work(thread=True, exclusive=True, group="versions-view", exit_on_error=False)
    def _diff(self, a: int, b: int) -> None:
        with thread_connection():
            text = diff_versions(self.project_id, a, b)
        self.post_message(self.Shown(f"diff v{a} → v{b}", text))

    def action_copy_path(self) -> None:
        v = self.current
        if v is None:
            return
        self.app.copy_to_clipboard(str(v.path))
        self.notify(f"copied {v.path}", title="Versions")

    def action_reload(self) -> None:
        self._load()

    def action_focus_next_pane(self) -> None:
        table = self.query_one(DataTable)
        view = self.query_one(TextView)
        (view if table.has_focus else table).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(error_text(event.worker.error), title="Versions", severity="error")
