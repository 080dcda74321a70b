"""The headless command line: every command prints text, or JSON with ``--json``.

Exit codes: 0 success, 1 an error (printed as code, message and hint), 2 a usage error.
Each group of commands lives in ``loratui/cli_commands/``; this module assembles them.
``loratui`` with no command opens the TUI (imported lazily, so scripts never load Textual).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

import peewee

from loratui import __version__
from loratui.core.errors import LoratuiError
from loratui.core.store import db

COMMAND_MODULES = (
    "loratui.cli_commands.projects",
    "loratui.cli_commands.ingest",
    "loratui.cli_commands.queue",
    "loratui.cli_commands.watch",
    "loratui.cli_commands.export",
    "loratui.cli_commands.generate",
    "loratui.cli_commands.audit",
    "loratui.cli_commands.ownership",
)


class UsageError(Exception):
    """A command line argparse rejects, raised instead of printing and exiting so that
    ``main`` can answer in the form asked for (JSON with ``--json``)."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.message, self.usage, self.prog = message, usage, prog


class CliParser(argparse.ArgumentParser):
    """argparse with usage errors raised as ``UsageError`` (subcommand parsers inherit it)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage(), self.prog)


def _usage_error(exc: UsageError, as_json: bool) -> int:
    """Exit code 2; with ``--json`` the error is a JSON object like every other error."""
    from loratui.cli_commands.common import print_error

    if as_json:
        hint = f"run `{exc.prog} --help` for the arguments it takes"
        print_error(LoratuiError("usage", exc.message, hint), as_json=True)
    else:
        sys.stderr.write(exc.usage)
        sys.stderr.write(f"{exc.prog}: error: {exc.message}\n")
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="loratui",
        description="Turn a pile of documents into versioned LoRA fine-tuning datasets.",
    )
    parser.add_argument("--home", help="data folder (default: $LORATUI_HOME or the user data dir)")
    parser.add_argument("--version", action="version", version=f"loratui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _usage_error(exc, "--json" in argv)
    from loratui.cli_commands.common import print_error

    try:
        if not args.command:
            from loratui.tui.app import run_app

            return run_app(home=args.home)
        return int(args.func(args) or 0)
    except LoratuiError as exc:
        print_error(exc, as_json=getattr(args, "json", False))
        return 1
    except (peewee.DatabaseError, sqlite3.DatabaseError) as exc:
        print_error(db.explain(exc), as_json=getattr(args, "json", False))
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `loratui files P --json | head`: the reader left; stop quietly, like other tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
