"""LoratuiApp: the full-screen shell over loratui.core.

The app holds only what can be rebuilt from the database: which project is open and the running
ProjectSession (its Worker and DropWatcher). Worker progress arrives through ``on_update`` on the
event loop; the app collects document ids and flushes them to the screen as one
``DocumentsChanged`` message a few times a second, so thousands of updates never flood the UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen

from loratui.core import audit
from loratui.core.session.processes import prepare_process_spawning
from loratui.core.session.project import ProjectSession, SessionProblem
from loratui.core.store import home as home_mod
from loratui.tui.commands import LoratuiCommands
from loratui.tui.messages import DocumentsChanged, FileTaken, WatchNotice, WorkerStatus
from loratui.tui.widgets.confirm import ConfirmModal
from loratui.tui.worker_errors import error_text

FLUSH_S = 0.3  # how often worker progress reaches the screen
STATE_POLL_S = 1.0


class LoratuiApp(App[int]):
    """The app. ``project`` opens that project at start; ``start_worker`` False shows data only."""

    TITLE = "loratui"
    CSS_PATH = "app.tcss"
    COMMANDS = {LoratuiCommands}  # one provider: a stable order, and quitting always asks
    ENABLE_COMMAND_PALETTE = True
    QUIT_QUESTION = (
        "Documents are being processed. Quitting stops the worker and puts the files in "
        "progress back in the queue; they carry on the next time you open this project "
        "(or run `loratui process`)."
    )
    EXPORT_QUIT_QUESTION = (
        "An export is being written. Quitting cancels it cleanly: no version is written, "
        "nothing half-written is kept, and you can run it again later."
    )
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("d", "section('dashboard')", "Dash"),
        Binding("f", "section('files')", "Files"),
        Binding("a", "add_files", "Add"),
        Binding("e", "section('export')", "Export"),
        Binding("v", "section('versions')", "Vers"),
        Binding("l", "section('log')", "Log"),
        Binding("ctrl+l", "toggle_log_panel", "Log panel", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        home: str | Path | None = None,
        project: str | int | None = None,
        start_worker: bool = True,
        watch: bool = True,
        workers: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if start_worker:
            prepare_process_spawning()
        self.home_path = home_mod.open_home(home)
        audit.set_origin("tui")
        self.clock = clock
        self.start_worker = start_worker
        self.watch = watch
        self.worker_count = workers
        self.project_id: int | None = None
        self.session: ProjectSession | None = None
        self.log_panel_open = False
        self._initial_project = project
        self._dirty: set[int] = set()
        self._dirty_all = False
        self._failed: list[str] = []
        self._last_worker_state = ""
        self._quitting = False
        self._exports: list[Any] = []  # export screens that started an export (track_export)

    # -- start -----------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        from loratui.tui.screens.projects import ProjectsScreen

        return ProjectsScreen()

    def on_mount(self) -> None:
        self.set_interval(FLUSH_S, self._flush_updates)
        self.set_interval(STATE_POLL_S, self._poll_states)
        if self._initial_project is not None:
            from loratui.core.errors import LoratuiError
            from loratui.core.projects.workspace import get_project

            try:
                self.open_project(get_project(self._initial_project).id)
            except LoratuiError as exc:
                self.notify(
                    f"{exc.message}\n{exc.hint_for('tui')}",
                    title="No such project",
                    severity="error",
                )

    # -- the open project ------------------------------------------------------------------
    def open_project(self, project_id: int) -> None:
        """Open a project: start its worker and watcher (unless open), show its dashboard."""
        from loratui.tui.screens.dashboard import DashboardScreen

        if self.project_id != project_id:
            self.run_worker(self._switch_session(project_id), exclusive=True, group="session")
            self.project_id = project_id
        self.show_section(DashboardScreen(project_id))

    async def _switch_session(self, project_id: int) -> None:
        if self.session is not None:
            await self.session.stop()
            self.session = None
        if not self.start_worker or self.project_id != project_id:
            return
        session = ProjectSession(
            project_id,
            workers=self.worker_count,
            watch=self.watch,
            on_update=self._worker_update_cb,
            on_taken=self._file_taken_cb,
            on_notice=self._watch_notice_cb,
            on_error=self._session_error_cb,
        )
        self.session = session
        await session.open()

    async def close_project(self) -> None:
        """Stop the open project's worker and watcher (before deleting it, say)."""
        if self.session is not None:
            await self.session.stop()
            self.session = None
        self.project_id = None

    def _worker_update_cb(self, update: Any) -> None:
        """Worker callback (event loop thread): remember what changed; the timer flushes it."""
        doc_id = getattr(update, "document_id", None)
        if doc_id is None:
            self._dirty_all = True
        else:
            self._dirty.add(int(doc_id))
        if getattr(update, "state", None) == "failed":
            self._failed.append(getattr(update, "message", None) or f"document {doc_id}")

    def _file_taken_cb(self, taken: Any) -> None:
        """Watcher callback (its own thread): post_message is thread-safe. The session has
        already woken the worker."""
        self.post_message(FileTaken(str(taken.rel_path).rsplit("/", 1)[-1]))

    def _session_error_cb(self, problem: SessionProblem) -> None:
        """Session callback (event loop): a part that failed is shown, never a crash."""
        text = f"{problem.what}: {error_text(problem.error)}"  # with the hint (disk full: free)
        self.call_later(self.notify, text, title="Error", severity="error")

    def _watch_notice_cb(self, level: str, message: str) -> None:
        """Watcher thread: a problem or mode change worth telling the user."""
        self.post_message(WatchNotice(level, message))

    def on_watch_notice(self, message: WatchNotice) -> None:
        severity = {"error": "error", "warning": "warning"}.get(message.level, "information")
        self.notify(message.text, title="Drop folder", severity=severity)

    def on_file_taken(self, message: FileTaken) -> None:
        self._dirty_all = True
        self._tell_screen(FileTaken(message.name))

    def _tell_screen(self, message: Message) -> None:
        """Pass news to the current screen; dropped while the app shuts down (no screens left).

        The watcher and the worker post from their threads, so a message can arrive after the
        last screen was popped on quit.
        """
        if self.screen_stack:
            self.screen.post_message(message)

    def _flush_updates(self) -> None:
        if self.session is not None and (self._dirty or self._dirty_all):
            # the worker is busy: lower the priority of new extraction processes soon
            self.session.keep_background_priority()
        if self._failed:
            failed, self._failed = self._failed, []
            text = failed[0] if len(failed) == 1 else f"{len(failed)} files failed"
            self.notify(text, title="Extraction failed", severity="warning")
        if not (self._dirty or self._dirty_all):
            return
        ids = None if self._dirty_all else frozenset(self._dirty)
        self._dirty.clear()
        self._dirty_all = False
        self._tell_screen(DocumentsChanged(ids))

    def _poll_states(self) -> None:
        if self.session is not None:
            self.session.keep_background_priority()
        state = self.worker_state
        if state != self._last_worker_state:
            self._last_worker_state = state
            self._tell_screen(WorkerStatus(state))

    @property
    def worker_state(self) -> str:
        if self.session is None:
            return "stopped" if self.start_worker else "not started"
        return self.session.worker_state

    def watcher_status(self) -> dict[str, Any]:
        return self.session.watcher_status if self.session else {"mode": "off"}

    # -- navigation ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("section", "add_files", "toggle_log_panel"):
            if isinstance(self.screen, ModalScreen) or self.project_id is None:
                return False
            if len(self.screen_stack) < 2:  # on the projects screen
                return False
        return True

    def show_section(self, screen: Screen) -> None:
        """Show a project section right above the projects screen, closing what is on top."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def section_screen(self, name: str) -> Screen | None:
        """The screen of a section of the open project (imported when first opened)."""
        pid = self.project_id
        if pid is None:
            return None
        if name == "dashboard":
            from loratui.tui.screens.dashboard import DashboardScreen

            return DashboardScreen(pid)
        if name == "files":
            from loratui.tui.screens.queue import QueueScreen

            return QueueScreen(pid)
        if name == "export":
            from loratui.tui.screens.export import ExportScreen

            return ExportScreen(pid)
        if name == "versions":
            from loratui.tui.screens.versions import VersionsScreen

            return VersionsScreen(pid)
        if name == "log":
            from loratui.tui.screens.log import LogScreen

            return LogScreen(pid)
        raise ValueError(f"no section {name!r}")

    def action_section(self, name: str) -> None:
        screen = self.section_screen(name)
        if screen is not None:
            self.show_section(screen)

    def action_projects(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_add_files(self) -> None:
        from loratui.tui.screens.add_files import AddFilesScreen

        if self.project_id is not None:
            self.push_screen(AddFilesScreen(self.project_id))

    def open_preview(self, document_id: int) -> None:
        from loratui.tui.screens.preview import PreviewScreen

        if self.project_id is not None:
            self.push_screen(PreviewScreen(self.project_id, document_id))

    def action_help(self) -> None:
        from loratui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_log_panel(self) -> None:
        # follow what this screen shows: a screen opened without the panel gets it on the
        # first press even when the panel was open elsewhere
        self.log_panel_open = not self.screen.query(".log-panel")
        self.apply_log_panel(self.screen)

    def apply_log_panel(self, screen: Screen) -> None:
        """Mount or remove the bottom LogPanel on ``screen`` to match ``log_panel_open``."""
        existing = screen.query(".log-panel")
        if not self.log_panel_open or self.project_id is None:
            existing.remove()
            return
        if existing:
            return
        from loratui.tui.widgets.log_panel import LogPanel

        panel = LogPanel(self.project_id)
        panel.add_class("log-panel")
        screen.mount(panel)

    # -- quitting --------------------------------------------------------------------------
    async def action_quit(self) -> None:
        if self._quitting:
            return
        if self._running_export() is not None:
            question = self.EXPORT_QUIT_QUESTION
            if self.session is not None and self.session.busy():
                question += "\n\n" + self.QUIT_QUESTION
            self.push_screen(
                ConfirmModal("Quit during the export?", question, confirm="Quit"),
                callback=self._quit_answer,
            )
            return
        if self.session is not None and self.session.busy():
            self.push_screen(
                ConfirmModal("Quit while processing?", self.QUIT_QUESTION, confirm="Quit"),
                callback=self._quit_answer,
            )
            return
        await self._stop_and_exit()

    async def _quit_answer(self, confirmed: bool | None) -> None:
        if confirmed:  # in a worker: the app keeps drawing (and telling) while work stops
            self.run_worker(self._stop_and_exit(), exclusive=True, group="quit")

    def track_export(self, screen: Any) -> None:
        """An export screen started an export: quitting asks about it until it ends, also
        after the user went on to another section (its thread goes on writing)."""
        self._exports = [s for s in self._exports if s.running_export]
        if screen not in self._exports:
            self._exports.append(screen)

    def _running_export(self) -> Any:
        """The export screen whose export is running, if any (it may be under others)."""
        for screen in [*self.screen_stack, *self._exports]:
            if getattr(screen, "running_export", False):
                return screen
        return None

    async def _stop_and_exit(self) -> None:
        self._quitting = True
        export = self._running_export()
        if export is not None:  # the screen stays drawn while the export stops
            self.notify("Cancelling the export…", timeout=10)
            await export.cancel_and_wait()
        if self.session is not None:
            self.notify("Stopping the worker…", timeout=10)
            await self.session.stop()
            self.session = None
        self.exit(0)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.stop()
            self.session = None


def run_app(home: str | None = None, project: str | int | None = None) -> int:
    """Open the full-screen app on ``home`` (and ``project``, if given); return the exit code."""
    app = LoratuiApp(home=home, project=project)
    result = app.run()
    return int(result or 0)
