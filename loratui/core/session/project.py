"""ProjectSession: one project at work, the same way for the TUI, ``loratui watch`` and
``loratui process``.

Opening a project clears what an export killed with an earlier run left behind, resolves how
many extraction processes to run (the caller's number, else the project's ``workers``
setting, else one per CPU), then starts the Worker on the running event loop and, when asked,
the DropWatcher in its threads. A file the watcher takes wakes the worker at once. What
happens comes back through callbacks: the TUI turns them into messages, the CLI into lines.
Stopping hands the jobs in flight back to the queue, so quitting loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.session.processes import lower_children_priority
from loratui.core.store import settings as settings_mod
from loratui.core.store.threads import thread_connection

if TYPE_CHECKING:
    from loratui.core.jobs.worker import Worker, WorkerUpdate
    from loratui.core.watch.watcher import DropWatcher, TakenFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchOptions:
    """How the drop folder is watched; None takes the project's setting."""

    poll: bool | None = None
    settle_s: float | None = None
    rescan_s: float | None = None


@dataclass(frozen=True)
class SessionProblem:
    """Something went wrong in a running session (never raised: passed to ``on_error``).

    ``stopped`` says a part of the session is not running because of it (the worker or the
    watcher did not start, or ended): a headless run should stop; a UI shows it and goes on.
    """

    what: str
    error: BaseException
    stopped: bool


def _import_running_parts() -> None:
    """Import what a running session needs (in a thread: an event loop stays free)."""
    import loratui.core.export.stale  # noqa: F401
    import loratui.core.jobs.worker  # noqa: F401
    import loratui.core.watch.watcher  # noqa: F401


def _stop_unwanted_watcher(starting: asyncio.Future[tuple[Any, BaseException | None]]) -> None:
    if starting.cancelled() or starting.exception() is not None:
        return
    watcher = starting.result()[0]
    if watcher is not None:
        threading.Thread(target=watcher.stop, name="loratui-drop-stop", daemon=True).start()


