"""``loratui watch``: the drop-folder watcher and the worker, headless, until a signal.

Meant for a tmux pane or a systemd unit. SIGINT/SIGTERM stop it cleanly: the file being
added is finished, in-flight extraction jobs go back to the queue, and it exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import sys
import threading
from typing import Any

import peewee

from loratui.cli_commands.common import add_command, arg, open_project, print_jsonl
from loratui.core.errors import LoratuiError
from loratui.core.projects.documents import document_name
from loratui.core.session.project import ProjectSession, SessionProblem, WatchOptions
from loratui.core.store.models import Project

_print_lock = threading.Lock()


def _say(as_json: bool, obj: dict[str, Any], text: str, err: bool = False) -> None:
    """One line of output (a JSON object with --json), whole even from two threads."""
    with _print_lock:
        if as_json:
            print_jsonl(obj)
        else:
            stream = sys.stderr if err else sys.stdout
            print(text, file=stream, flush=True)


async def _watch(args: argparse.Namespace, project: Project) -> int:
    from loratui.core.jobs.worker import WorkerUpdate
    from loratui.core.watch.watcher import TakenFile

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    as_json = bool(args.json)
    names: dict[int, str] = {}
    counts = {"taken": 0, "done": 0, "failed": 0}
    fatal: list[SessionProblem] = []

    def on_update(u: WorkerUpdate) -> None:
        if u.document_id is None or u.state not in ("done", "failed"):
            return
        counts[u.state] += 1
        name = names.get(u.document_id) or document_name(u.document_id)
        name = name or f"document {u.document_id}"
        bits = [f"document {u.document_id}"]
        if u.pages_total:
            bits.append(f"{u.pages_total} page(s)")
        if u.state == "done" and u.message:
            bits.append(u.message)
        why = f": {u.message}" if u.state == "failed" and u.message else ""
        _say(
            as_json,
            {
                "event": "finished",
                "document_id": u.document_id,
                "name": name,
                "state": u.state,
                "pages": u.pages_total,
                "message": u.message,
            },
            f"{u.state:<8} {name} ({', '.join(bits)}){why}",
        )

    def on_taken(t: TakenFile) -> None:  # on the watcher's thread; the session wakes the worker
        counts["taken"] += 1
        if t.document_id is not None:
            names[t.document_id] = t.rel_path
        what = f"document {t.document_id}" if t.document_id else "no document"
        note = " (new version)" if t.new_version else ""
        reason = f": {t.reason}" if t.state in ("failed", "skipped") and t.reason else ""
        _say(
            as_json,
            {"event": "taken", **t.as_dict()},
            f"taken    {t.rel_path} -> {what}, {t.state}{note}{reason}",
        )

    def on_notice(level: str, message: str) -> None:
        _say(as_json, {"event": "notice", "level": level, "message": message}, message, err=True)

    def on_error(problem: SessionProblem) -> None:  # on the loop
        if problem.stopped:  # the worker or the watcher is not running: stop, exit 1
            fatal.append(problem)
            stop.set()
        else:
            on_notice("error", f"{problem.what}: {problem.error}")

    session = ProjectSession(
        project.id,
        workers=args.workers,
        watch=True,
        watch_options=WatchOptions(
            poll=True if args.poll else None, settle_s=args.settle, rescan_s=args.rescan
        ),
        on_update=on_update,
        on_taken=on_taken,
        on_notice=on_notice,
        on_error=on_error,
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await session.open()
        if not fatal:
            st = session.watcher_status
            how = st["mode"] + (f" ({st['reason']})" if st["reason"] else "")
            _say(
                as_json,
                {
                    "event": "watching",
                    "project": project.name,
                    "folder": st["folder"],
                    "mode": st["mode"],
                    "reason": st["reason"],
                    "workers": session.workers,
                },
                f"watching {st['folder']} for project {project.name!r}: {how}; stop with Ctrl-C",
            )
            await stop.wait()
    finally:
        await session.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if fatal:
        raise _as_error(fatal[0])
    _say(
        as_json,
        {"event": "stopped", **counts},
        f"stopped: {counts['taken']} file(s) taken, {counts['done']} done, "
        f"{counts['failed']} failed",
    )
    return 0


def _as_error(problem: SessionProblem) -> BaseException:
    """What ends ``watch`` with exit 1: the error itself when the CLI can explain it."""
    if isinstance(problem.error, (LoratuiError, peewee.DatabaseError, sqlite3.DatabaseError)):
        return problem.error
    return LoratuiError("internal", f"{problem.what}: {problem.error}")


def cmd_watch(args: argparse.Namespace) -> int:
    project = open_project(args)
    return asyncio.run(_watch(args, project))


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``watch`` to the parser."""
    add_command(
        sub,
        "watch",
        cmd_watch,
        "watch the project's drop folder and process new files until stopped",
        arg("--workers", type=int, help="extraction processes (default: one per CPU)"),
        arg("--poll", action="store_true", help="poll the folder instead of inotify (network FS)"),
        arg(
            "--settle",
            type=_seconds,
            metavar="S",
            help="seconds a file must be quiet before it is taken (default: watch_settle_s, 2)",
        ),
        arg(
            "--rescan",
            type=_seconds,
            metavar="S",
            help="seconds between full rescans of the folder (default: watch_rescan_s, 60)",
        ),
        description="Take each complete file dropped into the project's drop folder (once), "
        "and run the worker on the queue, until SIGINT/SIGTERM.",
    )
