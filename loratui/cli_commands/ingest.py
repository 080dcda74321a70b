"""Ingest commands: add, files, show, status."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

import peewee

from loratui.cli_commands.common import (
    add_command,
    arg,
    iso,
    open_project,
    print_json,
    print_result,
)
from loratui.core.errors import LoratuiError
from loratui.core.ingest import add as ingest
from loratui.core.jobs import control as queue_control
from loratui.core.projects import documents
from loratui.core.store.models import DOC_STATES, DONE, FAILED, Document, Job, Page, Project


def cmd_add(args: argparse.Namespace) -> int:
    project = open_project(args)
    results = ingest.add_paths(project, args.paths, origin="cli")
    lines = []
    for r in results:
        ident = str(r.document_id) if r.document_id is not None else "-"
        detail = f"[{r.error_code}] {r.reason}" if r.error_code else r.reason or ""
        lines.append(f"{r.state:<9} {ident:>6}  {r.path}  {detail}".rstrip())
    tally = Counter(r.state for r in results)
    lines.append(", ".join(f"{n} {state}" for state, n in sorted(tally.items())) or "nothing added")
    print_result(args.json, [r.as_dict() for r in results], "\n".join(lines))
    missing = [r for r in results if r.document_id is None and r.state == FAILED]
    return 1 if missing else 0


def _attempts(doc_ids: list[int]) -> dict[int, int]:
    """Attempts of each document's latest extract job."""
    if not doc_ids:
        return {}
    latest = (
        Job.select(Job.document, peewee.fn.MAX(Job.id).alias("jid"))
        .where((Job.kind == "extract") & (Job.document.in_(doc_ids)))
        .group_by(Job.document)
    )
    rows = Job.select(Job.document, Job.attempts).where(Job.id.in_([row.jid for row in latest]))
    return {row.document_id: row.attempts for row in rows}


def file_row(doc: Document, attempts: int = 0) -> dict[str, Any]:
    """One document as ``files --json`` prints it."""
    return {
        "id": doc.id,
        "name": doc.name,
        "state": doc.state,
        "kind": doc.kind,
        "size": doc.size,
        "error_code": doc.error_code,
        "error": doc.error_message,
        "hint": doc.hint,
        "pages": doc.pages,
        "pages_done": doc.pages_done,
        "chars": doc.chars,
        "tokens": doc.tokens,
        "sha256": doc.sha256,
        "text_sha256": doc.text_sha256,
        "attempts": attempts,
        "warnings": doc.warnings or [],
        "excluded": bool(doc.excluded),
        "duplicate_of": doc.duplicate_of_id,
        "origin": doc.origin,
        "source_path": doc.source_path,
        "added_at": iso(doc.created_at),
        "finished_at": iso(doc.finished_at),
    }


def file_rows(project: Project, state: str | None = None) -> list[dict[str, Any]]:
    query = Document.select().where(Document.project == project)
    if state:
        query = query.where(Document.state == state)
    docs = list(query.order_by(Document.id))
    attempts = _attempts([d.id for d in docs])
    return [file_row(d, attempts.get(d.id, 0)) for d in docs]


def cmd_files(args: argparse.Namespace) -> int:
    project = open_project(args)
    rows = file_rows(project, args.state)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no documents" + (f" in state {args.state!r}" if args.state else ""))
        return 0
    for r in rows:
        pages = "-" if r["pages"] is None else str(r["pages"])
        note = ""
        if r["error_code"]:
            note = f"[{r['error_code']}] {r['error']}"
        elif r["warnings"]:
            note = "warnings: " + ", ".join(w.get("code", "?") for w in r["warnings"])
        elif r["duplicate_of"]:
            note = f"duplicate of {r['duplicate_of']}"
        mark = " (excluded)" if r["excluded"] else ""
        print(
            f"{r['id']:>6} {r['state']:<10} {r['kind'] or '-':<7} {pages:>5}p "
            f"{r['chars']:>9,}c  {r['name']}{mark}  {note}".rstrip()
        )
    return 0


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
        text = documents.page_text(doc, args.page)
        if text is None:
            if documents.pages_stored(doc) == 0:
                raise _no_text(doc)
            raise LoratuiError(
                "not_found",
                f"{doc.name} has no page {args.page}",
                f"it has {doc.pages or documents.pages_stored(doc)} page(s)",
            )
        if args.json:
            print_json({"id": doc.id, "name": doc.name, "page": args.page, "text": text})
        else:
            _write(text)
        return 0
    rows = list(
        Page.select(Page.number, Page.text).where(Page.document == doc).order_by(Page.number)
    )
    if not rows:
        raise _no_text(doc)
    if args.json:
        print_json(
            {
                "id": doc.id,
                "name": doc.name,
                "state": doc.state,
                "pages": [{"number": p.number, "text": p.text} for p in rows],
            }
        )
        return 0
    tty = sys.stdout.isatty()
    for i, p in enumerate(rows):
        if i:  # a form feed for scripts; a visible rule for people
            sys.stdout.write(f"\n──── page {p.number} ────\n" if tty else "\f")
        sys.stdout.write(p.text)
    if tty:
        sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def _write(text: str) -> None:
    sys.stdout.write(text)
    if sys.stdout.isatty() and not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def status(project: Project) -> dict[str, Any]:
    """``status --json``: queue counts plus warnings by code."""
    out = {"project": project.name, **queue_control.counts(project)}
    warnings: Counter[str] = Counter()
    query = Document.select(Document.warnings).where(
        (Document.project == project)
        & (Document.state == DONE)
        & (Document.warnings != peewee.Value("[]", converter=False))
    )
    for (items,) in query.tuples():
        for w in items or []:
            warnings[w.get("code", "unknown")] += 1
    out["warnings"] = dict(sorted(warnings.items()))
    return out


def cmd_status(args: argparse.Namespace) -> int:
    project = open_project(args)
    s = status(project)
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
    )
    add_command(
        sub,
        "files",
        cmd_files,
        "list a project's documents",
        arg("--state", choices=DOC_STATES, help="only documents in this state"),
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
