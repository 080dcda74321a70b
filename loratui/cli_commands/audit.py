"""Transparency commands: log, audit, history (the activity log and its hash chain)."""

from __future__ import annotations

import argparse
import collections
import signal
import time

from loratui.cli_commands.common import (
    add_command,
    arg,
    open_project,
    print_json,
    print_jsonl,
    print_result,
)
from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects.documents import get_document
from loratui.core.store.models import Event

FOLLOW_POLL_S = 0.5


def event_line(ev: Event) -> str:
    """One event as a line of text: time, level, kind, document, message, who/where."""
    d = audit.event_dict(ev)
    doc = f"doc#{ev.document_id}" if ev.document_id is not None else ""
    who = f"{ev.actor or '?'}@{ev.origin or '?'}"
    return f"{d['time']}  {ev.level:<7} {ev.kind:<22} {doc:<8} {ev.message}  [{who}]"


def _doc_id(project, ref: str | None) -> int | None:  # noqa: ANN001
    """A document id from an id or name; a bare id also finds a purged document."""
    if ref is None:
        return None
    try:
        return get_document(project, ref).id
    except LoratuiError:
        if ref.isdigit():
            return int(ref)
        purged = audit.purged_document_id(project, ref)
        if purged is None:
            raise
        return purged


def _emit(ev: Event, as_json: bool) -> None:
    """Print one event: a JSON line with --json (--follow streams), else a text line."""
    if as_json:
        print_jsonl(audit.event_dict(ev))
    else:
        print(event_line(ev), flush=True)


def cmd_log(args: argparse.Namespace) -> int:
    p = open_project(args)
    doc_id = _doc_id(p, args.doc)
    rows = audit.events(p, level=args.level, document_id=doc_id, limit=args.limit)
    if args.json and not args.follow:
        print_json([audit.event_dict(ev) for ev in rows])
        return 0
    for ev in rows:
        _emit(ev, args.json)
    if not args.follow:
        if not rows and not args.json:
            print("no events")
        return 0
    last = rows[-1].id if rows else audit.last_event_id(p)
    # Ctrl-C ends --follow even when the shell started us with SIGINT ignored (a command
    # run with & in a script inherits that, and Python then never raises KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            time.sleep(FOLLOW_POLL_S)
            for ev in audit.events(p, level=args.level, document_id=doc_id, since_id=last):
                last = ev.id
                _emit(ev, args.json)
    except KeyboardInterrupt:
        return 0


def cmd_audit(args: argparse.Namespace) -> int:
    p = open_project(args)
    if not args.verify:
        rows = audit.events(p)
        summary = {
            "project": p.name,
            "events": len(rows),
            "first": audit.event_dict(rows[0])["time"] if rows else None,
            "last": audit.event_dict(rows[-1])["time"] if rows else None,
            "kinds": dict(collections.Counter(ev.kind for ev in rows)),
            "actors": dict(collections.Counter(ev.actor for ev in rows)),
            "origins": dict(collections.Counter(ev.origin for ev in rows)),
        }
        lines = [f"{summary['events']} events from {summary['first']} to {summary['last']}"]
        for key in ("kinds", "actors", "origins"):
            lines.append(f"{key}: " + ", ".join(f"{k} {n}" for k, n in summary[key].items()))
        lines.append(f"verify the hash chain with `loratui audit {p.name!r} --verify`")
        print_result(args.json, summary, "\n".join(lines))
        return 0
    result = {"project": p.name, **audit.verify_report(p), "home": audit.verify_report(None)}
    ok = result["ok"] and result["home"]["ok"]
    result["all_ok"] = ok
    if args.json:
        print_json(result)
    else:
        for label, r in ((f"project {p.name!r}", result), ("home", result["home"])):
            if r["ok"]:
                print(f"{label}: chain ok ({r['events']} events)")
            else:
                print(
                    f"{label}: chain BROKEN at event #{r['first_broken_event_id']}: {r['reason']}"
                )
    if ok:
        return 0
    if args.json:
        return 1  # the JSON above names the broken event
    broken = result if not result["ok"] else result["home"]
    where = f"project {p.name!r}" if not result["ok"] else "the home"
    raise LoratuiError(
        "tampered",
        f"the audit trail of {where} is broken at event #{broken['first_broken_event_id']}",
    )


def cmd_history(args: argparse.Namespace) -> int:
    p = open_project(args)
    doc_id = _doc_id(p, args.doc)
    doc = None
    try:
        doc = get_document(p, doc_id)
    except LoratuiError:
        pass
    rows = audit.document_history(p, doc if doc is not None else doc_id)
    if not rows and doc is None:
        raise LoratuiError(
            "not_found",
            f"no document {args.doc!r} in project {p.name!r}, and no events of one",
            f"list them with `loratui files {p.name!r}`",
        )
    if args.json:
        print_json(
            {
                "document": {
                    "id": doc_id,
                    "name": doc.name if doc else None,
                    "sha256": doc.sha256 if doc else None,
                    "state": doc.state if doc else "purged",
                },
                "events": [audit.event_dict(ev) for ev in rows],
            }
        )
        return 0
    title = doc.name if doc else f"#{doc_id} (no longer in the project)"
    print(f"history of {title}")
    for ev in rows:
        print(event_line(ev))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "log",
        cmd_log,
        "show the activity log and audit trail",
        arg("--follow", "-f", action="store_true", help="keep printing new events"),
        arg("--level", choices=audit.LEVELS, help="this level and above"),
        arg("--doc", help="only events of this document (id or name)"),
        arg("--limit", type=int, help="only the newest N events"),
    )
    add_command(
        sub,
        "audit",
        cmd_audit,
        "summarise the audit trail; --verify checks its hash chain",
        arg("--verify", action="store_true", help="recompute the hash chain"),
    )
    add_command(
        sub,
        "history",
        cmd_history,
        "the timeline of one document",
        arg("doc", help="document id or name"),
    )
