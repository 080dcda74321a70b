"""Generation commands: generate (pairs from chunks), pairs (list and review), genconfig.

``generate`` talks to the configured model server only; the API key comes from
``LORATUI_API_KEY`` or ``OPENAI_API_KEY`` and is never stored, printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from loratui.cli_commands.common import (
    add_command,
    arg,
    is_tty,
    iso,
    open_project,
    print_json,
    print_result,
)
from loratui.core.errors import LoratuiError
from loratui.core.generation import config_store
from loratui.core.generation import settings as settings_mod
from loratui.core.store.models import PAIR_STATES, Project


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


# ---- generate ---------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from loratui.core.generation.client import api_key_from_env
    from loratui.core.generation.runner import GenerationRunner

    project = open_project(args)
    saved = config_store.load_settings(project)
    changes: dict[str, Any] = {}
    if args.base_url:
        # the first server is base_url, the others spread the load (``server_pool``)
        changes["base_url"], *changes["extra_base_urls"] = args.base_url
    for flag, key in (
        ("model", "model"),
        ("concurrency", "concurrency"),
        ("pairs_per_chunk", "pairs_per_chunk"),
    ):
        value = getattr(args, flag)
        if value is not None:
            changes[key] = value
    settings = saved.with_changes(**changes).check() if changes else saved.check()

    def save(_model: str) -> None:
        if changes:
            config_store.save_settings(project, settings)

    bar = _Bar(project.name) if is_tty() and not args.json else None
    runner = GenerationRunner(
        project,
        settings,
        api_key=api_key_from_env(),
        limit=args.limit,
        on_progress=bar.update if bar else None,
        before_start=save,
        origin="cli",
    )
    try:
        stopped_by = asyncio.run(_run(runner))
    finally:
        if bar is not None:
            bar.close()
    progress = runner.progress
    summary = progress.as_dict()
    summary.update({"model": runner.model, "interrupted": stopped_by})
    if runner.servers:
        summary["servers"] = runner.servers
    print_result(args.json, summary, _summary_text(project, summary))
    return 130 if stopped_by else 0


async def _run(runner: Any) -> str | None:
    """Run; SIGINT/SIGTERM stop it cleanly (requests in flight go back to the queue)."""
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        runner.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await runner.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return received[0] if received else None


class _Bar:
    """A rich progress bar on a TTY: chunks finished of the plan, and the run's figures."""

    def __init__(self, name: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self.task = self.bar.add_task(f"generating ({name})", total=None)
        self.started = False

    def update(self, p: Any) -> None:
        if not self.started:
            self.bar.start()
            self.started = True
        self.bar.update(
            self.task, total=p.chunks or None, completed=p.finished, description=p.line()
        )

    def close(self) -> None:
        if self.started:
            self.bar.stop()


def _summary_text(project: Project, s: dict[str, Any]) -> str:
    lines = [
        f"{s['chunks']} chunks: {s['done']} done, {s['failed']} failed, "
        f"{s['quarantined']} quarantined",
        f"pairs: {s['pairs']} ({s['kept']} kept, {s['rejected']} rejected)",
        f"requests: {s['requests']} ({s['retries']} retries, {s['reused']} answers reused from "
        f"the ledger); tokens in/out: {s['tokens_in']}/{s['tokens_out']}; {s['seconds']:.1f} s",
    ]
    for server in s.get("servers", []):
        lines.append(
            f"  {server['url']}: {server['answered']} answered, {server['failed']} failed tries"
        )
    if s["errors"]:
        lines.append("errors: " + ", ".join(f"{k} {n}" for k, n in s["errors"].items()))
    if s.get("interrupted"):
        lines.append(f"stopped by {s['interrupted']}: run generate again to go on")
    elif s["failed"] or s["quarantined"]:
        lines.append(
            f"see why with `loratui log {project.name!r}` and the quarantined answers with "
            "`loratui generate` again after a fix (failed chunks are asked again)"
        )
    lines.append(f"review with `loratui pairs {project.name!r}`")
    return "\n".join(lines)


# ---- pairs ------------------------------------------------------------------------------


def cmd_pairs(args: argparse.Namespace) -> int:
    from loratui.core.generation import review

    project = open_project(args)
    if args.accept:
        done = review.accept(project, args.accept)
        print_result(args.json, {"accepted": done}, f"accepted {len(done)} pair(s)")
        return 0
    if args.reject:
        done = review.reject(project, args.reject, args.reason)
        print_result(args.json, {"rejected": done}, f"rejected {len(done)} pair(s)")
        return 0
    if args.edit is not None:
        if args.question is None and args.answer is None:
            raise LoratuiError("invalid", "--edit needs --question, --answer or both")
        pair = review.edit(project, args.edit, args.question, args.answer)
        row = review.pair_row(pair)
        row["created_at"] = iso(row["created_at"])
        print_result(args.json, row, f"pair {pair.id} edited")
        return 0
    if args.question is not None or args.answer is not None:
        raise LoratuiError("invalid", "--question and --answer go with --edit ID")
    doc_id = None
    if args.document:
        from loratui.core.projects.documents import get_document

        doc_id = get_document(project, args.document).id
    rows = []
    for p in review.list_pairs(project, args.state, doc_id):
        row = review.pair_row(p)
        row["created_at"] = iso(row["created_at"])
        rows.append(row)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"no pairs; make some with `loratui generate {project.name!r}`")
    for r in rows:
        reason = f"  [{r['reason']}]" if r["reason"] else ""
        print(
            f"{r['id']}\t{r['state']}\tdoc {r['document_id']} chunk {r['chunk']}\t"
            f"Q: {_flat(r['question'])}\n\tA: {_flat(r['answer'])}{reason}"
        )
    return 0


