"""First looks at small files, several to one pool task.

Why: a text file or a small DOCX is counted and extracted in a few milliseconds or less,
while handing it to the pool alone costs a round trip through pebble's pipes and threads
and the asyncio loop (about 0.7 ms on a quiet machine, several under load). The documents
a worker claims together ask for their first looks in the same loop iteration; those of
small files of kinds that allow it (``DocumentKind.batch_small_files``: DOCX, text and
records, not PDF) go out together, up to ``MAX_BATCH`` to a task.

A batch that fails as a whole (a worker process killed, a time limit, a result that does
not pickle) is run again one file per task, so each error lands on the file that caused
it and is reported exactly as it would have been without batching.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from loratui.core.extract import kinds
from loratui.core.jobs.pool import classify, first_look, first_look_many

SMALL_FILE_BYTES = 256 * 1024
MAX_BATCH = 8

Look = tuple[str, str | None, str, str | None]  # path, kind, name, password
# first_look's result, seconds, what libraries logged about the file (worker_notes)
Outcome = tuple[tuple[str, int, list[tuple[int, str]] | None], float, list[Any]]


def batchable(kind: str | None, size: int | None) -> bool:
    """Whether a document's first look may share a pool task with others."""
    known = kinds.find(kind)
    return known is not None and known.batch_small_files and 0 <= (size or 0) <= SMALL_FILE_BYTES


class LookBatcher:
    """Collect first looks of small files and run them in shared pool tasks.

    ``run(fn, *args, items=n)`` runs one pool task (``Worker._in_pool``).
    """

    def __init__(
        self,
        run: Callable[..., Awaitable[Any]],
        limits: dict[str, Any],
        whole_up_to: int,
    ) -> None:
        self._run = run
        self._limits = limits
        self._whole_up_to = whole_up_to
        self._pending: list[tuple[Look, asyncio.Future[Outcome]]] = []
        self._flush_soon = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def look(self, look: Look) -> Outcome:
        """``first_look``'s result for one file, the seconds its extraction took and what
        libraries logged meanwhile."""
        loop = asyncio.get_running_loop()
        entry = (look, loop.create_future())
        self._pending.append(entry)
        if len(self._pending) >= MAX_BATCH:
            self._flush()
        elif not self._flush_soon:  # after the other documents claimed with this one
            self._flush_soon = True
            loop.call_soon(self._flush)
        try:
            return await entry[1]
        except asyncio.CancelledError:
            if entry in self._pending:
                self._pending.remove(entry)
            raise

    def _flush(self) -> None:
        self._flush_soon = False
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            task = asyncio.get_running_loop().create_task(self._run_batch(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def cancel_all(self) -> None:
        """Stop every batch still running (the worker is stopping)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run_batch(self, batch: list[tuple[Look, asyncio.Future[Outcome]]]) -> None:
        live = [(look, fut) for look, fut in batch if not fut.done()]
        if len(live) == 1:
            await self._single(*live[0])
            return
        if not live:
            return
        looks = [look for look, _ in live]
        try:
            outcomes = await self._run(
                first_look_many, looks, self._limits, self._whole_up_to, items=len(live)
            )
        except asyncio.CancelledError:
            for _, fut in live:
                fut.cancel()
            raise
        except Exception:  # noqa: BLE001 - the batch as a whole: one file per task
            await asyncio.gather(*(self._single(look, fut) for look, fut in live))
            return
        for (_, fut), (ok, value, seconds, notes) in zip(live, outcomes, strict=True):
            if fut.done():  # its document was cancelled meanwhile
                continue
            if ok:
                fut.set_result((value, seconds, notes))
            else:
                err = classify(value, None)
                with contextlib.suppress(AttributeError):
                    err.library_notes = notes  # type: ignore[attr-defined]
                fut.set_exception(err)

    async def _single(self, look: Look, fut: asyncio.Future[Outcome]) -> None:
        if fut.done():
            return
        t0 = time.monotonic()
        notes: list[Any] = []
        try:
            result = await self._run(
                first_look, *look, self._limits, self._whole_up_to, notes=notes
            )
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - the document's own error
            with contextlib.suppress(AttributeError):
                exc.library_notes = notes  # type: ignore[attr-defined]
            if not fut.done():
                fut.set_exception(exc)
            return
        if not fut.done():
            fut.set_result((result, time.monotonic() - t0, notes))
