"""The drop folder: watch it with watchdog and add each complete file to the project once.

Threads: watchdog's observer thread only turns file-system events into items on a queue;
one "taker" thread owns everything else (the settle bookkeeping, the rescans, the
database claims, ``ingest.add_paths``), so this module never shares a database
connection or a data structure between threads. ``DropWatcher.status`` is a copy made
under a lock, safe to read from the TUI.

inotify is used when it works; when it is missing, its watch limit is hit or it keeps
missing files, the watcher falls back to watchdog's PollingObserver and logs why.
The observer and that fallback live in ``observer``, taking one settled file in ``take``,
the pure rules (junk names, settling, the folder walk) in ``rules``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.ingest.hashing import sha256_file_or_none
from loratui.core.projects import privacy
from loratui.core.store import db, settings
from loratui.core.store.models import Project
from loratui.core.watch import claims as watch_claims
from loratui.core.watch.observer import MODE_OFF, MODE_POLLING, MODE_WATCHING, FolderObserver
from loratui.core.watch.rules import (
    DONE_DIR,
    FAILED_DIR,
    SettleTracker,
    candidate_rel,
    find_candidates,
    probe,
)
from loratui.core.watch.take import ORIGIN, FileTaker, TakenFile

log = logging.getLogger(__name__)

# When this many of the last MISSED_WINDOW periodic rescans found files inotify never
# reported, the watcher stops trusting inotify (watch limit hit below the root).
MISSED_RESCANS_BEFORE_POLLING = 2
MISSED_WINDOW = 10
MISSED_AGE_S = 1.0  # younger files may just have events still on their way
AFTER_CHOICES = ("keep", "move")


class DropWatcher:
    """Watches one project's drop folder and adds each complete file exactly once.

    ``on_taken(TakenFile)`` and ``on_notice(level, message)`` are called on the watcher's
    own thread (the TUI hands them to its event loop). ``poll`` forces polling (True),
    forbids it unless inotify fails (False) or follows the project's ``watch_poll``
    setting (None). ``settle_s`` and ``rescan_s`` override the project's settings.
    """

    def __init__(
        self,
        project_id: int,
        on_taken: Callable[[TakenFile], None] | None = None,
        poll: bool | None = None,
        *,
        settle_s: float | None = None,
        rescan_s: float | None = None,
        on_notice: Callable[[str, str], None] | None = None,
    ) -> None:
        self.project_id = project_id
        self.on_taken = on_taken
        self.on_notice = on_notice
        self._poll_arg = poll
        self._settle_arg = settle_s
        self._rescan_arg = rescan_s
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._folder: FolderObserver | None = None
        self._taker: FileTaker | None = None
        self._owner = ""
        self._root = Path()
        self._project: Project | None = None
        self._tracker = SettleTracker(2.0)
        self._missed_history: deque[bool] = deque(maxlen=MISSED_WINDOW)
        self._failures: dict[str, int] = {}
        self._status: dict[str, Any] = {
            "mode": MODE_OFF,
            "folder": None,
            "reason": None,
            "taken": 0,
            "duplicates": 0,
            "failed": 0,
            "skipped": 0,
            "pending": 0,
            "last_taken": None,
            "last_taken_at": None,
            "started_at": None,
            "last_rescan_at": None,
            "error": None,
        }

    # -- public API -------------------------------------------------------------------

    @property
    def status(self) -> dict[str, Any]:
        """mode (watching/polling/off), folder, counts, last file taken and when."""
        with self._lock:
            return dict(self._status)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start watching (returns at once; files already in the folder are taken next)."""
        if self.running:
            return
        project = Project.get_or_none(Project.id == self.project_id)
        if project is None:
            raise LoratuiError("not_found", f"no project with id {self.project_id}")
        eff = settings.effective(project.settings)
        settle = float(self._settle_arg if self._settle_arg is not None else eff["watch_settle_s"])
        self._rescan_s = float(
            self._rescan_arg if self._rescan_arg is not None else eff["watch_rescan_s"]
        )
        self._poll_forced = bool(eff["watch_poll"] if self._poll_arg is None else self._poll_arg)
        self._tracker = SettleTracker(settle)
        # Created if missing, with its mode (0700, or 0770 when drop_group_writable).
        self._root = Path(os.path.realpath(privacy.apply_drop_mode(project)))
        self._project = project
        self._stop.clear()
        self._owner = watch_claims.new_owner()
        with self._lock:
            self._status.update(folder=str(self._root), started_at=time.time(), error=None)
        self._folder = FolderObserver(self._root, self._queue.put, self._poll_interval())
        reason = self._folder.start(self._poll_forced)
        with self._lock:
            self._status.update(mode=self._folder.mode, reason=reason)
        self._queue.put(("started", reason or "", 0.0))
        self._thread = threading.Thread(
            target=self._run, name=f"loratui-drop-{self.project_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop watching; a file being added is finished first. Safe to call twice."""
        self._stop.set()
        self._queue.put(("wake", "", 0.0))
        if self._folder is not None:
            self._folder.stop()  # no fallback starts a new observer after this
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._owner:
            watch_claims.retire_owner(self._owner)
        with self._lock:
            self._status.update(mode=MODE_OFF, pending=0)

    def rescan(self, timeout: float = 60.0) -> int:
        """Walk the drop folder now; return how many new files it found waiting."""
        if not self.running:
            raise LoratuiError("invalid", "the drop-folder watcher is not running")
        fut: Future[int] = Future()
        self._queue.put(("rescan", fut, 0.0))
        return fut.result(timeout)

    # -- observer ---------------------------------------------------------------------

    def _poll_interval(self) -> float:
        return max(0.5, min(self._tracker.settle_s, 2.0))

    def _switch_to_polling(self, reason: str) -> None:
        if self._folder is None or self._stop.is_set() or not self._folder.switch_to_polling():
            return
        with self._lock:
            self._status.update(mode=MODE_POLLING, reason=reason)
        self._event(
            "drop.polling",
            f"drop folder: {reason}; switched to polling every {self._poll_interval():g} s",
            level="warning",
            data={"reason": reason},
        )
        self._do_rescan(periodic=False)

    # -- the taker thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            after = settings.effective(self._project.settings)["watch_after"]
            if after not in AFTER_CHOICES:
                self._event(
                    "drop.setting",
                    f"drop folder: watch_after={after!r} is not one of "
                    f"{', '.join(AFTER_CHOICES)}; keeping files in place",
                    level="warning",
                )
            known = watch_claims.known_keys(self.project_id)
            self._taker = FileTaker(self._project, self._root, self._owner, known, self._event)
            self._do_rescan(periodic=False)
            next_rescan = time.monotonic() + self._rescan_s if self._rescan_s > 0 else None
            while not self._stop.is_set():
                now = time.monotonic()
                wait = self._tracker.next_wakeup(now)
                wait = 0.5 if wait is None else min(0.5, max(0.02, wait))
                if next_rescan is not None:
                    wait = min(wait, max(0.0, next_rescan - now))
                self._drain(wait)
                if self._stop.is_set():
                    break
                if next_rescan is not None and time.monotonic() >= next_rescan:
                    self._guard(self._do_rescan, periodic=True)
                    next_rescan = time.monotonic() + self._rescan_s
                for rel in self._tracker.due(time.monotonic()):
                    if self._stop.is_set():
                        break
                    if self._guard(self._check, rel):
                        self._failures.pop(rel, None)
                    else:  # try again later, backing off up to a minute
                        n = self._failures[rel] = self._failures.get(rel, 0) + 1
                        self._tracker.touch(rel, time.monotonic() + min(60.0, 2.0**n))
                self._health_check()
                with self._lock:
                    self._status["pending"] = len(self._tracker.pending)
        except Exception as exc:  # noqa: BLE001 - a dead watcher must say why
            log.exception("drop watcher stopped")
            with self._lock:
                self._status.update(mode=MODE_OFF, error=str(exc))
            self._notice("error", f"the drop-folder watcher stopped: {exc}")
        finally:
            self._drain_rescans()
            db.close()

    def _guard(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run one step; False when it failed (logged, kept in status; the watcher goes on)."""
        try:
            fn(*args, **kwargs)
            return True
        except Exception as exc:  # noqa: BLE001
            log.exception("drop watcher step failed")
            message = exc.message if isinstance(exc, LoratuiError) else str(exc)
            with self._lock:
                self._status["error"] = message
            self._notice("error", f"drop folder: {message}")
            return False

    def _drain(self, wait: float) -> None:
        try:
            item = self._queue.get(timeout=wait)
        except queue.Empty:
            return
        while True:
            self._handle(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return

    def _drain_rescans(self) -> None:
        """Answer rescan requests left in the queue when stopping."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item[0] == "rescan":
                item[1].set_result(0)

    def _handle(self, item: tuple[Any, ...]) -> None:
        kind, arg, t = item
        if kind == "file":
            rel = self._rel(arg)
            if rel is not None:
                self._tracker.touch(rel, t)
        elif kind == "gone":
            rel = self._rel(arg)
            if rel is not None:
                for path in [
                    p for p in self._tracker.pending if p == rel or p.startswith(rel + "/")
                ]:
                    self._tracker.forget(path)
        elif kind == "dir":
            rel = self._rel(arg)
            if rel is not None:
                self._pend_found(self._walk(self._root / rel))
        elif kind == "rescan":
            try:
                arg.set_result(self._do_rescan(periodic=False))
            except Exception as exc:  # noqa: BLE001 - hand the error to the caller
                arg.set_exception(exc)
        elif kind == "started":
            status = self.status
            self._event(
                "drop.watching",
                f"watching the drop folder {status['folder']} ({status['mode']})",
                level="warning" if arg and not self._poll_forced else "info",
                data={"mode": status["mode"], "reason": arg or None},
            )
        elif kind == "fallback":
            self._switch_to_polling(arg)
        elif kind == "overflow":
            self._event(
                "drop.overflow",
                "drop folder: file-system events were lost (inotify queue overflow); rescanning",
                level="warning",
            )
            self._do_rescan(periodic=False)

    def _rel(self, path: str) -> str | None:
        return candidate_rel(path, self._root)

    def _health_check(self) -> None:
        if self._folder is not None and self._folder.native_events_died():
            self._switch_to_polling("the inotify watcher stopped")

    # -- scanning ---------------------------------------------------------------------

    def _do_rescan(self, periodic: bool) -> int:
        """Walk the whole folder; return how many waiting files it found.

        A periodic rescan in inotify mode also judges inotify: a file it finds that no
        event reported (even after the events queued meanwhile are read) and that has
        been there a while was missed. Misses in two of the last ten periodic rescans
        mean inotify cannot be trusted here (a sub-folder over the watch limit: watchdog
        drops those silently), so the watcher switches to polling.
        """
        found = self._walk(self._root)
        judge = periodic and self.status["mode"] == MODE_WATCHING
        if judge:
            self._drain(0.0)  # events that raced the walk
        missed = [
            rel
            for rel, ctime in found
            if judge and rel not in self._tracker.pending and time.time() - ctime > MISSED_AGE_S
        ]
        self._pend_found(found)
        with self._lock:
            self._status["last_rescan_at"] = time.time()
            self._status["pending"] = len(self._tracker.pending)
        if judge:
            self._missed_history.append(bool(missed))
            if missed:
                self._event(
                    "drop.missed",
                    f"drop folder: the periodic rescan found {len(missed)} file(s) inotify "
                    "did not report",
                    level="warning",
                    data={"files": len(missed), "paths": missed[:20]},
                )
            if sum(self._missed_history) >= MISSED_RESCANS_BEFORE_POLLING:
                self._switch_to_polling("inotify keeps missing files (watch limit?)")
        return len(found)

    def _pend_found(self, found: list[tuple[str, float]]) -> None:
        """Files found by a walk wait for the two agreeing checks, not for a quiet period."""
        now = time.monotonic()
        for rel, _ in found:
            if rel not in self._tracker.pending:
                self._tracker.touch(rel, now - self._tracker.settle_s)

    def _walk(self, top: Path) -> list[tuple[str, float]]:
        """(path, ctime) of every candidate under ``top`` neither known nor pending."""
        return find_candidates(top, self._root, self._taker.known, self._tracker.pending)

    # -- one file ---------------------------------------------------------------------

    def _check(self, rel: str) -> None:
        path = self._root / rel
        pr = probe(path, self._root)
        now = time.monotonic()
        if pr.kind == "gone":
            self._tracker.forget(rel)
        elif pr.kind == "dir":
            self._tracker.forget(rel)
            self._pend_found(self._walk(path))
        elif pr.kind == "link_inside":
            self._tracker.forget(rel)
            self._taker.known.add((rel, -1, pr.mtime_ns))
        elif pr.kind in ("link_outside", "special"):
            self._tracker.forget(rel)
            if self._taker.skip(rel, pr.kind, pr.mtime_ns, pr.target):
                with self._lock:
                    self._status["skipped"] += 1
        elif (rel, pr.size, pr.mtime_ns) in self._taker.known:
            self._tracker.forget(rel)
        elif self._tracker.observe(rel, pr.sig, now):
            self._take(rel, pr.size, pr.mtime_ns)

    def _take(self, rel: str, size: int, mtime_ns: int) -> None:
        path = self._root / rel
        sha = sha256_file_or_none(path)
        after = probe(path, self._root)
        if after.kind != "file" or after.sig != (size, mtime_ns):
            # Changed while we read it: not complete after all.
            if after.kind == "file":
                self._tracker.touch(rel, time.monotonic())
            return
        taken = self._taker.take(rel, size, mtime_ns, sha)
        if taken is None:
            return
        with self._lock:
            counter = {"duplicate": "duplicates", "failed": "failed", "skipped": "skipped"}
            self._status[counter.get(taken.state, "taken")] += 1
            self._status.update(last_taken=taken.rel_path, last_taken_at=taken.at)
        self._taker.after_store(rel, taken.state)
        if self.on_taken is not None:
            try:
                self.on_taken(taken)
            except Exception:  # noqa: BLE001 - a display callback must not stop the watcher
                log.exception("on_taken callback failed")

    # -- reporting --------------------------------------------------------------------

    def _event(self, kind: str, message: str, level: str = "info", **kw: Any) -> None:
        audit.log_event(self.project_id, kind, message, level=level, origin=ORIGIN, **kw)
        if level in ("warning", "error"):
            self._notice(level, message)

    def _notice(self, level: str, message: str) -> None:
        if self.on_notice is not None:
            try:
                self.on_notice(level, message)
            except Exception:  # noqa: BLE001
                log.exception("on_notice callback failed")


__all__ = ["DONE_DIR", "FAILED_DIR", "DropWatcher", "TakenFile"]
