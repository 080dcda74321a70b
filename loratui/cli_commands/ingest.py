"""Ingest commands: add, files, show, status."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from loratui.cli_commands.common import (
    add_command,
    arg,
    iso,
    open_project,
    print_json,
    print_result,
)
from loratui.core.errors import LoratuiError
from loratui.core.extract.shared import PageText
from loratui.core.ingest import add as ingest
from loratui.core.ingest.add_summary import taken_line
from loratui.core.projects import documents, files, overview
from loratui.core.store.models import DOC_STATES, FAILED, Document, Project


def cmd_add(args: argparse.Namespace) -> int:
    project = open_project(args)
    results = ingest.add_paths(project, args.paths, origin="cli", follow_links=args.follow_links)
    lines = []
    for r in results:
        ident = str(r.document_id) if r.document_id is not None else "-"
        detail = f"[{r.error_code}] {r.reason}" if r.error_code else r.reason or ""
        lines.append(f"{r.state:<9} {ident:>6}  {r.path}  {detail}".rstrip())
    tally = Counter(r.state for r in results)
    lines.append(", ".join(f"{n} {state}" for state, n in sorted(tally.items())) or "nothing added")
    taken = taken_line(results)
    if taken:
        lines.append(taken)
    print_result(args.json, [r.as_dict() for r in results], "\n".join(lines))
    missing = [r for r in results if r.document_id is None and r.state == FAILED]
    return 1 if missing else 0


def file_rows(project: Project, state: str | None = None) -> list[dict[str, Any]]:
    """``files --json``: the core's rows, times as ISO 8601."""
    rows = files.file_rows(project, state)
    for r in rows:
        r["added_at"], r["finished_at"] = iso(r["added_at"]), iso(r["finished_at"])
    return rows


def cmd_files(args: argparse.Namespace) -> int:
    project = open_project(args)
    rows = file_rows(project, args.state)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no documents" + (f" in state {args.state!r}" if args.state else ""))
        return 0
    print(files_table(rows))
    return 0


FILES_HEADER = ("ID", "STATE", "KIND", "PAGES", "CHARS", "NAME", "NOTE")


def files_table(rows: list[dict[str, Any]]) -> str:
    """``files`` for people: one aligned column each, a header, and the error (or warnings,
    or what it duplicates) last, where a long message can run on."""
    table = []
    for r in rows:
        note = ""
        if r["error_code"]:
            note = f"[{r['error_code']}] {r['error']}"
        elif r["warnings"]:
            note = "warnings: " + ", ".join(w.get("code", "?") for w in r["warnings"])
        elif r["duplicate_of"]:
            note = f"duplicate of {r['duplicate_of']}"
        state = r["state"] + (" (excluded)" if r["excluded"] else "")
        pages = "-" if r["pages"] is None else str(r["pages"])
        table.append(
            (str(r["id"]), state, r["kind"] or "-", pages, f"{r['chars']:,}", r["name"], note)
        )
    widths = [max(len(row[i]) for row in [FILES_HEADER, *table]) for i in range(6)]
    right = {0, 3, 4}  # numbers

    def line(cells: tuple[str, ...]) -> str:
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join([*out, cells[6]]).rstrip()

    return "\n".join(line(row) for row in [FILES_HEADER, *table])


def _no_text(doc: Document) -> LoratuiError:
    if doc.state == FAILED:
        return LoratuiError(
            doc.error_code or "internal",
            f"{doc.name} has no text: it failed ({doc.error_message})",
            doc.hint,
        )
    return LoratuiError(
        "not_found",
        f"{doc.name} has no extracted text yet (it is {doc.state})",
        "run `loratui process PROJECT` to extract it"
        if doc.state != "duplicate"
        else f"it is a duplicate; show document {doc.duplicate_of_id} instead",
    )


def cmd_show(args: argparse.Namespace) -> int:
    project = open_project(args)
    doc = documents.get_document(project, args.doc)
    if args.page is not None:
        found = documents.pages_read(doc, args.page)
        text = found[0].text if found else None
        if text is None:
            if documents.pages_stored(doc) == 0:
                raise _no_text(doc)
            raise LoratuiError(
                "not_found",
                f"{doc.name} has no page {args.page}",
                f"it has {doc.pages or documents.pages_stored(doc)} page(s)",
            )
        if args.json:
            print_json({"id": doc.id, "name": doc.name, "page": args.page, **_how_read(found[0])})
        else:
            _write(text)
        return 0
    if args.json:
        read = documents.pages_read(doc)
        if not read:
            raise _no_text(doc)
        print_json(
            {
                "id": doc.id,
                "name": doc.name,
                "state": doc.state,
                "pages": [{"number": p.number, **_how_read(p)} for p in read],
            }
        )
        return 0
    rows = documents.pages(doc)
    if not rows:
        raise _no_text(doc)
    tty = sys.stdout.isatty()
    for i, (number, text) in enumerate(rows):
        if i:  # a form feed for scripts; a visible rule for people
            sys.stdout.write(f"\n──── page {number} ────\n" if tty else "\f")
        sys.stdout.write(text)
    if tty or not text.endswith("\n"):  # end on a newline, like every text a tool prints
        sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def _how_read(page: PageText) -> dict[str, Any]:
    """A page's text, the engine that read its text layer (PDFs, else null) and, when OCR
    read it, the OCR engine and its mean line score (else null)."""
    return {
        "text": page.text,
        "engine": page.engine,
        "ocr_engine": page.ocr_engine,
        "ocr_confidence": page.ocr_confidence,
    }


def _write(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def cmd_status(args: argparse.Namespace) -> int:
    project = open_project(args)
    s = overview.status(project)
    states = s["states"]
    lines = [
        f"{project.name}: {s['documents']} documents" + (" (paused)" if s["paused"] else ""),
        "  " + ", ".join(f"{states.get(k, 0)} {k}" for k in DOC_STATES),
        f"  {s['pages']:,} pages, {s['chars']:,} characters, ~{s['tokens']:,} tokens",
    ]
    if s["excluded"]:
        lines.append(f"  {s['excluded']} excluded from exports")
    if s["failures"]:
        failures = sorted(s["failures"].items())
        lines.append("  failures: " + ", ".join(f"{c} {n}" for c, n in failures))
    if s["warnings"]:
        lines.append("  warnings: " + ", ".join(f"{c} {n}" for c, n in s["warnings"].items()))
    for run in s["runs"]:  # a command at work on a Ray cluster
        lines.append(
            f"  {run['command']} running on {run['engine']}: {run['cpus']} CPUs on "
            f"{run['nodes']} node(s) ({run['address']})"
        )
    print_result(args.json, s, "\n".join(lines))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "add",
        cmd_add,
        "add files or folders (recursively) to a project's queue",
        arg("paths", nargs="+", metavar="PATH"),
        arg(
            "--follow-links",
            action="store_true",
            help="also take symbolic links that lead out of an added folder "
            "(skipped by default, with the reason)",
        ),
    )
    add_command(
        sub,
        "files",
        cmd_files,
        "list a project's documents",
        arg(
            "--state",
            choices=(*DOC_STATES, "excluded"),
            help="only documents in this state (excluded: those left out of exports)",
        ),
    )
    add_command(
        sub,
        "show",
        cmd_show,
        "print a document's extracted text",
        arg("doc", help="document id or original file name"),
        arg("--page", type=int, help="only this page (1-based)"),
    )
    add_command(sub, "status", cmd_status, "counts per state, pages, characters, tokens, failures")