def _flat(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---- genconfig --------------------------------------------------------------------------


def cmd_genconfig(args: argparse.Namespace) -> int:
    project = open_project(args)
    cfg = config_store.load_settings(project)
    if args.load:
        cfg = settings_mod.read_toml(args.load)
    if args.set:
        cfg = cfg.with_changes(**dict(settings_mod.parse_assignment(a) for a in args.set))
    if args.load or args.set:
        config_store.save_settings(project, cfg)
    if args.write:
        settings_mod.write_toml(cfg, args.write)
    if args.json:
        print_json({"settings": cfg.to_dict(), "problems": cfg.validate()})
    elif args.show or not (args.write or args.load or args.set):
        sys.stdout.write(settings_mod.to_toml(cfg))
    else:
        done = []
        if args.load or args.set:
            done.append("saved the generation settings")
        if args.write:
            done.append(f"wrote {args.write}")
        print("; ".join(done))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "generate",
        cmd_generate,
        "generate question/answer pairs from the chunks with a model server",
        arg(
            "--base-url",
            metavar="URL",
            action="append",
            help="the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1; give it once per "
            "server to spread the requests over several servers of the same model",
        ),
        arg("--model", metavar="NAME", help="the model to ask (default: the one served)"),
        arg(
            "--concurrency",
            type=_positive_int,
            metavar="N",
            help="requests in flight at most (on each server)",
        ),
        arg("--pairs-per-chunk", type=_positive_int, metavar="K", help="pairs asked per chunk"),
        arg("--limit", type=_positive_int, metavar="N", help="only the first N chunks"),
    )
    add_command(
        sub,
        "pairs",
        cmd_pairs,
        "list generated pairs, or accept, reject or edit them",
        arg("--state", choices=PAIR_STATES, help="only pairs in this state"),
        arg("--document", metavar="DOC", help="only pairs of this document (id or name)"),
        _add_review,
        arg("--reason", metavar="TEXT", help="why, with --reject"),
        arg("--question", metavar="TEXT", help="the new question, with --edit"),
        arg("--answer", metavar="TEXT", help="the new answer, with --edit"),
    )
    add_command(
        sub,
        "genconfig",
        cmd_genconfig,
        "show, save, load or write the generation settings (prompts included)",
        _add_genconfig_action,
        arg(
            "--set",
            action="append",
            metavar="KEY=VALUE",
            help="change one setting; repeat for more: --set template=qa --set judge=true",
        ),
    )


def _add_review(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--accept", type=int, nargs="+", metavar="ID", help="keep these pairs")
    g.add_argument("--reject", type=int, nargs="+", metavar="ID", help="reject these pairs")
    g.add_argument("--edit", type=int, metavar="ID", help="change a pair's question or answer")


def _add_genconfig_action(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--show", action="store_true", help="print them as TOML (the default)")
    g.add_argument("--write", metavar="FILE.toml", help="write them to a TOML file")
    g.add_argument("--load", metavar="FILE.toml", help="validate a TOML file and save it")
