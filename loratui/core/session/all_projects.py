"""ProjectSessions: every project of the home at work at once, for the TUI and
``loratui watch --all``.

Files dropped into any project's folder are taken and processed without opening that
project: each project gets its own ProjectSession (worker and watcher), started by
``sync()``, which also starts sessions for projects created since and stops those of
projects deleted since. The pools start their processes only when there is work, so an
idle project costs a watcher and a polling task, not processes.

One project may be the focus (the one open in the TUI): it runs as many extraction
processes as the caller, its ``workers`` setting or the CPUs say. The others run their
``workers`` setting, or ``background_workers`` (1 by default), so ten busy projects do not
start ten pools of one process per CPU. Opening a project restarts its session with the
full count at once (its jobs in flight go back to the queue without counting an attempt);
a project that loses the focus keeps its processes until it is idle, then goes back to the
background count.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from loratui.core.session.project import ProjectSession, SessionProblem, WatchOptions
from loratui.core.store.threads import thread_connection

if TYPE_CHECKING:
    from loratui.core.jobs.worker import WorkerUpdate
    from loratui.core.watch.watcher import TakenFile


def _projects() -> dict[int, str]:
    """Every project's id and name (in a thread)."""
    from loratui.core.store.models import Project

    with thread_connection():
        return dict(Project.select(Project.id, Project.name).order_by(Project.name).tuples())


class ProjectSessions:
    """One running ProjectSession per project; callbacks get the project's id first."""

    def __init__(
        self,
        *,
        workers: int | None = None,
        background_workers: int | None = 1,
        watch: bool = True,
        watch_options: WatchOptions | None = None,
        on_update: Callable[[int, WorkerUpdate], None] | None = None,
        on_taken: Callable[[int, TakenFile], None] | None = None,
        on_notice: Callable[[int, str, str], None] | None = None,
        on_error: Callable[[int, SessionProblem], None] | None = None,
    ) -> None:
        """``workers``: processes for the focus project (None: its setting, else one per
        CPU); ``background_workers``: for the others without a ``workers`` setting."""
        self.workers = workers
        self.background_workers = background_workers
        self.watch = watch
        self.watch_options = watch_options
        self.focus_id: int | None = None
        self.names: dict[int, str] = {}
        self._sessions: dict[int, ProjectSession] = {}
        self._focused: set[int] = set()  # sessions started with the focus's worker count
        self._held: set[int] = set()  # stopped on purpose (being deleted): not restarted
        self._on_update = on_update
        self._on_taken = on_taken
        self._on_notice = on_notice
        self._on_error = on_error
        self._lock = asyncio.Lock()
        self._closed = False

    # -- reading -----------------------------------------------------------------------------
    def get(self, project_id: int | None) -> ProjectSession | None:
        """The running session of ``project_id``, if any."""
        return self._sessions.get(project_id) if project_id is not None else None

    def items(self) -> list[tuple[int, ProjectSession]]:
        return list(self._sessions.items())

    def busy(self) -> bool:
        """Whether stopping now interrupts work in any project."""
        return any(s.busy() for s in self._sessions.values())

    def name_of(self, project_id: int) -> str:
        return self.names.get(project_id, f"project {project_id}")

    # -- starting and stopping ---------------------------------------------------------------
    def _new(self, project_id: int) -> ProjectSession:
        focus = project_id == self.focus_id
        session = ProjectSession(
            project_id,
            workers=self.workers if focus else None,
            fallback_workers=None if focus else self.background_workers,
            watch=self.watch,
            watch_options=self.watch_options,
            on_update=self._bind(self._on_update, project_id),
            on_taken=self._bind(self._on_taken, project_id),
            on_notice=self._bind(self._on_notice, project_id),
            on_error=self._bind(self._on_error, project_id),
        )
        self._sessions[project_id] = session
        self._focused.discard(project_id)
        if focus:
            self._focused.add(project_id)
        return session

    @staticmethod
    def _bind(fn: Callable[..., None] | None, project_id: int) -> Callable[..., None] | None:
        return functools.partial(fn, project_id) if fn is not None else None

    async def sync(self) -> list[int]:
        """Start a session for every project without one; stop those of deleted projects;
        let a project that lost the focus drop to the background count once it is idle.
        Returns the ids started."""
        names = await asyncio.to_thread(_projects)
        async with self._lock:
            if self._closed:
                return []
            self.names = names
            self._held &= set(names)
            stopping = [pid for pid in self._sessions if pid not in names]
            stopping += [
                pid
                for pid in self._focused
                if pid != self.focus_id and pid in names and not self._sessions[pid].busy()
            ]
            await asyncio.gather(*(self._sessions.pop(pid).stop() for pid in stopping))
            self._focused -= set(stopping)
            new = [pid for pid in names if pid not in self._sessions and pid not in self._held]
            await asyncio.gather(*(self._new(pid).open() for pid in new))
            return new

    def focus(self, project_id: int) -> Coroutine[Any, Any, None]:
        """Make ``project_id`` the focus now (a ``sync`` started after this call gives it the
        focus's worker count); the coroutine returned starts its session, or restarts it
        with that count when it ran with the background count."""
        self.focus_id = project_id
        return self._focus(project_id)

    async def _focus(self, project_id: int) -> None:
        async with self._lock:
            if self._closed or self.focus_id != project_id:
                return
            self._held.discard(project_id)
            old = self._sessions.get(project_id)
            if old is not None and project_id in self._focused:
                return
            if old is not None:
                del self._sessions[project_id]
                await old.stop()
            await self._new(project_id).open()

    async def stop(self, project_id: int) -> None:
        """Stop one project's session and keep it stopped (before deleting the project);
        ``focus`` starts it again."""
        async with self._lock:
            self._held.add(project_id)
            self._focused.discard(project_id)
            session = self._sessions.pop(project_id, None)
            if session is not None:
                await session.stop()

    def release(self, project_id: int) -> None:
        """Let ``sync`` start ``project_id`` again (after ``stop``, when it was not deleted)."""
        self._held.discard(project_id)

    async def restart(self, project_id: int) -> bool:
        """Stop and start ``project_id``'s session, so it reads the project's settings again
        (jobs in flight go back to the queue without counting an attempt). False when it
        has none (not started yet, or held)."""
        async with self._lock:
            old = self._sessions.pop(project_id, None)
            if old is None or self._closed:
                return False
            await old.stop()
            await self._new(project_id).open()
            return True

    async def stop_all(self) -> None:
        """Stop every session (jobs in flight go back to the queue); no more start after."""
        self._closed = True
        async with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
            await asyncio.gather(*(s.stop() for s in sessions))

    def status(self) -> dict[int, dict[str, Any]]:
        """Each running project's worker state and watcher mode (for a list of projects)."""
        return {
            pid: {"worker": s.worker_state, "watch": s.watcher_status.get("mode", "off")}
            for pid, s in self._sessions.items()
        }
