"""Export commands: export, versions, diff, config, check."""

from __future__ import annotations

import argparse
import sys

from loratui.cli_commands.common import (
    add_command,
    arg,
    is_tty,
    iso,
    open_project,
    print_json,
    print_result,
)
from loratui.cli_commands.engine import add_engine_args, open_engine
from loratui.core.export import config as config_mod
from loratui.core.export.config import FORMATS, ExportConfig


def _config_from_args(project, args: argparse.Namespace) -> ExportConfig:  # noqa: ANN001
    """The saved configuration (or ``--config FILE``), then ``--format`` and ``--set``."""
    if getattr(args, "config_file", None):
        cfg = config_mod.read_toml(args.config_file)
    else:
        cfg = config_mod.load_config(project, args.name)
    changes = dict(config_mod.parse_assignment(a) for a in (args.set or []))
    if getattr(args, "format", None):
        changes["format"] = args.format
    if changes:
        cfg = cfg.with_changes(**changes)
    return cfg.check()


def cmd_export(args: argparse.Namespace) -> int:
    from loratui.core.export.version import run_export
    from loratui.core.export.versions import export_summary

    project = open_project(args)
    cfg = _config_from_args(project, args)
    if args.dry_run:
        return _dry_run(args, project, cfg)
    show = not args.json and is_tty()

    def progress(done: int, total: int, message: str) -> None:
        if show:
            print(f"\r{done}/{total} {message[:60]:<60}", end="", file=sys.stderr, flush=True)

    engine = open_engine(args, project, "export")
    try:
        v = run_export(
            project,
            cfg,
            on_progress=progress,
            workers=args.workers,
            force=args.force,
            **({"feed": engine.feed_factory()} if engine else {}),
        )
    except BaseException as exc:
        if engine is not None:
            engine.close(exc)
        raise
    if engine is not None:
        engine.close()
    if show:
        print(file=sys.stderr)
    summary = export_summary(v)
    result = {
        "version": v.number,
        "path": v.path,
        "format": cfg.format,
        "records": {"train": v.records_train, "validation": v.records_validation},
        "tokens": v.tokens,
        "dropped": v.dropped or {},
        "documents": len(v.documents or []),
        "config_hash": v.config_hash,
        **summary,
    }
    dropped = ", ".join(f"{k} {n}" for k, n in result["dropped"].items()) or "none"
    if summary["reused"]:
        print_result(
            args.json,
            result,
            f"v{v.number} reused: it was made from the same documents with the same "
            f"configuration, so a new export would write the same files ({v.path}); nothing "
            "written. --force writes a new version anyway.",
        )
        return 0
    print_result(
        args.json,
        result,
        f"v{v.number} written to {v.path}\n"
        f"records: {v.records_train} train, {v.records_validation} validation; "
        f"tokens: {v.tokens}; documents: {result['documents']}\n"
        f"split: {summary['split']}\n"
        f"dropped: {dropped}"
        + "".join(f"\nwarning: {w}" for w in summary["warnings"])
        + (
            f"\nnote: the same documents and configuration as v{summary['identical_to']} "
            "(--force): the files are the same"
            if summary["identical_to"]
            else ""
        ),
    )
    return 0


