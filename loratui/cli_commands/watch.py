"""``loratui watch``: the drop-folder watcher and the worker, headless, until a signal.

Meant for a tmux pane or a systemd unit. SIGINT/SIGTERM stop it cleanly: the file being
added is finished, in-flight extraction jobs go back to the queue, and it exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from typing import Any

from loratui.cli_commands.common import add_command, arg, open_project, print_jsonl
from loratui.core.store.models import Document, Project

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
    from loratui.core.jobs.worker import Worker, WorkerUpdate
    from loratui.core.watch.watcher import DropWatcher, TakenFile

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    as_json = bool(args.json)
    names: dict[int, str] = {}
    counts = {"taken": 0, "done": 0, "failed": 0}

    def on_update(u: WorkerUpdate) -> None:
        if u.document_id is None or u.state not in ("done", "failed"):
            return
        counts[u.state] += 1
        name = names.get(u.document_id)
        if name is None:
            doc = Document.get_or_none(Document.id == u.document_id)
            name = doc.name if doc else f"document {u.document_id}"
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

    worker = Worker(project.id, workers=args.workers, on_update=on_update)

    def on_taken(t: TakenFile) -> None:  # on the watcher's thread
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
        loop.call_soon_threadsafe(worker.wake)

    def on_notice(level: str, message: str) -> None:
        _say(as_json, {"event": "notice", "level": level, "message": message}, message, err=True)

    watcher = DropWatcher(
        project.id,
        on_taken=on_taken,
        poll=True if args.poll else None,
        settle_s=args.settle,
        rescan_s=args.rescan,
        on_notice=on_notice,
    )
    worker.start()
    watcher.start()
    st = watcher.status
    how = st["mode"] + (f" ({st['reason']})" if st["reason"] else "")
    _say(
        as_json,
        {
            "event": "watching",
            "project": project.name,
            "folder": st["folder"],
            "mode": st["mode"],
            "reason": st["reason"],
            "workers": worker.concurrency,
        },
        f"watching {st['folder']} for project {project.name!r}: {how}; stop with Ctrl-C",
    )
    try:
        await stop.wait()
    finally:
        await loop.run_in_executor(None, watcher.stop)
        await worker.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    _say(
        as_json,
        {"event": "stopped", **counts},
        f"stopped: {counts['taken']} file(s) taken, {counts['done']} done, "
        f"{counts['failed']} failed",
    )
    return 0


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
