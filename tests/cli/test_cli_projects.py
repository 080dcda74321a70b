"""The project commands through a real ``loratui`` process."""

import json
import subprocess
import sys
from pathlib import Path

from loratui.core.projects import workspace
from tests.conftest import CLI, damage_database


def test_new_projects_delete(cli: CLI) -> None:
    created = cli.json("new", "demo")
    assert created["name"] == "demo" and created["drop_folder"].endswith("inbox")
    rows = cli.json("projects")
    assert [r["name"] for r in rows] == ["demo"]
    assert rows[0]["documents"] == 0
    refused = cli.run("delete", "demo")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert cli.run("delete", "demo", "--yes").returncode == 0
    assert cli.json("projects") == []


def test_errors_and_usage_exit_codes(cli: CLI) -> None:
    missing = cli.run("rename", "nope", "x")
    assert missing.returncode == 1
    assert "error[not_found]" in missing.stderr and "hint:" in missing.stderr
    assert cli.run("new").returncode == 2
    bad = cli.run("settings", "nope", "max_file_mb=3")
    assert bad.returncode == 1


def test_settings_are_typed(cli: CLI) -> None:
    cli.run("new", "s", check=True)
    eff = cli.json("settings", "s", "max_file_mb=5", "watch_poll=true")
    assert eff["max_file_mb"] == 5 and eff["watch_poll"] is True
    bad = cli.run("settings", "s", "max_file_mb=lots")
    assert bad.returncode == 1 and "max_file_mb must be a int" in bad.stderr
    assert cli.json("settings", "s", "ocr=force")["ocr"] == "force"
    bad = cli.run("settings", "s", "ocr=sometimes")
    assert bad.returncode == 1 and "ocr must be one of auto, off, force" in bad.stderr
    assert cli.json("settings", "s")["ocr"] == "force"  # the refused value changed nothing


def test_text_output_of_new_rename_settings_delete(cli: CLI) -> None:
    """The text lines scripts read: one result per command, the same as before --json existed."""
    new = cli.run("new", "t", check=True).stdout.splitlines()
    folder = cli.json("projects")[0]["folder"]
    assert new == [f"created project 't' in {folder}", f"drop folder: {folder}/inbox"]
    assert cli.run("rename", "t", "u", check=True).stdout == "renamed to 'u'\n"
    shown = cli.run("settings", "u", "max_file_mb=7", check=True).stdout.splitlines()
    assert "max_file_mb = 7  (set)" in shown and all(" = " in line for line in shown)
    listed = cli.run("projects", check=True).stdout
    assert listed.startswith("u\t0 docs (0 done, 0 failed)\tdrop: ") and "last export: -" in listed
    deleted = cli.run("delete", "u", "--yes", check=True).stdout
    assert deleted == f"deleted 'u': 0 documents, 0 versions, folder {folder}\n"


def test_every_command_takes_json_and_projects_come_first() -> None:
    """add_command's contract: the project (where there is one) first, --json on every command."""
    import argparse

    from loratui.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    without_project = {"new", "projects", "demo", "restore", "check"}
    for name, parser in sub.choices.items():
        flags = {s for a in parser._actions for s in a.option_strings}
        assert "--json" in flags, name
        positionals = [a.dest for a in parser._actions if not a.option_strings]
        assert (positionals[:1] == ["project"]) == (name not in without_project), name


def test_a_closed_pipe_ends_quietly(home: Path) -> None:
    """`loratui projects --json | head -c 10` must not print a BrokenPipeError traceback."""
    for i in range(400):  # ~150 KB of JSON: more than a pipe buffer holds
        workspace.create_project(f"p{i}")
    proc = subprocess.run(
        f"{sys.executable} -m loratui --home {home} projects --json | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert proc.stdout.startswith("[")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_a_damaged_database_is_an_error_with_a_hint_not_a_traceback(cli: CLI) -> None:
    cli.run("new", "kept", check=True)
    damage_database(cli.home)
    proc = cli.run("projects")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error[db_damaged]: the database ")
    assert "hint: restore your projects from their archives" in proc.stderr
    out = cli.run("projects", "--json")
    assert json.loads(out.stdout)["error"]["code"] == "db_damaged" and out.returncode == 1