def _dry_run(args: argparse.Namespace, project, cfg: ExportConfig) -> int:  # noqa: ANN001
    """``export --dry-run``: what the export would write, from the export's own pipeline;
    nothing is written."""
    from loratui.core.export.preview import drop_reason, preview_records

    _sample, est = preview_records(project, cfg, limit=0)
    how = "exact" if est["exact"] else "estimated from a sample of the documents"
    dropped = ", ".join(f"{k} {n}" for k, n in est["dropped"].items()) or "none"
    lines = [
        f"dry run, nothing written ({cfg.format}; {how}):",
        f"documents: {est['documents']}; chunks: {est['chunks']}; rows: {est['rows']}",
        f"records: {est['records']} ({est['train']} train, {est['validation']} validation); "
        f"tokens: {est['tokens']}",
        f"dropped: {dropped}",
        *[f"  {k}: {drop_reason(k)}" for k in est["dropped"]],
        *[f"warning: {w}" for w in est["warnings"]],
    ]
    print_result(args.json, {"dry_run": True, "format": cfg.format, **est}, "\n".join(lines))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from loratui.core.export.versions import list_versions, version_row

    project = open_project(args)
    rows = [version_row(v) for v in list_versions(project)]
    for r in rows:
        r["created_at"] = iso(r["created_at"])
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"no versions yet; make one with `loratui export {project.name!r}`")
    for r in rows:
        print(
            f"v{r['version']}\t{r['created_at']}\t{r['format']}\t"
            f"{r['records']['train']} train / {r['records']['validation']} validation\t"
            f"{r['tokens']} tokens\t{r['documents']} docs\t{r['path']}"
        )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from loratui.core.export.diff import diff_versions

    project = open_project(args)
    d = diff_versions(project, args.a, args.b)
    if args.json:
        print_json(d)
        return 0
    print(f"v{d['a']} -> v{d['b']}")
    print(
        f"records: +{d['added']} added, -{d['removed']} removed, {d['unchanged']} unchanged"
        f" ({d['moved']} moved between splits)"
    )
    print(
        f"documents: +{len(d['documents']['added'])} added, "
        f"-{len(d['documents']['removed'])} removed"
    )
    if d["config"]:
        print("config changes:")
        for key, (old, new) in d["config"].items():
            print(f"  {key}: {old!r} -> {new!r}")
    else:
        print("config: unchanged")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    project = open_project(args)
    cfg = config_mod.load_config(project, args.name)
    if args.load:
        cfg = config_mod.read_toml(args.load)
    if args.set:
        cfg = cfg.with_changes(**dict(config_mod.parse_assignment(a) for a in args.set))
    if args.load or args.set:
        config_mod.save_config(project, cfg, args.name)
    if args.write:
        config_mod.write_toml(cfg, args.write)
    if args.json:
        print_json({"name": args.name, "config": cfg.to_dict(), "problems": cfg.validate()})
    elif args.show or not (args.write or args.load or args.set):
        sys.stdout.write(config_mod.to_toml(cfg))
    else:
        done = []
        if args.load or args.set:
            done.append(f"saved configuration {args.name!r}")
        if args.write:
            done.append(f"wrote {args.write}")
        print("; ".join(done))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from loratui.core.export.check import check_report

    report = check_report(args.path, args.format, args.max_seq_len, args.tokenizer or "approx")
    errors = report["errors"]
    lines = []
    for p in report["problems"]:
        where = f"line {p['line']}" if p["line"] else "file"
        lines.append(f"{args.path}:{where}: {p['level']}[{p['code']}] {p['message']}")
    verdict = "ok" if errors == 0 else f"{report['problem_count']} problems"
    lines.append(f"{report['records']} records checked as {args.format}: {verdict}")
    print_result(args.json, {"ok": errors == 0, **report}, "\n".join(lines))
    return 0 if errors == 0 else 1


def _add_config_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default="default", help="saved configuration name (default)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="change one setting; repeat for more: --set chunk_tokens=256 --set seed=7",
    )


def _add_config_action(p: argparse.ArgumentParser) -> None:
    """``config``: show, write or load, one at a time."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--show", action="store_true", help="print it as TOML (the default)")
    g.add_argument("--write", metavar="FILE.toml", help="write it to a TOML file")
    g.add_argument("--load", metavar="FILE.toml", help="validate a TOML file and save it")


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return int(value)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "export",
        cmd_export,
        "export a new dataset version",
        arg("--config", dest="config_file", metavar="FILE.toml", help="use this config"),
        arg("--format", choices=FORMATS, help="record format"),
        arg(
            "--dry-run",
            action="store_true",
            help="write nothing: say what the export would make (records per split, tokens, "
            "what would be dropped and why) from the export's own pipeline",
        ),
        arg(
            "--force",
            action="store_true",
            help="write a new version even when one from the same documents and "
            "configuration exists (by default that one is reused)",
        ),
        arg(
            "--workers",
            type=_positive_int,
            default=None,
            metavar="N",
            help="export worker processes (default: one per core; the files are the same)",
        ),
        add_engine_args,
        _add_config_source,
    )
    add_command(sub, "versions", cmd_versions, "list a project's dataset versions")
    add_command(
        sub,
        "diff",
        cmd_diff,
        "compare two versions (records and config)",
        arg("a", metavar="vA"),
        arg("b", metavar="vB"),
    )
    add_command(
        sub,
        "config",
        cmd_config,
        "show, save, load or write the export configuration",
        _add_config_action,
        _add_config_source,
    )
    add_command(
        sub,
        "check",
        cmd_check,
        "check a JSONL file the way a trainer reads it",
        arg("path"),
        arg("--format", required=True, choices=FORMATS),
        arg("--max-seq-len", type=int, default=None, help="flag longer records"),
        arg("--tokenizer", default=None, help="tokenizer.json, model folder or 'approx'"),
        project=False,
    )
