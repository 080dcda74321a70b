"""The pool of extraction processes: isolation, time and memory limits.

Why processes: a PDF that hangs, eats memory or segfaults must kill only the process
extracting it. Every extraction runs in a pebble ``ProcessPool`` worker; pebble kills a
worker whose task runs past its timeout and starts a fresh one when a worker dies, so the
pool (and the run) goes on. Each worker caps its address space with ``RLIMIT_AS``
(``max_worker_memory_mb``) so a runaway allocation raises ``MemoryError`` there instead
of dragging the machine into swap, and asks the kernel to kill it if its parent dies, so
a SIGKILLed ``process`` command leaves no orphan extracting forever.

Workers come from a ``forkserver`` (on Linux): forking the orchestrator itself, which
runs threads (the TUI, the DB thread), is unsafe.

Failures come back as ``LoratuiError`` with codes ``timeout``, ``memory``, ``crashed``,
or the extractor's own code; the remote traceback is on ``err.traceback``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.extract.shared import PageText
from loratui.core.jobs import spool as pool_spool
from loratui.core.jobs import worker_notes

MB = 1024 * 1024
# Recycle workers now and then (bounded fragmentation and leaks), but rarely: pebble
# replaces a retired worker only on its next status tick (0.1 s), a pause that
# cost tiny files more than their extraction at 200 tasks a process.
TASKS_PER_PROCESS = 1000


# ---------------------------------------------------------------- inside the workers


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def init_worker(max_memory_mb: int, kind_modules: tuple[str, ...] = ()) -> None:
    """Process initializer: ignore Ctrl-C (the orchestrator handles it), die with the
    parent, cap the address space, and import the document kinds the orchestrator added
    at run time (``kinds.REGISTRY.extensions()``: built-in kinds need nothing)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _set_parent_death_signal()
    worker_notes.silence_terminal()  # libraries' messages come back as notes instead
    if max_memory_mb and max_memory_mb > 0:
        import resource

        limit = int(max_memory_mb) * MB
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if kind_modules:
        kinds.REGISTRY.load(kind_modules)


def first_look(
    path: str,
    kind: str | None,
    name: str,
    password: str | None,
    limits: dict[str, Any],
    whole_up_to: int,
) -> tuple[str, int, list[tuple[int, str]] | None]:
    """Detect the kind if unknown, count the pages, and when there are few (or the kind is
    not read range by range) extract them all in the same call: one round trip per small
    file.

    Returns ``(kind, pages, extracted pages or None)``.
    """
    from loratui.core import extract

    if kind is None:
        from loratui.core.ingest.detect import detect_kind

        kind = detect_kind(path, limits, name=name)
    total = extract.count_pages(path, kind, password, limits)
    if total <= 0:
        return kind, total, []
    if not kinds.get(kind).ranged or total <= whole_up_to:
        return kind, total, extract.extract_pages(path, kind, 1, total, password, limits)
    return kind, total, None


def first_look_many(
    looks: list[tuple[str, str | None, str, str | None]],
    limits: dict[str, Any],
    whole_up_to: int,
) -> list[tuple[bool, Any, float, list[worker_notes.Note]]]:
    """``first_look`` for several small files ``(path, kind, name, password)`` in one task.

    Each file's outcome is ``(True, first_look's result, seconds, notes)`` or ``(False,
    the exception, seconds, notes)``, the exception carrying its traceback as
    ``.traceback`` (as pebble's own do), so one bad file does not fail the others; the
    notes are what libraries logged about that file (``worker_notes``).
    """
    out: list[tuple[bool, Any, float, list[worker_notes.Note]]] = []
    for path, kind, name, password in looks:
        t0 = time.monotonic()
        with worker_notes.capture() as notes:
            try:
                result = first_look(path, kind, name, password, limits, whole_up_to)
            except Exception as exc:  # noqa: BLE001 - handed back as that file's outcome
                with contextlib.suppress(AttributeError):  # (a frozen exception keeps none)
                    exc.traceback = traceback.format_exc()  # type: ignore[attr-defined]
                ok, value = False, exc
            else:
                ok, value = True, result
        out.append((ok, value, time.monotonic() - t0, notes))
    return out


def open_with(path: str, kind: str, password: str, limits: dict[str, Any]) -> int:
    """Open ``path`` with ``password`` and count its pages (``wrong_password`` when it does
    not open): an unlock is confirmed only once the password worked."""
    from loratui.core import extract

    return extract.count_pages(path, kind, password, limits)


def extract_range(
    path: str, kind: str, start: int, end: int, password: str | None, limits: dict[str, Any]
) -> list[tuple[int, str]]:
    """Extract pages ``start..end`` (1-based, inclusive)."""
    from loratui.core import extract

    return extract.extract_pages(path, kind, start, end, password, limits)


def ocr_page(
    path: str, kind: str, number: int, text: str, password: str | None, limits: dict[str, Any]
) -> PageText | None:
    """Read page ``number`` by OCR (``DocumentKind.ocr_page``), or None when its text layer
    (``text``) stays: one page a task, under its own limit (``ocr_timeout_s``)."""
    return kinds.get(kind).ocr_page(path, number, text, password, limits)


