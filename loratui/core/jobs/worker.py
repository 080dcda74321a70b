"""The asyncio orchestrator: claims jobs, feeds the process pool, commits results.

One ``Worker`` serves one project, from the CLI (``await run_until_idle()``) or inside
the TUI (``start()`` / ``await stop()``). Extraction runs only in pool processes; the
database is touched only from one dedicated thread (a SQLite lock held by another
process must never freeze the event loop), so the loop only schedules and awaits.

For each claimed document the first pool task counts its pages (and extracts small files
whole; several small non-PDF files share one task, see ``batches``); a big PDF is
then split into ``pdf_pages_per_task`` ranges that run in parallel, each range committed
as soon as it is done. Pages that came out (nearly) empty from a kind whose pages may be
scans go to OCR, one pool task a page, before their range is committed. A restart finds
the committed pages and extracts only the missing ranges.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import traceback as tb_mod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import peewee

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.extract.shared import PageText
from loratui.core.jobs import batches as look_batches
from loratui.core.jobs import queue, worker_notes
from loratui.core.jobs import results as job_results
from loratui.core.jobs.pool import ExtractionPool, extract_range, first_look, ocr_page
from loratui.core.jobs.worker_db import claim_batch, page_ranges
from loratui.core.store import db, owners
from loratui.core.store import settings as settings_mod
from loratui.core.store.models import Document, Job, Project

UPDATE_INTERVAL_S = 0.25  # at most this often per document for progress updates
POLL_S = 0.5  # how often an idle worker looks for new jobs (watch / TUI mode)
RECLAIM_EVERY_S = 30.0
RENEW_EVERY_S = 5.0  # also how soon a job cancelled elsewhere stops here
# Tasks handed to the pool per process: one running and one waiting in pebble's channel,
# so a worker starts its next file without waiting for the orchestrator to see the last
# result (a task's time limit counts from when a process starts it, not from queueing).
TASKS_AHEAD = 2
INFLIGHT_PER_WORKER = 4  # documents held per pool slot, so the pool never waits on the DB
# While pool tasks take less than QUICK_TASK_S (small files), hold more documents per slot:
# claims and completions then go in bigger batches, and the single DB thread, not the
# pool, was the limit. Slow tasks (big PDFs) keep few documents in flight, so the queue
# shows as "processing" only what is really being extracted.
INFLIGHT_QUICK = 16
QUICK_TASK_S = 0.05


@dataclass(frozen=True)
class WorkerUpdate:
    """What the TUI needs to redraw a queue row (``document_id`` None: the worker itself)."""

    document_id: int | None
    state: str  # processing, done, failed, retry, released, or the worker's state
    pages_done: int = 0
    pages_total: int = 0
    message: str = ""


class Worker:
    """Process a project's queue with a pool of extraction processes."""

    def __init__(
        self,
        project_id: int,
        workers: int | None = None,
        owner: str | None = None,
        on_update: Callable[[WorkerUpdate], None] | None = None,
        pool_factory: Callable[[int, dict[str, Any]], Any] | None = None,
    ) -> None:
        """``pool_factory(workers, settings)``: where extraction runs, anything with
        ``ExtractionPool``'s ``run`` and ``close`` (another engine's pool, e.g.
        ``scale.extraction.RayExtractionPool``); the local process pool if None."""
        self.project_id = project_id
        self.owner = owner or owners.new_owner()
        self.on_update = on_update
        self._workers_arg = workers
        self.concurrency = 1
        self.state = "idle"
        self.processed = 0  # documents finished by this worker (done or failed)
        self.done = 0
        self.failed = 0
        self.retried = 0
        self.pages = 0
        self._db: ThreadPoolExecutor | None = None
        self._pool: ExtractionPool | None = None
        self._slots: asyncio.Semaphore | None = None
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._stopping = False
        self._fatal: LoratuiError | None = None  # a full disk or a damaged database: stop
        self._wake: asyncio.Event | None = None
        self._run_done: asyncio.Event | None = None
        self._main: asyncio.Task[None] | None = None
        self._last_update: dict[int | None, float] = {}
        self._limits: dict[str, Any] = {}
        self._task_s = float("inf")  # moving average of pool task times; unknown at first
        self._to_complete: list[tuple[job_results.Completion, asyncio.Future[Document]]] = []
        self._completer: asyncio.Task[None] | None = None
        self._completing: set[int] = set()  # jobs handed to the completer
        self._looks: look_batches.LookBatcher | None = None
        self._pool_factory = pool_factory or ExtractionPool.from_settings
        # what libraries logged in the pool about each document in flight (worker_notes)
        self._notes: dict[int, list[worker_notes.Note]] = {}

    # ------------------------------------------------------------ helpers

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a (short) database function on the worker's DB thread."""
        if self._db is None:
            self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loratui-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    def _emit(self, update: WorkerUpdate, force: bool = False) -> None:
        if self.on_update is None:
            return
        t = time.monotonic()
        key = update.document_id
        if not force and t - self._last_update.get(key, 0.0) < UPDATE_INTERVAL_S:
            return
        self._last_update[key] = t
        try:
            self.on_update(update)
        except Exception:  # noqa: BLE001 - a UI callback must never stop the worker
            pass

    def _set_state(self, state: str, message: str = "") -> None:
        if state != self.state:
            self.state = state
            self._emit(WorkerUpdate(None, state, message=message), force=True)

    def _load_settings(self) -> dict[str, Any]:
        project = Project.get_by_id(self.project_id)
        return settings_mod.effective(project.settings)

    # ------------------------------------------------------------ lifecycle

    async def run_until_idle(self) -> None:
        """Process until nothing runnable is left (the CLI ``process`` command)."""
        self._stopping = False
        await self._run(until_idle=True)

    def start(self) -> asyncio.Task[None]:
        """Run in the background until ``stop()``, picking up new jobs as they come."""
        if self._main is None or self._main.done():
            self._stopping = False
            self._main = asyncio.get_running_loop().create_task(self._run(until_idle=False))
        return self._main

    def wake(self) -> None:
        """Look for new jobs now (e.g. right after files were added)."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Stop: in-flight jobs go back to the queue without counting an attempt."""
        self._stopping = True
        self._set_state("stopping")
        self.wake()
        for task in list(self._inflight.values()):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        if self._main is not None and self._main is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
        elif self._run_done is not None:  # run_until_idle, awaited by another task
            await self._run_done.wait()
        await self._shutdown(kill=True)

    async def _shutdown(self, kill: bool) -> None:
        if self._completer is not None:  # its last batch needs the DB thread
            with contextlib.suppress(BaseException):
                await self._completer
        if self._looks is not None:
            await self._looks.cancel_all()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(None, pool.close, kill)
        if self._db is not None:
            from loratui.core.store import db

            with contextlib.suppress(Exception):
                await self._call(db.close)  # the DB thread's own connection
            executor, self._db = self._db, None
            executor.shutdown(wait=True)
        self._set_state("stopped")

    async def _run(self, until_idle: bool) -> None:
        self._wake = asyncio.Event()
        self._run_done = asyncio.Event()
        try:
            self._limits = await self._call(self._load_settings)
            self.concurrency = settings_mod.workers(self._workers_arg or self._limits["workers"])
            self._slots = asyncio.Semaphore(self.concurrency * TASKS_AHEAD)
            self._pool = self._pool_factory(self.concurrency, self._limits)
            per_task = int(self._limits["pdf_pages_per_task"]) or 25
            self._looks = look_batches.LookBatcher(self._in_pool, self._limits, per_task)
            lease_s = float(self._limits["lease_s"])
            await self._call(queue.reclaim_expired, self.project_id)
            last_renew = last_reclaim = time.monotonic()
            if not self._stopping:
                self._set_state("running")
            while not self._stopping:
                try:
                    if self._fatal is not None:
                        raise self._fatal
                    claimed = await self._fill(lease_s)
                    t = time.monotonic()
                    if t - last_renew > min(lease_s / 4, RENEW_EVERY_S):
                        await self._renew(lease_s)
                        last_renew = t
                    if t - last_reclaim > RECLAIM_EVERY_S:
                        await self._call(queue.reclaim_expired, self.project_id)
                        last_reclaim = t
                    if self._inflight:
                        self._set_state("running")
                        await asyncio.wait(
                            list(self._inflight.values()),
                            timeout=POLL_S if not claimed else 0.05,
                            return_when=asyncio.FIRST_COMPLETED,
                        )
                        continue
                    paused = await self._call(
                        lambda: bool(Project.get_by_id(self.project_id).paused)
                    )
                    nxt = await self._call(queue.next_runnable_at, self.project_id)
                except peewee.OperationalError as exc:  # e.g. locked past the busy timeout
                    if not db.is_busy(exc):  # waiting cures a lock, not a full disk
                        raise db.explain(exc) from exc
                    self._emit(WorkerUpdate(None, self.state, message=f"database busy: {exc}"))
                    await asyncio.sleep(1.0)
                    continue
                if until_idle and nxt is None:
                    break
                wait_s = POLL_S
                if nxt is not None:
                    wait_s = min(max(0.05, nxt - time.time()), POLL_S if not until_idle else 5.0)
                self._set_state("paused" if paused else "idle")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait_s)
        finally:
            self._run_done.set()
            if not self._stopping:
                if self._inflight:  # cancelled from outside: hand the jobs back
                    self._stopping = True
                    for task in list(self._inflight.values()):
                        task.cancel()
                    await asyncio.gather(*self._inflight.values(), return_exceptions=True)
                await asyncio.shield(self._shutdown(kill=self._stopping))

    async def _fill(self, lease_s: float) -> int:
        quick = self._task_s < QUICK_TASK_S
        capacity = self.concurrency * (INFLIGHT_QUICK if quick else INFLIGHT_PER_WORKER)
        free = capacity - len(self._inflight)
        # claim in batches (half the capacity), unless the pool may run short of work
        if self._stopping or free <= 0:
            return 0
        if free < capacity // 2 and len(self._inflight) > self.concurrency:
            return 0
        claimed = await self._call(claim_batch, self.project_id, self.owner, lease_s, free)
        loop = asyncio.get_running_loop()
        for job, doc, path in claimed:
            task = loop.create_task(self._process(job, doc, path))
            self._inflight[job.id] = task
            task.add_done_callback(lambda _t, jid=job.id: self._inflight.pop(jid, None))
        return len(claimed)

    async def _renew(self, lease_s: float) -> None:
        ids = list(self._inflight)
        held = await self._call(queue.renew_many, ids, self.owner, lease_s)
        for jid in ids:
            # a job the completer just finished is no longer held either; its task
            # only waits for the batch's answer (a lost lease comes back as LeaseLost)
            if jid not in held and jid in self._inflight and jid not in self._completing:
                self._inflight[jid].cancel()  # cancelled or reclaimed elsewhere: stop it

    # ------------------------------------------------------------ one document

    async def _process(self, job: Job, doc: Document | None, path: str) -> None:
        started = time.monotonic()
        if doc is None:
            return  # the document was purged: the lease expires
        self._emit(WorkerUpdate(doc.id, "processing", doc.pages_done, doc.pages or 0), True)
        self._notes[doc.id] = []
        try:
            await self._extract(job, doc, path, started)
        except asyncio.CancelledError:
            self._notes.pop(doc.id, None)
            if self._stopping:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._call(queue.release, job.id, self.owner))
                self._emit(WorkerUpdate(doc.id, "released", message="stopped"), True)
            raise
        except queue.LeaseLost:
            self._emit(WorkerUpdate(doc.id, "released", message="no longer ours"), True)
        except peewee.OperationalError as exc:
            if not db.is_busy(exc):
                self._fatal = db.explain(exc)
                self._wake.set()  # type: ignore[union-attr] - set while running
                return
            err = LoratuiError("locked", f"the database stayed busy ({exc})")
            await self._fail(job, doc, err, tb_mod.format_exc())
        except LoratuiError as err:
            self._notes.get(doc.id, []).extend(getattr(err, "library_notes", None) or ())
            await self._fail(job, doc, err, getattr(err, "traceback", None))
        except Exception as exc:  # noqa: BLE001 - any bug becomes a visible failure
            err = LoratuiError("internal", f"unexpected error while processing: {exc}")
            await self._fail(job, doc, err, tb_mod.format_exc())
        await self._record_notes(doc)

    async def _record_notes(self, doc: Document) -> None:
        """Library warnings about ``doc`` go to the project's log, on the document."""
        notes = self._notes.pop(doc.id, None)
        if not notes:
            return
        with contextlib.suppress(peewee.OperationalError):  # the DB stays busy: dropped
            await self._call(worker_notes.record, self.project_id, doc.id, doc.name, notes)

    async def _fail(self, job: Job, doc: Document, err: LoratuiError, tb: str | None) -> None:
        try:
            outcome = await self._call(job_results.fail, job.id, err, tb, self.owner)
        except (queue.LeaseLost, peewee.OperationalError):
            return  # not ours any more, or the DB is still busy: the lease will expire
        if outcome == "retry":
            self.retried += 1
        else:
            self.processed += 1
            self.failed += 1
        self._emit(WorkerUpdate(doc.id, outcome, message=f"{err.code}: {err.message}"), True)

    async def _complete(self, item: job_results.Completion) -> Document:
        """Complete a job together with whatever else finished meanwhile: the DB thread
        writes one transaction per batch while the pool goes on extracting."""
        future: asyncio.Future[Document] = asyncio.get_running_loop().create_future()
        self._to_complete.append((item, future))
        self._completing.add(item.job_id)
        if self._completer is None or self._completer.done():
            self._completer = asyncio.get_running_loop().create_task(self._complete_batches())
        try:
            return await future
        finally:
            self._completing.discard(item.job_id)

    async def _complete_batches(self) -> None:
        while self._to_complete:
            batch, self._to_complete = self._to_complete, []
            try:
                results = await self._call(job_results.complete_many, [i for i, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. the database stayed busy
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its task was cancelled meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _in_pool(
        self,
        fn: Callable[..., Any],
        *args: Any,
        items: int = 1,
        timeout: float | None = None,
        notes: list[worker_notes.Note] | None = None,
    ) -> Any:
        """Run one pool task (serving ``items`` documents) when a slot is free; ``timeout``
        replaces ``task_timeout_s`` for it; ``notes`` gets what libraries logged."""
        assert self._slots is not None and self._pool is not None
        async with self._slots:
            t0 = time.monotonic()
            result = await self._pool.run(fn, *args, timeout=timeout, notes=notes)
            spent = (time.monotonic() - t0) / items
            self._task_s = (
                spent if self._task_s == float("inf") else 0.8 * self._task_s + 0.2 * spent
            )
            return result

    async def _extract(self, job: Job, doc: Document, path: str, started: float) -> None:
        if not os.path.exists(path):
            raise LoratuiError(
                "not_found",
                f"the stored copy of {doc.name} is missing (never stored, or removed)",
                "add the file again with `loratui add PROJECT PATH`",
            )
        kind = doc.kind
        notes = self._notes.setdefault(doc.id, [])
        per_task = int(self._limits["pdf_pages_per_task"]) or 25
        extract_s = 0.0
        total = doc.pages
        if total is None or kind is None:
            t0 = time.monotonic()
            if self._looks is not None and look_batches.batchable(kind, doc.size):
                (kind, total, pages), extract_s, looked = await self._looks.look(
                    (path, kind, doc.name, doc.password)
                )
                notes.extend(looked)
            else:
                kind, total, pages = await self._in_pool(
                    first_look,
                    path,
                    kind,
                    doc.name,
                    doc.password,
                    self._limits,
                    per_task,
                    notes=notes,
                )
                extract_s = time.monotonic() - t0
            if pages is not None:  # small file: extracted whole, complete in one txn
                t0 = time.monotonic()
                pages = await self._read_scans(doc, path, kind, pages)
                extract_s += time.monotonic() - t0
                await self._finish(job, doc, pages, total, extract_s, started, kind)
                return
            await self._call(job_results.set_total, job.id, self.owner, total, kind)
        have = await self._call(job_results.stored_page_numbers, doc.id)
        done = len(have)
        # once per document, not throttled: the page total is news the UI must not miss
        self._emit(WorkerUpdate(doc.id, "processing", done, total), True)

        async def one_range(start: int, end: int) -> float:
            nonlocal done
            t0 = time.monotonic()
            pages = await self._in_pool(
                extract_range, path, kind, start, end, doc.password, self._limits, notes=notes
            )
            pages = await self._read_scans(doc, path, kind, pages)
            spent = time.monotonic() - t0
            done = await self._call(job_results.commit_pages, job.id, self.owner, pages)
            self._emit(WorkerUpdate(doc.id, "processing", done, total))
            return spent

        tasks = [
            asyncio.ensure_future(one_range(s, e)) for s, e in page_ranges(total, per_task, have)
        ]
        try:
            for spent in await asyncio.gather(*tasks):
                extract_s += spent
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        await self._finish(job, doc, [], total, extract_s, started, kind)

    async def _read_scans(
        self, doc: Document, path: str, kind: str | None, pages: list[tuple[int, str]]
    ) -> list[tuple[int, str]]:
        """``pages`` with those OCR read replaced (``PageText``): for kinds whose pages may
        be scans, each page the ``ocr`` setting picks is its own pool task."""
        known = kinds.find(kind)
        if known is None or not known.reads_images or not pages:
            return pages
        from loratui.core.extract import ocr  # (numpy: only once a PDF is being read)

        how = ocr.mode(self._limits)  # ocr=force without the extra fails the document
        wanted = [(n, text) for n, text, *_ in pages if ocr.candidate(text, how)]
        if not wanted:
            return pages
        limit = float(self._limits["ocr_timeout_s"]) or None

        async def read_one(n: int, text: str) -> PageText | None:
            try:
                return await self._in_pool(
                    ocr_page,
                    path,
                    kind,
                    n,
                    text,
                    doc.password,
                    self._limits,
                    timeout=limit,
                    notes=self._notes.get(doc.id),
                )
            except LoratuiError as err:
                raise ocr.page_error(err, n, limit) from err

        tasks = [asyncio.ensure_future(read_one(n, text)) for n, text in wanted]
        try:
            read: list[PageText | None] = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        by_number = {p.number: p for p in read if p is not None}
        return [by_number.get(p[0], p) for p in pages]

    async def _finish(
        self,
        job: Job,
        doc: Document,
        pages: list[tuple[int, str]],
        total: int,
        extract_s: float,
        started: float,
        kind: str | None = None,
    ) -> None:
        final = await self._complete(
            job_results.Completion(job.id, self.owner, pages, total, extract_s, kind)
        )
        self.processed += 1
        self.done += 1
        self.pages += final.pages or 0
        self._emit(
            WorkerUpdate(
                doc.id,
                "done",
                final.pages or 0,
                final.pages or 0,
                message=f"{time.monotonic() - started:.1f} s",
            ),
            True,
        )
