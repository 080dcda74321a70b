"""What screens and the command palette ask of the app, written down as a Protocol.

The app opens the screens, so a screen that imported the app (even only to type
``self.app``) made an import circle: app -> screens -> app. Screens and the palette type
the app as a ``Shell`` instead; ``LoratuiApp`` is its one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from loratui.core.session.project import ProjectSession
    from loratui.tui.generation_task import GenerationTask


class Shell(Protocol):
    """The open project, its running session, and navigation between screens."""

    home_path: Path
    project_id: int | None  # the open project, if any
    clock: Callable[[], float]  # time.time, or a fixed clock in snapshot tests
    generation: GenerationTask | None  # the open project's Q/A generation run, while it runs

    @property
    def session(self) -> ProjectSession | None:  # its worker and watcher, while it runs
        ...

    @property
    def worker_state(self) -> str: ...

    def watcher_status(self) -> dict[str, Any]: ...

    def open_project(self, project_id: int) -> None: ...

    async def close_project(self, project_id: int | None = None) -> None: ...

    def reopen_sessions(self, project_id: int) -> None: ...

    def restart_session(self, project_id: int) -> None: ...

    def sync_sessions(self) -> None: ...

    def show_section(self, screen: Screen) -> None: ...

    def open_preview(self, document_id: int) -> None: ...

    def start_generation(self, task: GenerationTask) -> bool: ...

    async def stop_generation(self) -> None: ...

    def apply_log_panel(self, screen: Screen) -> None: ...

    def action_section(self, name: str) -> None: ...

    def action_projects(self) -> None: ...

    def action_back(self) -> None: ...

    def action_add_files(self) -> None: ...

    def action_toggle_log_panel(self) -> None: ...

    def action_help(self) -> None: ...

    def action_change_theme(self) -> None: ...

    async def action_quit(self) -> None: ...
