"""``loratui watch``: the drop-folder watcher and the worker, headless, until a signal.

Meant for a tmux pane or a systemd unit. SIGINT/SIGTERM stop it cleanly: the file being
added is finished, in-flight extraction jobs go back to the queue, and it exits 0.
``watch --all`` does it for every project of the home at once (``ProjectSessions``), and
for projects created while it runs; each line then names its project.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sqlite3
import sys
import threading
from typing import TYPE_CHECKING, Any

import peewee

from loratui.cli_commands.common import add_command, arg, open_home, open_project, print_jsonl
from loratui.core.errors import LoratuiError
from loratui.core.projects.documents import document_name
from loratui.core.session.all_projects import ProjectSessions
from loratui.core.session.project import ProjectSession, SessionProblem, WatchOptions
from loratui.core.store.models import Project

if TYPE_CHECKING:
    from loratui.core.jobs.worker import WorkerUpdate
    from loratui.core.watch.watcher import TakenFile

_print_lock = threading.Lock()
SYNC_S = 5.0  # how often --all looks for projects created or deleted meanwhile


def _say(as_json: bool, obj: dict[str, Any], text: str, err: bool = False) -> None:
    """One line of output (a JSON object with --json), whole even from two threads."""
    with _print_lock:
        if as_json:
            print_jsonl(obj)
        else:
            stream = sys.stderr if err else sys.stdout
            print(text, file=stream, flush=True)


class _Lines:
    """What a running watch prints: one line per file taken and per document finished."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.names: dict[int, str] = {}
        self.counts = {"taken": 0, "done": 0, "failed": 0}

    def finished(self, u: WorkerUpdate, project: str | None = None) -> None:
        if u.document_id is None or u.state not in ("done", "failed"):
            return
        self.counts[u.state] += 1
        name = self.names.get(u.document_id) or document_name(u.document_id)
        name = name or f"document {u.document_id}"
        bits = [f"document {u.document_id}"]
        if u.pages_total:
            bits.append(f"{u.pages_total} page(s)")
        if u.state == "done" and u.message:
            bits.append(u.message)
        why = f": {u.message}" if u.state == "failed" and u.message else ""
        _say(
            self.as_json,
            {
                "event": "finished",
                **_of(project),
                "document_id": u.document_id,
                "name": name,
                "state": u.state,
                "pages": u.pages_total,
                "message": u.message,
            },
            f"{u.state:<8} {_in(project)}{name} ({', '.join(bits)}){why}",
        )

    def taken(self, t: TakenFile, project: str | None = None) -> None:
        self.counts["taken"] += 1
        if t.document_id is not None:
            self.names[t.document_id] = t.rel_path
        what = f"document {t.document_id}" if t.document_id else "no document"
        note = " (new version)" if t.new_version else ""
        reason = f": {t.reason}" if t.state in ("failed", "skipped") and t.reason else ""
        _say(
            self.as_json,
            {"event": "taken", **_of(project), **t.as_dict()},
            f"taken    {_in(project)}{t.rel_path} -> {what}, {t.state}{note}{reason}",
        )

    def notice(self, level: str, message: str, project: str | None = None) -> None:
        obj = {"event": "notice", **_of(project), "level": level, "message": message}
        _say(self.as_json, obj, f"{_in(project)}{message}", err=True)

    def stopped(self) -> None:
        c = self.counts
        _say(
            self.as_json,
            {"event": "stopped", **c},
            f"stopped: {c['taken']} file(s) taken, {c['done']} done, {c['failed']} failed",
        )


def _of(project: str | None) -> dict[str, str]:
    return {"project": project} if project is not None else {}


def _in(project: str | None) -> str:
    return f"[{project}] " if project is not None else ""


async def _watch_all(args: argparse.Namespace) -> int:
    """Every project's drop folder and queue, until a signal; new projects join as they come."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    lines = _Lines(bool(args.json))

    def name(pid: int) -> str:
        return sessions.name_of(pid)

    def on_error(pid: int, problem: SessionProblem) -> None:  # one project's part: go on
        lines.notice("error", f"{problem.what}: {problem.error}", name(pid))

    sessions = ProjectSessions(
        background_workers=args.workers or 1,
        watch=True,
        watch_options=WatchOptions(
            poll=True if args.poll else None, settle_s=args.settle, rescan_s=args.rescan
        ),
        on_update=lambda pid, u: lines.finished(u, name(pid)),
        on_taken=lambda pid, t: lines.taken(t, name(pid)),
        on_notice=lambda pid, level, message: lines.notice(level, message, name(pid)),
        on_error=on_error,
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            for pid in await sessions.sync():
                session = sessions.get(pid)
                st = session.watcher_status if session is not None else {"mode": "off"}
                if st["mode"] == "off":
                    continue  # its error was printed
                how = st["mode"] + (f" ({st['reason']})" if st.get("reason") else "")
                _say(
                    lines.as_json,
                    {
                        "event": "watching",
                        "project": name(pid),
                        "folder": st["folder"],
                        "mode": st["mode"],
                        "reason": st.get("reason"),
                        "workers": session.workers if session is not None else None,
                    },
                    f"watching {st['folder']} for project {name(pid)!r}: {how}",
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=SYNC_S)
    finally:
        await sessions.stop_all()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    lines.stopped()
    return 0


async def _watch(args: argparse.Namespace, project: Project) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    as_json = bool(args.json)
    lines = _Lines(as_json)
    fatal: list[SessionProblem] = []

    def on_notice(level: str, message: str) -> None:
        lines.notice(level, message)

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
        on_update=lines.finished,
        on_taken=lines.taken,  # on the watcher's thread; the session wakes the worker
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
    lines.stopped()
    return 0


def _as_error(problem: SessionProblem) -> BaseException:
    """What ends ``watch`` with exit 1: the error itself when the CLI can explain it."""
    if isinstance(problem.error, (LoratuiError, peewee.DatabaseError, sqlite3.DatabaseError)):
        return problem.error
    return LoratuiError("internal", f"{problem.what}: {problem.error}")


def cmd_watch(args: argparse.Namespace) -> int:
    if args.all == (args.project is not None):
        raise LoratuiError(
            "invalid",
            "name one project, or --all for every project" + (", not both" if args.all else ""),
            "loratui watch PROJECT, or loratui watch --all",
        )
    if not args.all:
        project = open_project(args)
        return asyncio.run(_watch(args, project))
    if args.workers is not None and args.workers < 1:
        raise LoratuiError(
            "invalid",
            f"the number of extraction processes must be at least 1, not {args.workers}",
            "leave it out to run each project's `workers` setting (else 1)",
        )
    open_home(args)
    return asyncio.run(_watch_all(args))


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
        arg("project", nargs="?", help="the project (or --all)"),
        arg(
            "--all",
            action="store_true",
            help="every project of the home, and those created while it runs",
        ),
        arg(
            "--workers",
            type=int,
            help="extraction processes (default: one per CPU; with --all, per project "
            "without a workers setting, default 1)",
        ),
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
        project=False,
    )
