"""Export worker processes: documents turned into finished, keyed records in parallel.

Cleaning, chunking, rendering, token counts and duplicate keys depend on one document
alone, so worker processes do them, a document each; what depends on every record before
it (which duplicates to drop, line numbers, splits) stays with the one process that
writes the version, which takes the documents back in their order. So the files are the
same, byte for byte, with one worker or several.

Small exports, records files and very large documents are done in the writing process
itself: a pool costs a few tenths of a second to start, records files are read from the
project folder there, and a huge document streams there page by page instead of being
held whole in a worker's memory.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.config import ExportConfig
from loratui.core.export.dedup import NearKeys
from loratui.core.export.docref import DocRef
from loratui.core.export.keyed import KEY_BATCH, Out, batches, keyed
from loratui.core.export.pipeline import RECORDS_KIND, Pipeline, Stats, iter_pages
from loratui.core.store import db
from loratui.core.store.models import Document
from loratui.core.store.owners import pid_alive

POOL_MIN_CHARS = 2_000_000  # below this much text the pool's start-up is not worth it
HUGE_DOC_CHARS = 16_000_000  # a document this big streams in the writing process
IN_FLIGHT_CHARS = 48_000_000  # text given to workers and not yet written back
TASK_CHARS = 1_000_000  # small documents share a task up to this much text
TASKS_PER_WORKER = 8  # ...or less, so that each worker gets at least this many tasks
WRITER_CHECK_S = 0.5  # how often a worker checks that the writing process still lives

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class DocResult:
    """What a worker sends back: small (its records wait in a spool file), so the message
    goes down the pipe in one atomic write; a worker killed mid-send (out of memory) cannot
    leave half a message that would block the pool forever."""

    spool: str  # the records' duplicate keys (and rows), pickled in batches
    lines: str  # the records as the kept file holds them (``kept``), in batches
    records: int
    stats: Stats
    redacted: Counter[str]
    pages: int


# ---- in a worker process ----------------------------------------------------------------

_state: tuple[Pipeline, NearKeys | None, Path] | None = None


def _exit_with_writer(writer_pid: int) -> None:
    """End this worker when the writing process is gone (SIGKILL, out of memory, a closed
    SSH session). Its parent is the forkserver, not the writer, so the kernel's parent-death
    signal does not help; and a worker waiting for its next task holds both ends of the
    task queue, so it would never see the queue close: without this it waits forever, and
    keeps the forkserver and the resource tracker alive with it."""

    def watch() -> None:
        while pid_alive(writer_pid):
            time.sleep(WRITER_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="writer-watch", daemon=True).start()


def _init(
    cfg: ExportConfig,
    near: NearKeys | None,
    database: str,
    spool: str,
    writer_pid: int,
    format_modules: tuple[str, ...] = (),
) -> None:
    """Set a worker up: its pipeline, its own connection to read pages, the spool folder,
    a watch on the writing process, and the formats the writer added at run time."""
    global _state
    _exit_with_writer(writer_pid)
    formats.REGISTRY.load(format_modules)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one thread a process: we have processes
    db.connect(Path(database))
    _state = (Pipeline(cfg, dedup=False), near, Path(spool))


def _run(doc: DocRef) -> DocResult:
    assert _state is not None, "the pool initializer sets the pipeline up"
    pipeline, near, spool = _state
    pages = list(iter_pages(doc.id))
    pipeline.stats = Stats()
    redacted: Counter[str] = Counter()
    if pipeline.redactor is not None:
        pipeline.redactor.counts = redacted
    records = pipeline.records(doc, pages=pages)
    keys = spool / f"doc-{doc.id}.keys"
    lines = spool / f"doc-{doc.id}.lines"
    count = 0
    # apart: the writer reads only the keys (the duplicate decisions are its own work);
    # the lines go from this file straight into the split files' parts (``parts``)
    with keys.open("wb") as kf, lines.open("wb") as lf:
        for batch in batches(keyed(records, pipeline.cfg.dedup_exact, near), KEY_BATCH):
            pickle.dump([(o.row, o.exact, o.near) for o in batch], kf, pickle.HIGHEST_PROTOCOL)
            rows = [(doc.id, o.line, o.tokens, o.lineage, o.row) for o in batch]
            pickle.dump(rows, lf, protocol=pickle.HIGHEST_PROTOCOL)
            count += len(batch)
    return DocResult(str(keys), str(lines), count, pipeline.stats, redacted, len(pages))


def _run_many(docs: list[DocRef]) -> list[DocResult]:
    """Several small documents in one task: a task costs the writing process a hand-over
    to the pool and back (its threads, the pipes), ~0.4 ms, whatever its size."""
    return [_run(doc) for doc in docs]


def read_spool(path: str) -> Iterator[Out]:
    """The duplicate keys of the records a worker spooled (``Out`` without its line), a
    batch at a time; the file goes when they are read.

    Spooled as plain tuples: pickling the dataclass itself went through copyreg for every
    record, and the one writing process unpickles every record."""
    try:
        with open(path, "rb") as fh:
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                for row, exact, near in batch:
                    yield Out("", 0, "", row, exact, near)
    finally:
        Path(path).unlink(missing_ok=True)


# ---- in the writing process -------------------------------------------------------------


def _crashed() -> LoratuiError:
    return LoratuiError(
        "crashed",
        "an export worker process died (killed, or out of memory)",
        "export again; if it happens again, use `--workers 1` (one process, page by page)",
    )


def default_workers() -> int:
    """Worker processes for an export: ``LORATUI_EXPORT_WORKERS``, else one per core.

    No cap below the core count: the text in flight is bounded (``IN_FLIGHT_CHARS``)
    whatever the number of workers, and a worker that waits on the writer costs only its
    resident memory (``benchmarks/bench_scale.py`` prints both per worker count)."""
    env = os.environ.get("LORATUI_EXPORT_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


class DocumentFeed:
    """The documents of an export in order, each with its records (``Out``) to write.

    ``pipeline`` is the writing process's own (``dedup=False``): it makes the records of
    the documents done here, and the statistics of the whole export add up in it.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        docs: list[Document],
        sizes: dict[int, int],
        workers: int,
        near: NearKeys | None,
        spool: Path,
    ) -> None:
        """``spool``: a private folder where workers leave their records for the writer."""
        self.spool = spool
        self.pipeline = pipeline
        self.docs = docs
        self.sizes = sizes
        self.near = near
        pooled = [d for d in docs if self._poolable(d)]
        enough = sum(sizes.get(d.id, 0) for d in pooled) >= POOL_MIN_CHARS
        self.workers = workers if workers > 1 and len(pooled) > 1 and enough else 1
        self._pool: ProcessPoolExecutor | None = None
        # the lines file of each document the workers did (``DocResult.lines``): its
        # records, read by ``items`` without their lines, are written from there
        self.lines: dict[int, str] = {}

    def _poolable(self, doc: Document) -> bool:
        return doc.kind != RECORDS_KIND and self.sizes.get(doc.id, 0) < HUGE_DOC_CHARS

    def items(
        self, on_page: Callable[[Document], None]
    ) -> Iterator[tuple[Document, Iterator[Out]]]:
        """(document, its records) in order; ``on_page(doc)`` once per page read. The
        records of a document in ``lines`` come without their lines (``line`` empty)."""
        if self.workers == 1:
            for doc in self.docs:
                yield doc, self._here(doc, on_page)
            return
        yield from self._pooled(on_page)

    def _here(self, doc: Document, on_page: Callable[[Document], None]) -> Iterator[Out]:
        cfg = self.pipeline.cfg
        records = self.pipeline.records(doc, on_page=lambda: on_page(doc))
        return keyed(records, cfg.dedup_exact, self.near)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_init,
                initargs=(
                    self.pipeline.cfg,
                    self.near,
                    str(db.database.obj.database),
                    str(self.spool),
                    os.getpid(),
                    formats.REGISTRY.extensions(),
                ),
            )
        return self._pool

    @property
    def pooled(self) -> bool:
        """Whether the documents went to worker processes (they stay until ``close``)."""
        return self._pool is not None

    def map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """``fn`` over ``items`` in the worker processes (after ``items``: writing the split
        files in parts), results in order."""
        try:
            return list(self._start().map(fn, items))
        except BrokenProcessPool as exc:
            self.close()
            raise _crashed() from exc

    def close(self) -> None:
        """Stop the worker processes (the writer calls it when the export ends, however)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _tasks(self) -> Iterator[tuple[list[Document], int]]:
        """The documents in order, in tasks: consecutive poolable documents share one up to
        a task's share of the text (``TASK_CHARS``, less when there is little text, so every
        worker has several); a document done here is a task alone (its characters: -1)."""
        pooled = sum(self.sizes.get(d.id, 0) for d in self.docs if self._poolable(d))
        limit = max(1, min(TASK_CHARS, pooled // (TASKS_PER_WORKER * self.workers)))
        group: list[Document] = []
        chars = 0
        for doc in self.docs:
            if not self._poolable(doc):
                if group:
                    yield group, chars
                    group, chars = [], 0
                yield [doc], -1
                continue
            group.append(doc)
            chars += self.sizes.get(doc.id, 0)
            if chars >= limit:
                yield group, chars
                group, chars = [], 0
        if group:
            yield group, chars

    def _pooled(
        self, on_page: Callable[[Document], None]
    ) -> Iterator[tuple[Document, Iterator[Out]]]:
        pool = self._start()
        window = 4 * self.workers
        # (documents, their future or None when done here, their characters)
        pending: deque[tuple[list[Document], Future[list[DocResult]] | None, int]] = deque()
        todo = self._tasks()
        in_flight = 0
        try:
            while True:
                while len(pending) < window and in_flight < IN_FLIGHT_CHARS:
                    task = next(todo, None)
                    if task is None:
                        break
                    docs, chars = task
                    if chars < 0:
                        pending.append((docs, None, 0))
                        continue
                    refs = [DocRef.of(d) for d in docs]  # the workers read the pages
                    pending.append((docs, pool.submit(_run_many, refs), chars))
                    in_flight += chars
                if not pending:
                    return
                docs, future, chars = pending.popleft()
                if future is None:
                    yield docs[0], self._here(docs[0], on_page)
                    continue
                results = future.result()
                in_flight -= chars
                for doc, result in zip(docs, results, strict=True):
                    self._merge(result)
                    for _ in range(result.pages):
                        on_page(doc)
                    self.lines[doc.id] = result.lines
                    yield doc, read_spool(result.spool)
        except BrokenProcessPool as exc:
            self.close()
            raise _crashed() from exc
        except BaseException:  # cancelled, or the writer failed: stop the workers now
            self.close()
            raise

    def _merge(self, result: DocResult) -> None:
        stats = self.pipeline.stats
        stats.dropped.update(result.stats.dropped)
        stats.repeated_lines_removed += result.stats.repeated_lines_removed
        stats.documents_with_repeated_lines += result.stats.documents_with_repeated_lines
        stats.chunks += result.stats.chunks
        stats.rows += result.stats.rows
        if self.pipeline.redactor is not None:
            self.pipeline.redactor.counts.update(result.redacted)
