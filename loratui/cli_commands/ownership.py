"""Data ownership commands: archive, restore, purge, where."""

from __future__ import annotations

import argparse

from loratui.cli_commands.common import (
    add_command,
    arg,
    open_home,
    open_project,
    print_json,
    print_result,
)
from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects import archive as archive_mod
from loratui.core.projects import overview
from loratui.core.projects import purge as purge_mod
from loratui.core.projects import restore as restore_mod
from loratui.core.projects import where as where_mod
from loratui.core.projects.documents import get_document


def cmd_archive(args: argparse.Namespace) -> int:
    p = open_project(args)
    summary = archive_mod.archive_project(p, args.out)
    rows = sum(summary["rows"].values())
    print_result(
        args.json,
        summary,
        f"archived {p.name!r} to {summary['path']}: {summary['files']} files, {rows} rows, "
        f"{summary['bytes']:,} bytes, sha256 {summary['sha256']}",
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    open_home(args)
    project = restore_mod.restore_archive(args.archive, as_name=args.as_name)
    row = overview.project_row(project)
    info = {
        "id": project.id,
        "name": project.name,
        "folder": row["folder"],
        "documents": row["documents"],
        "versions": row["versions"],
        "chain_ok": audit.verify_chain(project)[0],
    }
    print_result(
        args.json,
        info,
        f"restored {info['name']!r} into {info['folder']}: {info['documents']} documents, "
        f"{info['versions']} versions; audit chain "
        + ("verifies" if info["chain_ok"] else "does NOT verify"),
    )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    p = open_project(args)
    docs = [get_document(p, ref) for ref in args.docs]
    if not args.yes:
        names = ", ".join(repr(d.name) for d in docs)
        raise LoratuiError(
            "invalid",
            f"purging deletes {names} for good: original, extracted text and rows",
            "add --yes to confirm",
        )
    result = purge_mod.purge_documents(p, docs)
    if args.json:
        print_json(result)
        return 0
    for d in result["purged"]:
        print(f"purged {d['name']!r} (#{d['id']}, sha256 {d['sha256'][:12]})")
    for k in result["files_kept"]:
        print(f"kept {k['path']}: the same bytes are also document(s) {', '.join(k['used_by'])}")
    for v in result["versions"]:
        print(
            f"version v{v['version']} still contains {', '.join(v['documents'])}: "
            f"delete {v['path']} if it must go too"
        )
    if not result["compact"]["wal_truncated"]:
        print("note: another loratui process holds the database; run purge again when it exits")
    return 0


def cmd_where(args: argparse.Namespace) -> int:
    p = open_project(args)
    rows = where_mod.where(p)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        unit = r.get("unit", "files")
        path = r["path"] or ", ".join(r.get("paths", [])) or "-"
        print(f"{r['label']:<40} {r['count']:>7} {unit:<9} {_human(r['bytes']):>10}  {path}")
    return 0


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "archive",
        cmd_archive,
        "write the whole project to one .tar.gz",
        arg("out", metavar="OUT.tar.gz"),
    )
    add_command(
        sub,
        "restore",
        cmd_restore,
        "recreate a project from an archive",
        arg("archive", metavar="ARCHIVE"),
        arg("--as", dest="as_name", metavar="NAME", help="restore under this name"),
        project=False,
    )
    add_command(
        sub,
        "purge",
        cmd_purge,
        "delete documents for good (original, text, rows)",
        arg("docs", nargs="+", metavar="DOC"),
        arg("--yes", action="store_true", help="confirm"),
    )
    add_command(sub, "where", cmd_where, "where each kind of the project's data lives")
