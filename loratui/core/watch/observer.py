"""The watchdog observer of one drop folder: inotify when it works, polling when not.

Watchdog's threads only turn file-system events into ``(kind, path, time)`` items on the
watcher's queue (``file``, ``dir``, ``gone``); inotify trouble watchdog only logs (queue
overflow, an emitter that died) becomes ``overflow`` and ``fallback`` items. The
drop-folder watcher decides what to do with them on its own thread.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

MODE_WATCHING = "watching"
MODE_POLLING = "polling"
MODE_OFF = "off"
IGNORED_EVENTS = ("opened", "closed_no_write")

QueueItem = tuple[str, str, float]


def native_observer() -> BaseObserver:
    """inotify on Linux, the platform's own observer elsewhere; raises when unavailable."""
    if sys.platform.startswith("linux"):
        from watchdog.observers.inotify import InotifyObserver

        return InotifyObserver()
    from watchdog.observers import Observer

    return Observer()


def inotify_failure(exc: BaseException) -> str:
    """A sentence saying why inotify could not be used."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the inotify watch limit is reached (raise fs.inotify.max_user_watches)"
    if isinstance(exc, OSError) and exc.errno == errno.EMFILE:
        return "the inotify instance limit is reached (raise fs.inotify.max_user_instances)"
    return f"inotify is not available ({exc})"


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into (kind, path, time) items for the taker thread."""

    def __init__(self, put: Callable[[QueueItem], None]) -> None:
        super().__init__()
        self._put = put

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in IGNORED_EVENTS:
            return
        t = time.monotonic()
        src = os.fsdecode(event.src_path)
        if kind == "moved":
            self._put(("gone", src, t))
            dest = os.fsdecode(event.dest_path)
            self._put(("dir" if event.is_directory else "file", dest, t))
        elif kind == "deleted":
            self._put(("gone", src, t))
        elif event.is_directory:
            if kind == "created":
                self._put(("dir", src, t))
        else:
            self._put(("file", src, t))


class _WatchdogLogTap(logging.Handler):
    """Hears watchdog's inotify warnings (queue overflow, watches it could not rebuild)."""

    def __init__(self, on_record: Callable[[logging.LogRecord], None]) -> None:
        super().__init__(level=logging.WARNING)
        self._on_record = on_record

    def emit(self, record: logging.LogRecord) -> None:
        self._on_record(record)


class FolderObserver:
    """Runs one watchdog observer on ``root``, feeding ``put``; can fall back to polling.

    ``mode`` is ``watching`` (native events), ``polling`` or ``off``. After ``stop`` it
    never starts another observer, even when a fallback races the stop.
    """

    def __init__(self, root: Path, put: Callable[[QueueItem], None], poll_s: float) -> None:
        self.root = root
        self.poll_s = poll_s
        self.mode = MODE_OFF
        self._put = put
        self._lock = threading.RLock()
        self._observer: BaseObserver | None = None
        self._log_tap: _WatchdogLogTap | None = None
        self._closed = False

    def start(self, poll_forced: bool) -> str | None:
        """Start observing; return why polling is used (None when native events are)."""
        reason = None
        observer: BaseObserver | None = None
        if not poll_forced:
            try:
                observer = native_observer()
                observer.schedule(_Handler(self._put), str(self.root), recursive=True)
                observer.start()
            except Exception as exc:  # noqa: BLE001 - any failure means: poll instead
                observer = None
                reason = inotify_failure(exc)
        if observer is None:
            observer = self._polling_observer()
        mode = MODE_POLLING if isinstance(observer, PollingObserver) else MODE_WATCHING
        if mode == MODE_POLLING and reason is None and not poll_forced:
            reason = "the platform has no native file-system events"
        if poll_forced:
            reason = "polling was asked for (--poll or the watch_poll setting)"
        with self._lock:
            self._observer = observer
            self.mode = mode
            if mode == MODE_WATCHING:
                self._log_tap = _WatchdogLogTap(self._on_watchdog_log)
                logging.getLogger("watchdog.observers").addHandler(self._log_tap)
        return reason

    def stop(self) -> None:
        """Stop observing for good (safe to call twice, or before ``start``)."""
        with self._lock:
            self._closed = True
            self._stop_current()
            self.mode = MODE_OFF

    def switch_to_polling(self) -> bool:
        """Replace native events by polling; False when not watching natively (or stopped)."""
        with self._lock:
            if self.mode != MODE_WATCHING or self._closed:
                return False
            self._stop_current()
            self._observer = self._polling_observer()
            self.mode = MODE_POLLING
        return True

    def native_events_died(self) -> bool:
        """True when the native observer (or one of its emitters) has stopped."""
        observer = self._observer
        if observer is None or self.mode != MODE_WATCHING:
            return False
        return not observer.is_alive() or any(not e.is_alive() for e in observer.emitters)

    def _polling_observer(self) -> PollingObserver:
        observer = PollingObserver(timeout=self.poll_s)
        observer.schedule(_Handler(self._put), str(self.root), recursive=True)
        observer.start()
        return observer

    def _stop_current(self) -> None:
        with self._lock:
            if self._log_tap is not None:
                logging.getLogger("watchdog.observers").removeHandler(self._log_tap)
                self._log_tap = None
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            if observer is not threading.current_thread():
                observer.join(10)

    def _on_watchdog_log(self, record: logging.LogRecord) -> None:
        """Runs on watchdog's thread: only queue a note for the taker thread."""
        msg = record.getMessage()
        if record.args and str(self.root) not in msg:
            return  # about another watcher's folder (one inotify fd serves the process)
        if record.levelno >= logging.ERROR and record.exc_info:
            self._put(("fallback", f"inotify failed: {record.exc_info[1]}", 0.0))
        elif "overflow" in msg.lower():
            self._put(("overflow", msg, 0.0))