# ---------------------------------------------------------------- in the orchestrator


def _context() -> Any:
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["loratui.core.jobs.pool", "loratui.core.extract", *kinds.MODULES]
        )
        return ctx
    return multiprocessing.get_context("spawn")


def _signal_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def classify(exc: BaseException, timeout: float | None) -> LoratuiError:
    """Turn what a pool future raised into a ``LoratuiError`` a user can act on."""
    remote_tb = getattr(exc, "traceback", None)
    if isinstance(exc, LoratuiError):
        err = exc
    elif isinstance(exc, TimeoutError) and remote_tb is None:
        err = LoratuiError(
            "timeout",
            f"extraction took longer than the {timeout:g} s limit and was stopped",
        )
    elif isinstance(exc, BrokenProcessPool):
        err = LoratuiError(
            "crashed", "the extraction processes could not start or all died at once"
        )
    elif isinstance(exc, ProcessExpired):
        how = _signal_name(exc.exitcode)
        err = LoratuiError(
            "crashed",
            f"the worker process extracting this file died ({how})",
        )
    elif isinstance(exc, MemoryError):
        err = LoratuiError("memory", "extraction ran past the worker's memory limit")
    elif isinstance(exc, OSError):
        err = LoratuiError("io_error", f"the stored file could not be read ({exc})")
    else:
        detail = str(exc) or type(exc).__name__
        err = LoratuiError(
            "internal",
            f"unexpected error while extracting this file: {detail}",
        )
    err.traceback = remote_tb  # type: ignore[attr-defined]
    return err


class ExtractionPool:
    """A pebble process pool with per-task timeout and per-process memory limit."""

    def __init__(self, workers: int, task_timeout_s: float, max_memory_mb: int) -> None:
        self.workers = max(1, int(workers))
        self.task_timeout_s = float(task_timeout_s) if task_timeout_s else None
        self.max_memory_mb = int(max_memory_mb or 0)
        self._pool: ProcessPool | None = None
        self._spool: Path | None = None  # large results come back through files here

    @classmethod
    def from_settings(cls, workers: int, limits: dict[str, Any]) -> ExtractionPool:
        return cls(workers, limits["task_timeout_s"], limits["max_worker_memory_mb"])

    def _ensure(self) -> ProcessPool:
        if self._spool is None:
            self._spool = pool_spool.new_folder()
        if self._pool is None:
            self._pool = ProcessPool(
                max_workers=self.workers,
                max_tasks=TASKS_PER_PROCESS,
                initializer=init_worker,
                initargs=(self.max_memory_mb, kinds.REGISTRY.extensions()),
                context=_context(),
            )
        return self._pool

    async def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        timeout: float | None = None,
        notes: list[worker_notes.Note] | None = None,
    ) -> Any:
        """Run ``fn(*args)`` in a worker process; raise ``LoratuiError`` on failure.

        ``timeout``: this task's limit in seconds instead of ``task_timeout_s`` (a page
        read by OCR has its own). ``notes``: gets what libraries logged or warned in the
        task (also when it failed). Cancelling the awaiting task cancels the pool task
        (pebble stops its process if it already started).
        """
        pool = self._ensure()
        limit = float(timeout) if timeout else self.task_timeout_s
        future = pool.schedule(
            pool_spool.spooled_call, args=(fn, args, str(self._spool)), timeout=limit
        )
        try:
            message = await asyncio.wrap_future(future)
            if notes is not None:
                notes.extend(message[2])
            return pool_spool.result_of(message)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BrokenProcessPool as exc:  # workers die at start-up: build a new pool
            if self._pool is pool:
                self._pool = None
                pool.stop()
            raise classify(exc, limit) from exc
        except Exception as exc:  # noqa: BLE001 - classified into a LoratuiError
            came = getattr(exc, "library_notes", None) or ()
            with contextlib.suppress(AttributeError):  # handed over once, not again by callers
                del exc.library_notes  # type: ignore[attr-defined]
            if notes is not None:
                notes.extend(came)
            raise classify(exc, limit) from exc

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for diagnostics and tests)."""
        if self._pool is None:
            return []
        manager = getattr(self._pool, "_pool_manager", None)
        workers = getattr(getattr(manager, "worker_manager", None), "workers", {})
        return [pid for pid, proc in list(workers.items()) if proc.is_alive()]

    def close(self, kill: bool = False) -> None:
        """Stop the pool: wait for running tasks, or (``kill``) stop them at once."""
        pool, self._pool = self._pool, None
        spool, self._spool = self._spool, None
        try:
            self._stop(pool, kill)
        finally:
            if spool is not None:
                shutil.rmtree(spool, ignore_errors=True)

    @staticmethod
    def _stop(pool: ProcessPool | None, kill: bool) -> None:
        if pool is None:
            return
        if kill:
            pool.stop()
        else:
            pool.close()
        pool.join(timeout=30)
        if pool.active:
            pool.stop()
            pool.join(timeout=10)
