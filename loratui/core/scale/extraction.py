"""Extraction as Ray tasks: the local pool's own functions, run anywhere on a cluster.

``RayExtractionPool`` answers the ``Worker`` as ``ExtractionPool`` does (``run``,
``close``): the Worker claims jobs, holds their leases, commits each page range as it
comes back and completes documents in batches, all in the one process that holds the
SQLite catalogue; only the calls that read the originals and extract text
(``first_look``, ``first_look_many``, ``extract_range``, ``ocr_page``) run as Ray tasks,
on whatever node has a free CPU. So leases, retries, the audit trail and the per-page
checkpoints are the local engine's.

Faults: a Ray worker that dies mid-task (killed, out of memory, its node lost) is
retried by Ray itself (``RAY_MAX_RETRIES``); past that, the document fails with
``crashed`` and the queue's own retries take over, as with the local pool. A task past
its time limit is cancelled (its worker process is killed) and fails with ``timeout``.
The limit counts from submission, and a task is submitted only when one of the cluster's
CPUs is free for it, so it counts (near enough) from its start, as locally; the first task
of a pool warms one worker per CPU up (its imports) first, outside any limit, as the local
pool's processes import before their first task. The
per-process memory limit (``max_worker_memory_mb``) is not applied: Ray workers are
shared, long-lived processes; Ray's own memory monitor kills (and retries) a task that
runs its node short of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.jobs import worker_notes
from loratui.core.jobs.pool import classify
from loratui.core.scale.runtime import Cluster, import_ray

RAY_MAX_RETRIES = 2  # Ray's retries of a task whose worker or node died


def run_task(fn: Callable[..., Any], args: tuple[Any, ...], kind_modules: tuple[str, ...]) -> Any:
    """In a Ray worker: register the document kinds the driver added at run time (a
    worker serves many tasks; adding twice is harmless), then ``fn(*args)``."""
    if kind_modules:
        kinds.REGISTRY.load(kind_modules)
    worker_notes.route_to_notes()  # Ray's worker processes are its own: set up here
    try:
        with worker_notes.capture() as notes:  # what libraries logged, as the local pool
            value = fn(*args)
    except Exception as exc:
        with contextlib.suppress(AttributeError):  # (a frozen exception keeps none)
            exc.library_notes = notes  # type: ignore[attr-defined]
        raise
    return value, notes


class RayExtractionPool:
    """Extraction tasks on a Ray cluster, one CPU each."""

    def __init__(
        self, cluster: Cluster, task_timeout_s: float, max_retries: int = RAY_MAX_RETRIES
    ) -> None:
        ray = import_ray()
        self.workers = cluster.cpus
        self.task_timeout_s = float(task_timeout_s) if task_timeout_s else None
        self._task = ray.remote(run_task).options(num_cpus=1, max_retries=max_retries)
        self._free: asyncio.Semaphore | None = None  # CPUs of the cluster not given a task
        self._refs: set[Any] = set()
        self._warm: asyncio.Future[None] | None = None

    @classmethod
    def factory(cls, cluster: Cluster) -> Callable[[int, dict[str, Any]], RayExtractionPool]:
        """What ``Worker(pool_factory=...)`` calls with its worker count and settings."""
        return lambda _workers, limits: cls(cluster, limits["task_timeout_s"])

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        timeout: float | None = None,
        notes: list[worker_notes.Note] | None = None,
    ) -> Any:
        """Run ``fn(*args)`` as a Ray task; raise ``LoratuiError`` on failure (cancelling
        the awaiting task cancels the Ray task). ``notes`` gets what libraries logged or
        warned in the task, also when it failed (``worker_notes``)."""
        ray = import_ray()
        limit = float(timeout) if timeout else self.task_timeout_s
        if self._free is None:
            self._free = asyncio.Semaphore(self.workers)
            self._warm = asyncio.ensure_future(self._warm_up())
        assert self._warm is not None
        await asyncio.shield(self._warm)
        async with self._free:
            ref = self._task.remote(fn, args, kinds.REGISTRY.extensions())
            self._refs.add(ref)
            try:
                value, logged = await asyncio.wait_for(asyncio.wrap_future(ref.future()), limit)
                if notes is not None:
                    notes.extend(logged)
                return value
            except (asyncio.CancelledError, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise classify(TimeoutError(), limit) from exc
            except ray.exceptions.RayTaskError as exc:  # the task itself raised
                cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                if notes is not None:
                    notes.extend(getattr(cause, "library_notes", None) or ())
                with contextlib.suppress(AttributeError):
                    cause.traceback = exc.traceback_str  # type: ignore[attr-defined]
                raise classify(cause, limit) from exc
            except ray.exceptions.OutOfMemoryError as exc:  # Ray's memory monitor, every try
                raise LoratuiError(
                    "memory", "Ray stopped the task: its node ran short of memory"
                ) from exc
            except ray.exceptions.RayError as exc:  # its worker or node died, retries spent
                raise LoratuiError(
                    "crashed",
                    f"the Ray worker extracting this file died ({type(exc).__name__}), "
                    f"also on Ray's retries",
                ) from exc
            finally:
                self._refs.discard(ref)

    async def _warm_up(self) -> None:
        """One task per CPU that only imports what extraction needs (and the kinds added
        at run time), so a worker's start-up never counts against a task's time limit."""
        kind_modules = kinds.REGISTRY.extensions()
        refs = [self._task.remote(os.getpid, (), kind_modules) for _ in range(self.workers)]
        self._refs.update(refs)
        try:
            await asyncio.gather(
                *(asyncio.wrap_future(ref.future()) for ref in refs), return_exceptions=True
            )
        finally:
            self._refs.difference_update(refs)

    def worker_pids(self) -> list[int]:
        """The local pool lists its processes; Ray's belong to the cluster."""
        return []

    def close(self, kill: bool = False) -> None:
        """Forget the tasks (``kill``: cancel those still running); the cluster stays."""
        refs, self._refs = list(self._refs), set()
        if kill and refs:
            ray = import_ray()
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
