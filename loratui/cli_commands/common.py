"""Helpers shared by the CLI command modules: opening the home, printing text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.projects.workspace import get_project
from loratui.core.store import home as home_mod
from loratui.core.store.models import Project


def open_home(args: argparse.Namespace) -> None:
    home_mod.open_home(args.home)


def open_project(args: argparse.Namespace, attr: str = "project") -> Project:
    """Open the home and return the project named by ``args.<attr>``."""
    open_home(args)
    return get_project(getattr(args, attr))


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


Handler = Callable[[argparse.Namespace], int]
Arg = tuple[tuple[str, ...], dict[str, Any]]


def arg(*flags: str, **options: Any) -> Arg:
    """One ``add_argument(*flags, **options)`` call, written down for ``add_command``."""
    return flags, options


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    func: Handler,
    help: str,
    *arguments: Arg | Callable[[argparse.ArgumentParser], None],
    project: bool = True,
    **parser_options: Any,
) -> argparse.ArgumentParser:
    """Add the subcommand ``name [project] ARGUMENTS... [--json]``, run by ``func``.

    Almost every command takes the project first and ``--json`` last; what comes between is
    given as ``arg(...)`` specs, or as functions that add to the parser themselves (a group).
    The order here is the order of ``--help`` and of positional arguments, so it is stable.
    """
    p = sub.add_parser(name, help=help, **parser_options)
    if project:
        p.add_argument("project")
    for item in arguments:
        if callable(item):
            item(p)
        else:
            flags, options = item
            p.add_argument(*flags, **options)
    add_json_flag(p)
    p.set_defaults(func=func)
    return p


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def print_result(as_json: bool, obj: Any, text: str) -> None:
    """A command's result: ``obj`` as JSON with ``--json``, else ``text`` (lines) for people."""
    if as_json:
        print_json(obj)
    else:
        print(text)


def print_jsonl(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_error(exc: LoratuiError, as_json: bool = False) -> None:
    if as_json:
        print_json({"error": exc.as_dict()})
        return
    print(f"error[{exc.code}]: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def iso(ts: float | None) -> str | None:
    """Epoch seconds as an ISO 8601 UTC string (JSON output uses these)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def is_tty() -> bool:
    return sys.stdout.isatty()
