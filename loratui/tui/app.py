"""LoratuiApp: the full-screen shell over loratui.core.

The app holds only what can be rebuilt from the database: which project is open and the running
ProjectSessions, one per project (its Worker and DropWatcher): every project's drop folder is
watched and its queue processed while the app runs, the open one with the most processes. Worker
progress arrives through ``on_update`` on the event loop; the app collects the open project's
document ids and flushes them to the screen as one ``DocumentsChanged`` message a few times a
second, so thousands of updates never flood the UI; news of other projects refreshes the
projects list at most once a second.
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
from loratui.core.session.all_projects import ProjectSessions
from loratui.core.session.processes import prepare_process_spawning
from loratui.core.session.project import ProjectSession, SessionProblem
from loratui.core.store import home as home_mod
from loratui.tui.commands import LoratuiCommands
from loratui.tui.generation_task import GenerationTask
from loratui.tui.messages import (
    DocumentsChanged,
    FileTaken,
    GenerationEnded,
    GenerationProgress,
    ProjectsChanged,
    WatchNotice,
    WorkerStatus,
)
from loratui.tui.widgets.confirm import ConfirmModal
from loratui.tui.worker_errors import error_text

FLUSH_S = 0.3  # how often worker progress reaches the screen
STATE_POLL_S = 1.0
SYNC_S = 5.0  # how often projects created or deleted elsewhere get (or lose) a session
# sections kept mounted once opened (per project): going back to one is a repaint, not a
# rebuild (Files -> Dashboard took 0.6-2.2 s while the worker ran)
KEPT_SECTIONS = ("dashboard", "files")


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
        Binding("f1", "help", "Help", show=False),  # from a text input, where "?" is typed
        Binding("d", "section('dashboard')", "Dash"),
        Binding("f", "section('files')", "Files"),
        Binding("a", "add_files", "Add"),
        Binding("e", "section('export')", "Export"),
        Binding("v", "section('versions')", "Vers"),
        Binding("l", "section('log')", "Log"),
        Binding("g", "section('generate')", "Generate", show=False),
        Binding("P", "section('pairs')", "Pairs", show=False),
        Binding("ctrl+l", "toggle_log_panel", "Log panel", show=False),
        Binding("q", "quit", "Quit"),
        Binding("comma", "section('settings')", "Settings", key_display=","),
    ]

    GENERATE_QUIT_QUESTION = (
        "Q/A pairs are being generated. Quitting stops the run: requests in flight are "
        "dropped and their chunks go back; the pairs already made are kept, and Run on the "
        "Generate screen (or `loratui generate`) carries on with the chunks left."
    )

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
        self.sessions: ProjectSessions | None = None
        if start_worker:
            self.sessions = ProjectSessions(
                workers=workers,
                watch=watch,
                on_update=self._worker_update_cb,
                on_taken=self._file_taken_cb,
                on_notice=self._watch_notice_cb,
                on_error=self._session_error_cb,
            )
        self._syncing = False
        self._projects_dirty = False
        self.log_panel_open = False
        self._initial_project = project
        self._dirty: set[int] = set()
        self._dirty_all = False
        self._failed: list[str] = []
        self._last_worker_state = ""
        self._quitting = False
        self.generation: GenerationTask | None = None  # the open project's run, while it runs
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
        if self.sessions is not None:  # after the open project is the focus
            self.sync_sessions()
            self.set_interval(SYNC_S, self.sync_sessions)

    # -- the open project ------------------------------------------------------------------
    @property
    def session(self) -> ProjectSession | None:
        """The open project's running session (its worker and watcher), if any."""
        return self.sessions.get(self.project_id) if self.sessions is not None else None

    def open_project(self, project_id: int) -> None:
        """Open a project: give it the most processes (its session runs already, like every
        project's), show its dashboard."""
        from loratui.tui.screens.dashboard import DashboardScreen

        changed = self.project_id != project_id
        if changed:
            self.run_worker(self._switch_project(project_id), group="session")
        self.action_projects()  # the sections of another project close
        if changed:
            self._forget_sections()
        self.project_id = project_id
        self.show_section(self._kept("dashboard") or DashboardScreen(project_id))

    async def _switch_project(self, project_id: int) -> None:
        await self.stop_generation()  # like the worker's focus: a run belongs to its open project
        if self.sessions is not None:
            await self.sessions.focus(project_id)

    def sync_sessions(self) -> None:
        """Start sessions for new projects, stop those of deleted ones (never two at once)."""
        if self.sessions is None or self._syncing or self._quitting:
            return
        self._syncing = True
        self.run_worker(self._sync_now(), group="sessions-sync")

    async def _sync_now(self) -> None:
        try:
            if self.sessions is not None and await self.sessions.sync():
                self._projects_dirty = True
        finally:
            self._syncing = False

    async def close_project(self, project_id: int | None = None) -> None:
        """Stop a project's worker and watcher, the open one's by default, and keep them
        stopped (before deleting it, say) until ``reopen_sessions``."""
        pid = self.project_id if project_id is None else project_id
        if pid == self.project_id:
            await self.stop_generation()
        if self.sessions is not None and pid is not None:
            await self.sessions.stop(pid)
        if pid == self.project_id:
            self._forget_sections()
            self.project_id = None

    def reopen_sessions(self, project_id: int) -> None:
        """After ``close_project``: run the project again if it still exists."""
        if self.sessions is not None:
            self.sessions.release(project_id)
        self.sync_sessions()

    def restart_session(self, project_id: int) -> None:
        """Restart a project's worker and watcher so they read its changed settings."""
        if self.sessions is not None:
            self.run_worker(self.sessions.restart(project_id), group="session")

    def _kept_name(self, name: str) -> str:
        return f"section-{name}-{self.project_id}"

    def _forget_sections(self) -> None:
        """Let go of the open project's kept section screens that are not shown."""
        for name in KEPT_SECTIONS:
            key = self._kept_name(name)
            if self.is_screen_installed(key) and self.get_screen(key) not in self.screen_stack:
                screen = self.get_screen(key)
                self.uninstall_screen(key)
                screen.remove()  # unmounted: its timers and workers stop

    def _worker_update_cb(self, project_id: int, update: Any) -> None:
        """Worker callback (event loop thread): remember what changed; the timer flushes it."""
        self._projects_dirty = True
        if project_id != self.project_id:
            return
        doc_id = getattr(update, "document_id", None)
        if doc_id is None:
            self._dirty_all = True
        else:
            self._dirty.add(int(doc_id))
        if getattr(update, "state", None) == "failed":
            self._failed.append(getattr(update, "message", None) or f"document {doc_id}")

    def _file_taken_cb(self, project_id: int, taken: Any) -> None:
        """Watcher callback (its own thread): post_message is thread-safe. The session has
        already woken the worker. A file of another project only refreshes the list."""
        if project_id == self.project_id:
            self.post_message(FileTaken(str(taken.rel_path).rsplit("/", 1)[-1]))
        else:
            self._projects_dirty = True

    def _of_project(self, project_id: int, text: str) -> str:
        """``text`` about another project than the open one says which."""
        if project_id == self.project_id or self.sessions is None:
            return text
        return f"{self.sessions.name_of(project_id)}: {text}"

    def _session_error_cb(self, project_id: int, problem: SessionProblem) -> None:
        """Session callback (event loop): a part that failed is shown, never a crash."""
        text = f"{problem.what}: {error_text(problem.error)}"  # with the hint (disk full: free)
        text = self._of_project(project_id, text)
        self.call_later(self.notify, text, title="Error", severity="error")

    def _watch_notice_cb(self, project_id: int, level: str, message: str) -> None:
        """Watcher thread: a problem or mode change worth telling the user."""
        self.post_message(WatchNotice(level, self._of_project(project_id, message)))

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
        if self._projects_dirty and len(self.screen_stack) == 1:  # the projects list shows
            self._projects_dirty = False
            self._tell_screen(ProjectsChanged())
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

    # -- Q/A generation --------------------------------------------------------------------
    def start_generation(self, task: GenerationTask) -> bool:
        """Run ``task`` unless a run is going; its news reach the screen as messages."""
        if self.generation is not None and self.generation.running:
            return False
        self.generation = task
        task.start()
        return True

    def on_generation_progress(self, message: GenerationProgress) -> None:
        self._tell_screen(GenerationProgress(message.progress))

    def on_generation_ended(self, message: GenerationEnded) -> None:
        self._tell_screen(GenerationEnded(message.progress, message.error))
        if message.error is not None:
            self.notify(error_text(message.error), title="Generation stopped", severity="error")
        else:
            line = message.progress.line()  # type: ignore[attr-defined]
            self.notify(line, title=f"Generation {message.progress.state}")  # type: ignore[attr-defined]

    async def stop_generation(self) -> None:
        """Stop the run, if one is going, and wait until it is written down."""
        task = self.generation
        if task is not None and task.running:
            self.notify("Stopping the generation run…", timeout=10)
            task.stop()
            await task.wait()

    # -- navigation ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("section", "add_files", "toggle_log_panel"):
            if isinstance(self.screen, ModalScreen) or self.project_id is None:
                return False
            if len(self.screen_stack) < 2:  # on the projects screen
                return False
        return True

    def show_section(self, screen: Screen) -> None:
        """Show a project section on top, so Escape goes back to where the user was.

        A section already open below is closed with what is above it and opened afresh in
        its place (d, f, e, d leaves projects > dashboard): the stack never holds a section
        twice, and Escape walks back through the sections in the order they were opened.
        """
        stack = self.screen_stack
        below = next((i for i in range(1, len(stack)) if type(stack[i]) is type(screen)), None)
        if below is not None:
            while len(self.screen_stack) > below:
                self.pop_screen()
        self.push_screen(screen)

    def action_back(self) -> None:
        """Escape on a project screen: the screen opened before it (the projects list last)."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

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
        if name == "generate":
            from loratui.tui.screens.generate import GenerateScreen

            return GenerateScreen(pid)
        if name == "pairs":
            from loratui.tui.screens.pairs import PairsScreen

            return PairsScreen(pid)
        if name == "settings":
            from loratui.tui.screens.settings import SettingsScreen

            return SettingsScreen(pid)
        raise ValueError(f"no section {name!r}")

    def _kept(self, name: str) -> Screen | None:
        """The open project's screen of section ``name``, made once and kept (for the
        sections in ``KEPT_SECTIONS``; the others are made each time)."""
        if name not in KEPT_SECTIONS:
            return self.section_screen(name)
        key = self._kept_name(name)
        if not self.is_screen_installed(key):
            screen = self.section_screen(name)
            if screen is None:
                return None
            self.install_screen(screen, key)
        return self.get_screen(key)

    def action_section(self, name: str) -> None:
        screen = self._kept(name)
        if screen is not None and screen is not self.screen:
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
        generating = self.generation is not None and self.generation.running
        processing = self.sessions is not None and self.sessions.busy()
        if self._running_export() is not None:
            question = self.EXPORT_QUIT_QUESTION
            if processing:
                question += "\n\n" + self.QUIT_QUESTION
            if generating:
                question += "\n\n" + self.GENERATE_QUIT_QUESTION
            self.push_screen(
                ConfirmModal("Quit during the export?", question, confirm="Quit"),
                callback=self._quit_answer,
            )
            return
        if processing:
            question = self.QUIT_QUESTION
            if generating:
                question += "\n\n" + self.GENERATE_QUIT_QUESTION
            self.push_screen(
                ConfirmModal("Quit while processing?", question, confirm="Quit"),
                callback=self._quit_answer,
            )
            return
        if generating:
            self.push_screen(
                ConfirmModal("Quit while generating?", self.GENERATE_QUIT_QUESTION, confirm="Quit"),
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
        await self.stop_generation()
        if self.sessions is not None:
            self.notify("Stopping the worker…", timeout=10)
            await self.sessions.stop_all()
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.stop_generation()
        if self.sessions is not None:
            await self.sessions.stop_all()


def run_app(home: str | None = None, project: str | int | None = None) -> int:
    """Open the full-screen app on ``home`` (and ``project``, if given); return the exit code."""
    app = LoratuiApp(home=home, project=project)
    result = app.run()
    return int(result or 0)
