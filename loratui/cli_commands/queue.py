"""Queue commands: process, retry, unlock, pause, resume, cancel, exclude, include."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loratui.cli_commands.common import add_command, arg, is_tty, open_project, print_result
from loratui.cli_commands.engine import add_engine_args, open_engine
from loratui.core.errors import LoratuiError
from loratui.core.jobs import control as queue_control
from loratui.core.jobs.worker import WorkerUpdate
from loratui.core.projects import overview, workspace
from loratui.core.projects.documents import get_document
from loratui.core.session.project import ProjectSession, SessionProblem
from loratui.core.store.models import Project

if TYPE_CHECKING:
    from loratui.core.scale.engine import RayEngine


def _doc_ids(project: Project, refs: list[str]) -> list[int]:
    return [get_document(project, ref).id for ref in refs]


async def _run_session(session: ProjectSession) -> str | None:
    """Run until idle; SIGINT/SIGTERM stop it cleanly (jobs go back to the queue)."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        if not stopping:
            stopping.append(loop.create_task(session.stop()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await session.run_until_idle()
        for task in stopping:
            await task
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return received[0] if received else None


def _progress(total: int):  # noqa: ANN202 - a rich Progress, only on a TTY
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )
    task = bar.add_task("extracting", total=total)
    return bar, task


def _warn(problem: SessionProblem) -> None:
    print(f"warning: {problem.what}: {problem.error}", file=sys.stderr, flush=True)


def cmd_process(args: argparse.Namespace) -> int:
    project = open_project(args)
    engine = open_engine(args, project, "process")
    try:
        code = _process(args, project, engine)
    except BaseException as exc:
        if engine is not None:
            engine.close(exc)
        raise
    if engine is not None:
        engine.close()
    return code


def _process(args: argparse.Namespace, project: Project, engine: RayEngine | None) -> int:
    bar = task = None

    def on_update(u: WorkerUpdate) -> None:
        if bar is not None and u.document_id is not None and u.state in ("done", "failed"):
            bar.advance(task)

    workers = args.workers
    if engine is not None and workers is None:
        workers = engine.workers  # the cluster's CPUs
    session = ProjectSession(
        project.id,
        workers=workers,
        on_update=on_update,
        on_error=_warn,
        pool_factory=engine.pool_factory() if engine else None,
    )
    before = overview.counts(project)
    todo = before["states"]["queued"] + before["states"]["processing"]
    started = time.time()
    if is_tty() and not args.json and todo:
        bar, task = _progress(todo)
    if bar is not None:
        with bar:
            stopped_by = asyncio.run(_run_session(session))
    else:
        stopped_by = asyncio.run(_run_session(session))
    elapsed = time.time() - started
    project = workspace.get_project(project.id)
    worker = session.worker
    summary = {
        "project": project.name,
        "processed": worker.processed if worker else 0,
        "done": worker.done if worker else 0,
        "failed": worker.failed if worker else 0,
        "retries": worker.retried if worker else 0,
        "pages": worker.pages if worker else 0,
        "workers": session.workers,
        "engine": engine.cluster.describe() if engine else {"engine": "local"},
        "elapsed_s": round(elapsed, 3),
        "paused": bool(project.paused),
        "interrupted": stopped_by,
        "failures": overview.failures_since(project, started),
        "counts": overview.counts(project),
    }
    print_result(args.json, summary, _summary_text(summary))
    return 130 if stopped_by else 0


def _summary_text(s: dict[str, Any]) -> str:
    """The text ``process`` prints for people: this run, its failures, then the project."""
    c = s["counts"]
    by_code: dict[str, int] = {}
    for f in s["failures"]:
        by_code[f["error_code"]] = by_code.get(f["error_code"], 0) + 1
    codes = ", ".join(f"{k} {v}" for k, v in sorted(by_code.items()))
    lines = [
        f"processed {s['processed']} document(s) in {s['elapsed_s']:.1f} s with "
        f"{s['workers']} worker(s)"
        + (f" on Ray ({s['engine']['cpus']} CPUs)" if s["engine"]["engine"] == "ray" else "")
        + f": {s['done']} done, {s['failed']} failed"
        + (f" ({codes})" if codes else "")
        + f", {s['pages']} pages"
    ]
    for f in s["failures"]:
        lines.append(f"  failed  {f['id']} {f['name']}: {f['error_code']}: {f['error']}")
        if f["hint"]:
            lines.append(f"          hint: {f['hint']}")
    st = c["states"]
    lines.append(
        f"project {s['project']!r}: {st['done']} done, {st['failed']} failed, "
        f"{st['queued']} queued, {st['processing']} processing, {st['duplicate']} duplicate, "
        f"{st['cancelled']} cancelled; {c['pages']} pages, {c['chars']:,} chars, "
        f"~{c['tokens']:,} tokens"
    )
    if s["paused"]:
        lines.append("the queue is paused: run `loratui resume PROJECT` to continue")
    if s["interrupted"]:
        lines.append(f"stopped by {s['interrupted']}; unfinished files are back in the queue")
    return "\n".join(lines)


DocsChange = Callable[[Project, list[int] | None], tuple[dict[str, Any], str]]


def _change_docs(args: argparse.Namespace, change: DocsChange) -> int:
    """The shared body of retry, cancel, exclude and include: ``PROJECT [DOC...]``.

    The DOC references become ids (``None`` when none are named, meaning all of them);
    ``change`` acts on them and returns its JSON fields (after "project") and its text line.
    """
    project = open_project(args)
    ids = _doc_ids(project, args.docs) if args.docs else None
    fields, text = change(project, ids)
    print_result(args.json, {"project": project.name, **fields}, text)
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    def change(project: Project, ids: list[int] | None) -> tuple[dict[str, Any], str]:
        # with no DOC named, every failed document is re-queued whatever --failed says
        n = queue_control.retry(project, ids, failed_only=args.failed if ids else True)
        text = f"re-queued {n} document(s); run `loratui process {project.name!r}`"
        return {"requeued": n}, text

    return _change_docs(args, change)


def cmd_cancel(args: argparse.Namespace) -> int:
    def change(project: Project, ids: list[int] | None) -> tuple[dict[str, Any], str]:
        n = queue_control.cancel(project, ids)
        return {"cancelled": n}, f"cancelled {n} document(s)"

    return _change_docs(args, change)


def _set_excluded(args: argparse.Namespace, excluded: bool) -> int:
    def change(project: Project, ids: list[int] | None) -> tuple[dict[str, Any], str]:
        n = queue_control.set_excluded(project, ids, excluded)  # DOC... is required here
        verb = "excluded" if excluded else "included"
        return {"changed": n, "excluded": excluded, "ids": ids}, f"{verb} {n} document(s)"

    return _change_docs(args, change)


def cmd_exclude(args: argparse.Namespace) -> int:
    return _set_excluded(args, True)


def cmd_include(args: argparse.Namespace) -> int:
    return _set_excluded(args, False)


def cmd_unlock(args: argparse.Namespace) -> int:
    project = open_project(args)
    doc = get_document(project, args.doc)
    if not args.password_stdin:
        raise LoratuiError(
            "invalid",
            "the password is read from standard input, never from the command line",
            f"echo PASSWORD | loratui unlock {project.name!r} {args.doc!r} --password-stdin",
        )
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise LoratuiError("invalid", "no password on standard input")
    queue_control.unlock(project, doc, password)
    print_result(
        args.json,
        {"id": doc.id, "name": doc.name, "state": "queued"},
        f"password stored for {doc.name}; re-queued. Run `loratui process {project.name!r}`",
    )
    return 0


def _set_paused(args: argparse.Namespace, paused: bool) -> int:
    project = open_project(args)
    if paused:
        queue_control.pause(project)
        text = f"paused {project.name!r}: running files finish, no new ones start"
    else:
        queue_control.resume(project)
        text = f"resumed {project.name!r}"
    print_result(args.json, {"project": project.name, "paused": paused}, text)
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    return _set_paused(args, True)


def cmd_resume(args: argparse.Namespace) -> int:
    return _set_paused(args, False)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    docs_or_all = arg("docs", nargs="*", metavar="DOC")
    add_command(
        sub,
        "process",
        cmd_process,
        "extract queued documents until nothing is left to run",
        arg(
            "--workers",
            type=int,
            help="worker processes (default: one per CPU; with --engine ray: tasks at once, "
            "default the cluster's CPUs)",
        ),
        add_engine_args,
    )
    add_command(
        sub,
        "retry",
        cmd_retry,
        "re-queue failed documents (all, or the ones named)",
        docs_or_all,
        arg("--failed", action="store_true", help="only documents that failed"),
    )
    add_command(
        sub,
        "unlock",
        cmd_unlock,
        "store an encrypted PDF's password and re-queue it",
        arg("doc", metavar="DOC"),
        arg("--password-stdin", action="store_true", help="read the password from stdin"),
    )
    add_command(sub, "pause", cmd_pause, "stop starting new files (running ones finish)")
    add_command(sub, "resume", cmd_resume, "start files again after a pause")
    add_command(
        sub,
        "cancel",
        cmd_cancel,
        "cancel queued and running documents (all, or those named)",
        docs_or_all,
    )
    some_docs = arg("docs", nargs="+", metavar="DOC")
    add_command(
        sub, "exclude", cmd_exclude, "leave documents out of processing and export", some_docs
    )
    add_command(sub, "include", cmd_include, "take excluded documents back in", some_docs)