class ProjectSession:
    """The running parts of one project: its Worker and (optionally) its DropWatcher."""

    def __init__(
        self,
        project_id: int,
        *,
        workers: int | None = None,
        fallback_workers: int | None = None,
        watch: bool = False,
        watch_options: WatchOptions | None = None,
        on_update: Callable[[WorkerUpdate], None] | None = None,
        on_taken: Callable[[TakenFile], None] | None = None,
        on_notice: Callable[[str, str], None] | None = None,
        on_error: Callable[[SessionProblem], None] | None = None,
        pool_factory: Callable[[int, dict[str, Any]], Any] | None = None,
    ) -> None:
        """``on_update`` runs on the event loop; ``on_taken`` and ``on_notice`` on the
        watcher's thread; ``on_error`` on the event loop. ``workers`` overrides the project's
        ``workers`` setting; ``fallback_workers`` is used when neither names a number (None:
        one per CPU), e.g. for a project processed in the background. ``pool_factory``: where
        the worker extracts (``Worker``'s; e.g. a Ray cluster's tasks), else its own processes."""
        if workers is not None and workers < 1:
            raise LoratuiError(
                "invalid",
                f"the number of extraction processes must be at least 1, not {workers}",
                "leave it out to run one per CPU (or the project's `workers` setting)",
            )
        self.project_id = project_id
        # the number of extraction processes; resolved from the settings when opening
        self.workers: int | None = workers
        self.worker: Worker | None = None
        self.watcher: DropWatcher | None = None
        self._workers_arg = workers
        self.fallback_workers = fallback_workers
        self._watch = watch
        self._watch_options = watch_options or WatchOptions()
        self._on_update = on_update
        self._on_taken = on_taken
        self._on_notice = on_notice
        self._on_error = on_error
        self._pool_factory = pool_factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False
        self._stopping = False

    # -- starting ---------------------------------------------------------------------------
    async def open(self) -> None:
        """Start the worker in the background and the watcher (if asked); return once they run.

        The slow parts run in threads, off the event loop: the first import of the worker
        and watcher modules (~45 ms), the stale-export clean-up and the settings (DB reads),
        and the watcher's set-up (DB reads, inotify). A part that cannot start is reported
        through ``on_error``; this never raises for it.
        """
        if not await self._prepare():
            return
        self._start_worker()
        if self._watch:
            await self._start_watcher()

    async def run_until_idle(self) -> None:
        """Process the queue until nothing runnable is left (``loratui process``); no watcher.

        Unlike ``open()``, a fatal worker error (a full disk, a damaged database) is raised.
        """
        if not await self._prepare():
            return
        self.worker = self._new_worker()
        await self.worker.run_until_idle()

    async def _prepare(self) -> bool:
        """Imports, housekeeping and the worker count; False when stopped meanwhile."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(_import_running_parts)
        if self._stopped:
            return False
        problem = await asyncio.to_thread(self._housekeeping)
        if problem is not None:
            self._report(problem[0], problem[1], stopped=False)
        return not self._stopped

    def _housekeeping(self) -> tuple[str, BaseException] | None:
        """Clear exports killed with an earlier run; resolve the worker count (in a thread)."""
        from loratui.core.export.stale import clean_stale
        from loratui.core.store.models import Project

        with thread_connection():
            try:
                project = Project.get_or_none(Project.id == self.project_id)
                if project is None:  # deleted meanwhile: the worker says so when it starts
                    return None
                stored = settings_mod.effective(project.settings)["workers"]
                chosen = self._workers_arg or stored or self.fallback_workers
                self.workers = settings_mod.workers(chosen)
            except Exception as exc:  # noqa: BLE001 - the worker reports it again if it must
                return "could not read the project's settings", exc
            try:
                # An export killed with the app (a dropped SSH session) leaves its temporary
                # folder, possibly large, and a running job: clear them now rather than at the
                # next export (exports of live processes are left alone).
                clean_stale(project)
            except Exception as exc:  # noqa: BLE001 - housekeeping; never stop a run for it
                return "could not clear an interrupted export", exc
        return None

    def _new_worker(self) -> Worker:
        from loratui.core.jobs.worker import Worker

        return Worker(
            self.project_id,
            workers=self.workers,
            on_update=self._on_update,
            pool_factory=self._pool_factory,
        )

    def _start_worker(self) -> None:
        try:
            self.worker = self._new_worker()
            self.worker.start().add_done_callback(self._worker_ended)
        except Exception as exc:  # noqa: BLE001 - reported, never a crash
            self.worker = None
            self._report("the worker could not start", exc, stopped=True)

    async def _start_watcher(self) -> None:
        starting = asyncio.ensure_future(asyncio.to_thread(self._new_watcher))
        try:
            watcher, exc = await asyncio.shield(starting)
        except asyncio.CancelledError:  # the host moved on: stop the watcher once it is up
            starting.add_done_callback(_stop_unwanted_watcher)
            raise
        if exc is not None:
            self._report("the drop-folder watcher could not start", exc, stopped=True)
        elif self._stopped and watcher is not None:  # stop() ran meanwhile
            await asyncio.to_thread(watcher.stop)
        else:
            self.watcher = watcher

    def _new_watcher(self) -> tuple[DropWatcher | None, BaseException | None]:
        """A started DropWatcher, or None and why not (in a thread)."""
        from loratui.core.watch.watcher import DropWatcher

        opts = self._watch_options
        with thread_connection():
            try:
                watcher = DropWatcher(
                    self.project_id,
                    on_taken=self._taken,
                    poll=opts.poll,
                    settle_s=opts.settle_s,
                    rescan_s=opts.rescan_s,
                    on_notice=self._on_notice,
                )
                watcher.start()
            except Exception as exc:  # noqa: BLE001 - reported, never a crash
                return None, exc
        return watcher, None

    # -- while running ----------------------------------------------------------------------
    def _taken(self, taken: TakenFile) -> None:
        """Watcher thread: a file was taken; wake the worker (thread-safely), tell the host."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.wake)
            except RuntimeError:  # the loop closed meanwhile (shutting down)
                pass
        if self._on_taken is not None:
            self._on_taken(taken)

    def _worker_ended(self, task: asyncio.Task[None]) -> None:
        """The worker's task ended: unless we stopped it, say why (never a crash)."""
        if task.cancelled() or task.exception() is None:
            return
        self._report("the worker stopped with an error", task.exception(), stopped=True)

    def wake(self) -> None:
        """Look for new jobs now (call on the event loop, e.g. right after adding files)."""
        if self.worker is not None:
            self.worker.wake()

    def keep_background_priority(self) -> None:
        """Lower the priority of extraction processes started since the last call (call
        now and then: the pool replaces workers; new ones inherit the forkserver's)."""
        if self.worker is None:
            return
        try:
            lower_children_priority()
        except Exception:  # noqa: BLE001 - only a scheduling hint; never stop for it
            log.exception("could not lower the priority of the extraction processes")

    def _report(self, what: str, exc: BaseException, stopped: bool) -> None:
        try:
            audit.log_event(
                self.project_id,
                "session.error",
                f"{what}: {exc}",
                level="error",
                data={"error": str(exc), "type": type(exc).__name__},
            )
        except Exception:  # noqa: BLE001 - the log is best effort here
            log.exception("could not log %s", what)
        if self._on_error is not None:
            self._on_error(SessionProblem(what, exc, stopped))

    @property
    def worker_state(self) -> str:
        """The worker's state (idle, running, paused, stopping, stopped)."""
        if self.worker is None:
            return "stopped"
        return str(self.worker.state)

    @property
    def watcher_status(self) -> dict[str, Any]:
        """The watcher's mode, folder and counts; ``{"mode": "off"}`` when none runs."""
        if self.watcher is None:
            return {"mode": "off"}
        try:
            return dict(self.watcher.status)
        except Exception:  # noqa: BLE001
            return {"mode": "off"}

    def busy(self) -> bool:
        """Whether stopping now interrupts work (a job in flight or queued for this worker)."""
        return self.worker_state == "running"

    # -- stopping ---------------------------------------------------------------------------
    async def stop(self) -> None:
        """Stop the worker (releasing jobs in flight) and the watcher (finishing the file it
        is adding), side by side; safe to call twice. The worker stays readable after."""
        self._stopped = True
        if self._stopping:
            return
        self._stopping = True
        watcher, self.watcher = self.watcher, None
        await asyncio.gather(self._stop_worker(), self._stop_watcher(watcher))

    async def _stop_worker(self) -> None:
        if self.worker is None:
            return
        try:
            await self.worker.stop()
        except Exception as exc:  # noqa: BLE001
            self._report("the worker did not stop cleanly", exc, stopped=False)

    async def _stop_watcher(self, watcher: DropWatcher | None) -> None:
        if watcher is None:
            return
        try:
            await asyncio.to_thread(watcher.stop)
        except Exception as exc:  # noqa: BLE001
            self._report("the drop-folder watcher did not stop cleanly", exc, stopped=False)
