"""The extraction processes of a session as the host sees them: their CPU priority, and the
multiprocessing resource tracker they need started early."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

# Extraction is background work: its processes run this many nice levels below the host, so
# a full-screen UI's event loop gets a core as soon as it wakes instead of queueing behind
# them (on 2 cores with 2 extraction processes, waiting for a CPU was most of the UI's lag).
# Kept small: other programs' busy processes take CPU from niced workers too (with 2 of them
# on 2 cores, 1,000 files took 31 s at 0, 63 s at 5, 151 s at 10; lag p99 19, 12, 8 ms).
BACKGROUND_NICE = 5


def prepare_process_spawning() -> None:
    """Start multiprocessing's resource tracker while stderr is still the real terminal.

    A full-screen UI (Textual) replaces sys.stderr with an object whose fileno() is -1; the
    tracker, started lazily by the first worker pool, would then pass -1 to fork_exec and every
    extraction would fail with "bad value(s) in fds_to_keep". Call this before that happens.
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
