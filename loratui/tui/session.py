"""The running parts of the open project: its Worker (on the app's event loop) and DropWatcher.

The app owns one ProjectSession at a time. Everything here goes through the core classes; the
session only starts them, reports their state and stops them cleanly (Worker.stop releases the
jobs in flight, so quitting loses nothing).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from loratui.core import audit
from loratui.core.store.threads import thread_connection

log = logging.getLogger(__name__)

# Extraction is background work: its processes run this many nice levels below the app, so
# the event loop gets a core as soon as it wakes instead of queueing behind them (on 2
# cores with 2 extraction processes, waiting for a CPU was most of the UI's lag). Kept
# small: other programs' busy processes take CPU from niced workers too (with 2 of them
# on 2 cores, 1,000 files took 31 s at 0, 63 s at 5, 151 s at 10; lag p99 19, 12, 8 ms).
BACKGROUND_NICE = 5


def prepare_process_spawning() -> None:
    """Start multiprocessing's resource tracker while stderr is still the real terminal.

    Textual replaces sys.stderr with an object whose fileno() is -1 while the app runs; the
    tracker, started lazily by the first worker pool, would then pass -1 to fork_exec and every
    extraction would fail with "bad value(s) in fds_to_keep". Starting it now avoids that.
    """
    from multiprocessing import resource_tracker

    try:
        resource_tracker.ensure_running()
    except Exception:  # noqa: BLE001 - the pool reports its own errors if this did not help
        log.exception("could not start the multiprocessing resource tracker")


def descendant_pids(pid: int | None = None) -> list[int]:
    """Process ids of every descendant of ``pid`` (default: this process), read from Linux's
    ``/proc/PID/task/TID/children``; empty where that does not exist."""
    found: list[int] = []
    todo = [pid or os.getpid()]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as fh:
                    children = [int(c) for c in fh.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            todo += children
    return found


def lower_children_priority(step: int = BACKGROUND_NICE) -> int:
    """Run every thread of this process's descendants (the extraction forkserver, so also
    the workers it forks later, and the workers) ``step`` nice levels below this process.
    Never raises a priority; returns how many threads changed. A no-op where the platform
    has no ``setpriority`` or no ``/proc``."""
    if not hasattr(os, "setpriority"):
        return 0
    target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + step)
    changed = 0
    for pid in descendant_pids():
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except (OSError, ValueError):
            continue
        for tid in tids:  # Linux keeps a nice value per thread
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) < target:
                    os.setpriority(os.PRIO_PROCESS, tid, target)
                    changed += 1
            except OSError:  # ended meanwhile, or not ours to change
                continue
    return changed


def _import_running_parts() -> None:
    """Import what a running session needs (in a thread: the event loop stays free)."""
    import loratui.core.jobs.worker  # noqa: F401


def _stop_unwanted_watcher(starting: asyncio.Future[tuple[Any, BaseException | None]]) -> None:
    if starting.cancelled() or starting.exception() is not None:
        return
    watcher = starting.result()[0]
    if watcher is not None:
        threading.Thread(target=watcher.stop, name="loratui-drop-stop", daemon=True).start()


class ProjectSession:
    def __init__(
        self,
        project_id: int,
        on_update: Callable[[Any], None],
        on_taken: Callable[[str], None],
        on_error: Callable[[str, BaseException], None],
        on_notice: Callable[[str, str], None] | None = None,
        workers: int | None = None,
        watch: bool = True,
    ) -> None:
        self.project_id = project_id
        self._on_update = on_update
        self._on_taken = on_taken
        self._on_error = on_error
        self._on_notice = on_notice or (lambda level, message: None)
        self._workers = workers
        self._watch = watch
        self.worker: Any = None
        self.watcher: Any = None
        self._stopped = False

    def start(self) -> None:
        """Start the worker on the running event loop and the watcher in its threads."""
        self._start_worker()
        if self._watch:
            watcher, exc = self._new_watcher()
            self.watcher = watcher
            if exc is not None:
                self._report("the drop-folder watcher could not start", exc)

    async def open(self) -> None:
        """``start()`` with the slow parts off the event loop: the first import of the
        worker and watcher modules (~45 ms) and the watcher's set-up (DB reads, inotify)."""
        await asyncio.to_thread(_import_running_parts)
        if self._stopped:
            return
        await asyncio.to_thread(self._clean_stale_exports)
        self._start_worker()
        if not self._watch:
            return
        starting = asyncio.ensure_future(asyncio.to_thread(self._new_watcher_in_thread))
        try:
            watcher, exc = await asyncio.shield(starting)
        except asyncio.CancelledError:  # the app moved on: stop the watcher once it is up
            starting.add_done_callback(_stop_unwanted_watcher)
            raise
        if exc is not None:
            self._report("the drop-folder watcher could not start", exc)
        elif self._stopped and watcher is not None:  # stop() ran meanwhile
            await asyncio.to_thread(watcher.stop)
        else:
            self.watcher = watcher

    def _clean_stale_exports(self) -> None:
        """An export killed with the app last time (a dropped SSH session) leaves its
        temporary folder, possibly large, and a running job: clear them now rather than at
        the next export (exports of live processes are left alone)."""
        from loratui.core.export.stale import clean_stale
        from loratui.core.store.models import Project

        try:
            with thread_connection():
                project = Project.get_or_none(Project.id == self.project_id)
                if project is not None:
                    clean_stale(project)
        except Exception as exc:  # noqa: BLE001 - housekeeping; never stop the app for it
            self._report("could not clear an interrupted export", exc)

    def _start_worker(self) -> None:
        from loratui.core.jobs.worker import Worker

        try:
            self.worker = Worker(self.project_id, workers=self._workers, on_update=self._on_update)
            self.worker.start().add_done_callback(self._worker_ended)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.worker = None
            self._report("the worker could not start", exc)

    def _new_watcher(self) -> tuple[Any, BaseException | None]:
        """A started DropWatcher, or None and why not."""
        from loratui.core.watch.watcher import DropWatcher

        try:
            watcher = DropWatcher(self.project_id, on_taken=self._taken, on_notice=self._notice)
            watcher.start()
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            return None, exc
        return watcher, None

    def _new_watcher_in_thread(self) -> tuple[Any, BaseException | None]:
        with thread_connection():
            return self._new_watcher()

    def keep_background_priority(self) -> None:
        """Lower the priority of extraction processes started since the last call (call
        now and then: the pool replaces workers; new ones inherit the forkserver's)."""
        if self.worker is None:
            return
        try:
            lower_children_priority()
        except Exception:  # noqa: BLE001 - only a scheduling hint; never stop the app for it
            log.exception("could not lower the priority of the extraction processes")

    def _worker_ended(self, task: asyncio.Task[None]) -> None:
        """The worker's task ended: unless we stopped it, say why (never a crash)."""
        if task.cancelled() or task.exception() is None:
            return
        self._report("the worker stopped with an error", task.exception())

    def _taken(self, taken: Any) -> None:
        """Watcher thread: a file was taken; nudge the worker (thread-safely) and the UI."""
        name = str(getattr(taken, "rel_path", taken)).rsplit("/", 1)[-1]
        self._on_taken(name)

    def _notice(self, level: str, message: str) -> None:
        self._on_notice(level, message)

    def wake(self) -> None:
        """Look for new jobs now (call on the event loop, e.g. right after adding files)."""
        if self.worker is not None:
            self.worker.wake()

    def _report(self, what: str, exc: BaseException) -> None:
        try:
            audit.log_event(
                self.project_id,
                "tui.error",
                f"{what}: {exc}",
                level="error",
                data={"error": str(exc), "type": type(exc).__name__},
            )
        except Exception:  # noqa: BLE001 - the log is best effort here
            log.exception("could not log %s", what)
        self._on_error(what, exc)

    @property
    def worker_state(self) -> str:
        if self.worker is None:
            return "stopped"
        return str(getattr(self.worker, "state", "idle"))

    @property
    def watcher_status(self) -> dict[str, Any]:
        if self.watcher is None:
            return {"mode": "off"}
        try:
            return dict(self.watcher.status)
        except Exception:  # noqa: BLE001
            return {"mode": "off"}

    def busy(self) -> bool:
        """Whether stopping now interrupts work (a job in flight or queued for this worker)."""
        return self.worker_state == "running"

    async def stop(self) -> None:
        """Stop the worker (releasing jobs in flight) and the watcher; safe to call twice."""
        self._stopped = True
        worker, self.worker = self.worker, None
        watcher, self.watcher = self.watcher, None
        if worker is not None:
            try:
                await worker.stop()
            except Exception as exc:  # noqa: BLE001
                self._report("the worker did not stop cleanly", exc)
        if watcher is not None:
            try:
                await asyncio.to_thread(watcher.stop)
            except Exception as exc:  # noqa: BLE001
                self._report("the drop-folder watcher did not stop cleanly", exc)
