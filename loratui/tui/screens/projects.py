"""The start screen: every project with its documents (queued, being processed, done,
failed: live, as every project is processed while the app runs), drop folder and last export.

New, rename and delete go through loratui.core.projects.workspace; the dialogs validate as you
type with the same rules the core applies, so what the dialog accepts the core accepts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Input, Label, Static

from loratui.core.errors import LoratuiError
from loratui.core.projects import overview, workspace
from loratui.core.store import folders
from loratui.core.store.models import Project
from loratui.core.store.threads import thread_connection
from loratui.tui.messages import ProjectsChanged
from loratui.tui.shell import Shell
from loratui.tui.widgets.confirm import ConfirmModal
from loratui.tui.widgets.fast_table import FastTable
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.worker_errors import ReportsWorkerErrors

RELOAD_S = 5.0

COLUMNS = (
    ("name", "Project"),
    ("documents", "Docs"),
    ("queued", "Queued"),
    ("processing", "Working"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("drop", "Drop folder"),
    ("export", "Last export"),
)


def name_problem(name: str, exclude_id: int | None = None) -> str | None:
    """What is wrong with a project name (the core's rules), or None if it is fine."""
    try:
        name = workspace.validate_name(name)
    except LoratuiError as exc:
        return exc.message if not exc.hint else f"{exc.message}: {exc.hint}"
    if workspace.name_taken(name, exclude_id):
        return f"a project named {name!r} already exists"
    return None


def drop_problem(text: str) -> str | None:
    """What is wrong with a drop-folder path, or None (empty means the default inbox)."""
    if not text.strip():
        return None
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        return "give an absolute path (or ~/...)"
    if path.exists() and not path.is_dir():
        return "that path is a file, not a folder"
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return "a parent of that path is not a folder"
    return None


class ProjectDialog(ModalScreen[dict[str, str] | None]):
    """New project (name + optional drop folder) or rename (name only), validated inline."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, project: Project | None = None) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        renaming = self.project is not None
        with Vertical(classes="dialog") as box:
            box.border_title = "Rename project" if renaming else "New project"
            yield Label("Name")
            yield Input(
                value=self.project.name if renaming else "",
                placeholder="e.g. support-manuals",
                id="name",
            )
            yield Static("", id="name-error", classes="field-error")
            if not renaming:
                yield Label("Drop folder (optional)")
                yield Input(placeholder="default: the project's inbox folder", id="drop")
                yield Static(
                    "Files copied into it (scp, rsync) are added automatically.",
                    id="drop-error",
                    classes="field-hint",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rename" if renaming else "Create", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def _problems(self) -> dict[str, str | None]:
        name = self.query_one("#name", Input).value
        problems = {"name": name_problem(name, self.project.id if self.project else None)}
        if self.project is None:
            problems["drop"] = drop_problem(self.query_one("#drop", Input).value)
        return problems

    @on(Input.Changed)
    def _validate(self, submitted: bool = False) -> None:
        """Show the problems; an empty name's only once the user tries to go on with it
        (enter on an empty name did nothing, with no word why)."""
        problems = self._problems()
        name_err = self.query_one("#name-error", Static)
        typed = bool(self.query_one("#name", Input).value) or submitted
        name_err.update((problems["name"] or "") if typed else "")
        if self.project is None:
            drop = self.query_one("#drop-error", Static)
            if problems["drop"]:
                drop.update(problems["drop"])
                drop.set_class(True, "field-error")
            else:
                drop.update("Files copied into it (scp, rsync) are added automatically.")
                drop.set_class(False, "field-error")
        self.query_one("#ok", Button).disabled = any(problems.values())

    def on_mount(self) -> None:
        self._validate()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        problems = self._problems()
        if any(problems.values()):
            self._validate(submitted=True)
            bad = "#name" if problems["name"] else "#drop"
            self.query_one(bad, Input).focus()
            return
        result = {"name": self.query_one("#name", Input).value.strip()}
        if self.project is None:
            result["drop"] = self.query_one("#drop", Input).value.strip()
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ProjectsScreen(ReportsWorkerErrors, Screen[None]):
    TITLE = "Projects"
    AUTO_FOCUS = "#projects"  # focused from the first frame, not drawn first without focus
    HELP = (
        "Every project in this loratui home. While the app runs, every project's drop folder is "
        "watched and its queue processed; the counts here follow live. Enter (or o) opens one "
        "(and gives it the most processes). n creates a project, r renames, delete removes one "
        "(after saying what goes). Type / to filter the list."
    )
    BINDINGS = [
        Binding("o", "open", "Open"),
        Binding("n", "new", "New"),
        Binding("r", "rename", "Rename"),
        Binding("delete,D", "delete", "Delete", key_display="del"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[dict[str, Any]] = []

    @property
    def lapp(self) -> Shell:
        return cast(Shell, self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="/ filter projects by name or folder", id="filter")
        table = FastTable(id="projects", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="projects-empty", classes="empty-hint")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.load()
        # projects created or changed from the CLI show up without a key press
        self.set_interval(RELOAD_S, self._reload_if_shown)

    def _reload_if_shown(self) -> None:
        if self.app.screen is self:
            self.load()

    def on_screen_resume(self) -> None:
        self.sub_title = str(self.lapp.home_path)
        self.load()

    def on_projects_changed(self, _: ProjectsChanged) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="projects-load", exit_on_error=False)
    def load(self) -> None:
        with thread_connection():
            rows = overview.project_rows()
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one(DataTable)
        text = self.query_one("#filter", Input).value.strip().lower()
        keep = table.cursor_row
        selected = self.selected_id()
        table.clear()
        for r in self._rows:
            if text and text not in f"{r['name']} {r['drop_folder']}".lower():
                continue
            table.add_row(
                Text(r["name"], style="bold"),
                r["documents"],
                r.get("queued", 0),
                Text(str(r.get("processing", 0)), style="bold" if r.get("processing") else ""),
                r["done"],
                Text(str(r["failed"]), style="red" if r["failed"] else ""),
                Text(_short(r["drop_folder"]), overflow="ellipsis"),
                r["last_export"] or "–",
                key=str(r["id"]),
            )
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        elif table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        empty = self.query_one("#projects-empty", Static)
        if not self._rows:
            empty.update("No projects yet. Press n to create one, or run `loratui demo`.")
        elif not table.row_count:
            empty.update("No project matches the filter.")
        else:
            empty.update("")

    def selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    @on(Input.Changed, "#filter")
    def _filter(self) -> None:
        self._render_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        pid = self.selected_id()
        if pid is not None:
            self.lapp.open_project(pid)

    def action_new(self) -> None:
        self.app.push_screen(ProjectDialog(), callback=self._create)

    def _create(self, result: dict[str, str] | None) -> None:
        if not result:
            return
        try:
            project = workspace.create_project(
                result["name"], drop_folder=result.get("drop") or None
            )
        except LoratuiError as exc:
            self.notify(f"{exc.message}\n{exc.hint}", title="Not created", severity="error")
            return
        self.notify(f"Drop folder: {folders.drop_dir(project)}", title=f"Created {project.name}")
        self.load()
        sync = getattr(self.app, "_sync_sessions", None)
        if callable(sync):  # its drop folder is watched from now on, not at the next sync
            sync()

    def _selected_project(self) -> Project | None:
        pid = self.selected_id()
        return _find_project(pid) if pid is not None else None

    def action_rename(self) -> None:
        project = self._selected_project()
        if project is not None:
            self.app.push_screen(ProjectDialog(project), callback=self._rename)

    def _rename(self, result: dict[str, str] | None) -> None:
        project = self._selected_project()
        if not result or project is None:
            return
        try:
            workspace.rename_project(project, result["name"])
        except LoratuiError as exc:
            self.notify(f"{exc.message}\n{exc.hint}", title="Not renamed", severity="error")
            return
        self.load()

    def action_delete(self) -> None:
        pid = self.selected_id()
        if pid is not None:
            self._confirm_delete(pid)

    @work(thread=True, group="projects-confirm", exit_on_error=False)
    def _confirm_delete(self, project_id: int) -> None:
        """Read what deleting removes (fresh, in a thread), then ask."""
        with thread_connection():
            project = _find_project(project_id)
            if project is None:
                return
            row = overview.project_row(project)
        drop, folder = row["drop_folder"], row["folder"]
        lines = [
            f"Delete project {row['name']!r}? This cannot be undone. It removes:",
            f"  • {row['documents']} documents: their stored originals and extracted text",
            f"  • {row['versions']} dataset versions and their files",
            "  • its activity log (one 'project deleted' event is kept in the home's log)",
            f"  • the folder {folder}",
        ]
        lines.append(
            "  • its inbox (drop folder) with anything still in it"
            if drop.startswith(folder)
            else f"The drop folder {drop} is outside the project and is kept."
        )
        self.app.call_from_thread(self._ask_delete, project_id, "\n".join(lines))

    def _ask_delete(self, project_id: int, text: str) -> None:
        self.app.push_screen(
            ConfirmModal("Delete project", text, confirm="Delete", danger=True),
            callback=lambda ok: self._delete(project_id) if ok else None,
        )

    @work(exclusive=True, group="projects-delete", exit_on_error=False)
    async def _delete(self, project_id: int) -> None:
        app = self.lapp
        await app.close_project(project_id)  # every project's worker and watcher run
        try:
            summary = await asyncio.to_thread(self._delete_now, project_id)
        finally:
            app.reopen_sessions(project_id)  # nothing when it is gone; again if not deleted
        if summary is None:
            return
        self.notify(f"{summary['documents']} documents removed", title=f"Deleted {summary['name']}")
        self.load()

    @staticmethod
    def _delete_now(project_id: int) -> dict[str, object] | None:
        """Delete in a thread: removing a big project's folder takes a while."""
        with thread_connection():
            project = _find_project(project_id)
            return workspace.delete_project(project) if project is not None else None

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("New project", "create a project (name and optional drop folder)", self.action_new),
            ("Open selected project", "open its dashboard", self.action_open),
            ("Rename selected project", "give it another name", self.action_rename),
            ("Delete selected project", "remove it and all its data", self.action_delete),
        ]


def _find_project(project_id: int) -> Project | None:
    """The project, or None when it is gone (deleted from the CLI meanwhile, say)."""
    try:
        return workspace.get_project(project_id)
    except LoratuiError:
        return None


def _short(path: str, width: int = 40) -> str:
    home = str(Path.home())
    if path.startswith(home):
        path = "~" + path[len(home) :]
    return path if len(path) <= width else "…" + path[-(width - 1) :]
