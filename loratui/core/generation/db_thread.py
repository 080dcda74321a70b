"""The one thread that touches the database during a generation run, with group commit.

A SQLite lock held by another process (a ``process`` run, the TUI) must never freeze the
event loop that keeps requests in flight, so every database call of a run goes through
``DBThread.call`` and is awaited. Calls that arrive while a transaction is being written
are run together in the next one: with 32 requests in flight the bookkeeping is a few
commits a second, not three per request. When a call raises, its batch is rolled back and
its calls run again one transaction each, so one call's error undoes only that call.

``call(fn, txn=False)`` runs ``fn`` alone and outside any transaction (planning, which
reads pages and writes jobs in its own short transactions).
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from loratui.core.store import db
from loratui.core.store.db import write_txn

MAX_BATCH = 256  # calls written in one transaction at most


class _Call:
    __slots__ = ("fn", "args", "future", "loop", "txn")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        future: asyncio.Future[Any],
        loop: asyncio.AbstractEventLoop,
        txn: bool,
    ) -> None:
        self.fn, self.args, self.future, self.loop, self.txn = fn, args, future, loop, txn


class DBThread:
    """A daemon thread running database calls in order; ``close()`` ends it."""

    def __init__(
        self,
        name: str = "loratui-generate-db",
        on_rollback: Callable[[], None] | None = None,
    ) -> None:
        """``on_rollback`` runs on the thread after a batch was rolled back, before its
        calls run again: memory that the calls changed (an index) is rebuilt there."""
        self.on_rollback = on_rollback
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self.transactions = 0  # write transactions committed (a bookkeeping figure)
        self.calls = 0
        self.busy_s = 0.0  # wall time spent running calls
        self.cpu_s = 0.0  # CPU time of this thread running them (no waits for the GIL)

    async def call(
        self, fn: Callable[..., Any], *args: Any, txn: bool = True, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` on the thread (in a write transaction unless
        ``txn=False``) and return its result, or raise its exception."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        self._queue.put(_Call(fn, args, future, loop, txn))
        return await future

    def close(self, timeout: float = 30.0) -> None:
        """Finish the calls queued so far, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    # ---- on the thread --------------------------------------------------------------------

    def _main(self) -> None:
        try:
            stop = False
            while not stop:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                self._run(batch)
        finally:
            db.close()

    def _run(self, batch: list[_Call]) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        together = [c for c in batch if c.txn]
        if together:
            self._run_together(together)
        for c in batch:
            if not c.txn:
                self._run_one(c)
        self.busy_s += time.perf_counter() - started
        self.cpu_s += time.thread_time() - cpu

    def _run_together(self, calls: list[_Call]) -> None:
        """The calls in one transaction; when one raises, the transaction is rolled back
        and each call runs again in a transaction of its own, so the error stays its
        caller's (rare: savepoints around every call cost more than they save)."""
        results: list[tuple[_Call, bool, Any]] = []
        try:
            with write_txn():
                for c in calls:
                    results.append((c, True, c.fn(*c.args)))
            self.transactions += 1
        except Exception:  # noqa: BLE001 - find the call that failed, alone
            results = []
            if self.on_rollback is not None:
                self.on_rollback()
            for c in calls:
                try:
                    with write_txn():
                        value = c.fn(*c.args)
                    self.transactions += 1
                    results.append((c, True, value))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    results.append((c, False, exc))
        self.calls += len(calls)
        for c, ok, value in results:
            _settle(c, ok, value)

    def _run_one(self, c: _Call) -> None:
        try:
            value = c.fn(*c.args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            _settle(c, False, exc)
            return
        self.calls += 1
        _settle(c, True, value)


def _settle(c: _Call, ok: bool, value: Any) -> None:
    def done() -> None:
        if c.future.done():
            return  # the caller was cancelled meanwhile
        if ok:
            c.future.set_result(value)
        else:
            c.future.set_exception(value)

    try:
        c.loop.call_soon_threadsafe(done)
    except RuntimeError:
        pass  # the loop is closed: nobody waits any more
