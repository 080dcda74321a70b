"""Project commands: new, projects, rename, delete, settings."""

from __future__ import annotations

import argparse

from loratui.cli_commands.common import (
    add_command,
    arg,
    iso,
    open_home,
    open_project,
    print_json,
    print_result,
)
from loratui.core.errors import LoratuiError
from loratui.core.projects import overview, workspace
from loratui.core.store import folders
from loratui.core.store import settings as settings_mod
from loratui.core.store.models import Project


def project_row(p: Project) -> dict[str, object]:
    """The summary of one project, as ``projects --json`` prints it."""
    row = overview.project_row(p)
    row["created_at"] = iso(row["created_at"])
    return row


def cmd_new(args: argparse.Namespace) -> int:
    open_home(args)
    p = workspace.create_project(args.name, drop_folder=args.drop_folder)
    print_result(
        args.json,
        project_row(p),
        f"created project {p.name!r} in {folders.project_dir(p)}\n"
        f"drop folder: {folders.drop_dir(p)}",
    )
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    open_home(args)
    rows = overview.project_rows()
    for r in rows:
        r["created_at"] = iso(r["created_at"])
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no projects yet; create one with `loratui new NAME`")
        return 0
    for r in rows:
        print(
            f"{r['name']}\t{r['documents']} docs ({r['done']} done, {r['failed']} failed)"
            f"\tdrop: {r['drop_folder']}\tlast export: {r['last_export'] or '-'}"
        )
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    p = open_project(args)
    workspace.rename_project(p, args.new_name)
    print_result(args.json, project_row(p), f"renamed to {p.name!r}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    p = open_project(args)
    if not args.yes:
        raise LoratuiError(
            "invalid",
            f"deleting {p.name!r} removes its folder, documents, texts and exports",
            f"add --yes to confirm: loratui delete {p.name!r} --yes",
        )
    summary = workspace.delete_project(p)
    print_result(
        args.json,
        summary,
        f"deleted {summary['name']!r}: {summary['documents']} documents, "
        f"{summary['versions']} versions, folder {summary['folder']}",
    )
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    p = open_project(args)
    if args.assignments:
        changes = dict(settings_mod.parse_assignment(a) for a in args.assignments)
        p = workspace.update_settings(p, changes)
    eff = settings_mod.effective(p.settings)
    if args.json:
        print_json(eff)
    else:
        for k in sorted(eff):
            mark = "" if k not in (p.settings or {}) else "  (set)"
            print(f"{k} = {eff[k]}{mark}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Create (or reuse) the demo project from the bundled samples, then open the TUI on it."""
    from loratui.core.projects import demo

    open_home(args)
    project, results = demo.create_demo()
    queued = sum(1 for r in results if r.state == "queued")
    print_result(
        args.json,
        {"project": project_row(project), "added": [r.as_dict() for r in results]},
        f"demo project {project.name!r}: {queued} of {len(results)} sample files queued\n"
        f"the encrypted sample's password is {demo.DEMO_PASSWORD!r}",
    )
    if args.no_open:
        return 0
    from loratui.tui.app import run_app

    return run_app(home=args.home, project=project.id)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's subcommands to the parser."""
    add_command(
        sub,
        "new",
        cmd_new,
        "create a project",
        arg("name"),
        arg("--drop-folder", help="watched folder (default: PROJECT_DIR/inbox)"),
        project=False,
    )
    add_command(sub, "projects", cmd_projects, "list projects", project=False)
    add_command(sub, "rename", cmd_rename, "rename a project", arg("new_name"))
    add_command(
        sub,
        "delete",
        cmd_delete,
        "delete a project and all its data",
        arg("--yes", action="store_true", help="confirm"),
    )
    add_command(
        sub,
        "demo",
        cmd_demo,
        "create a demo project from sample documents and open it",
        arg("--no-open", action="store_true", help="only create it; do not open the TUI"),
        project=False,
    )
    add_command(
        sub,
        "settings",
        cmd_settings,
        "show or change a project's settings (key=value)",
        arg("assignments", nargs="*", metavar="KEY=VALUE"),
    )
