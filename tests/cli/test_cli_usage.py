"""Command-line shapes found by use (issue 13, item 15): ``--set`` takes one KEY=VALUE per
use (it swallowed the project), usage errors answer in JSON under ``--json``, ``show`` and
``diff`` end on a newline, ``files`` prints aligned columns and filters excluded files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CLI


def test_set_takes_one_value_and_leaves_the_project(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "p", check=True)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(" ".join(["The pump in hall C was checked."] * 80))
    cli.run("add", "p", str(tmp_path / "in"), check=True)
    cli.run("process", "p", check=True)
    # the project after --set: it used to be taken as a second KEY=VALUE ("project required")
    out = cli.json("export", "--set", "chunk_tokens=256", "--set", "seed=7", "p")
    assert out["version"] == 1
    saved = cli.json("config", "--set", "chunk_tokens=128", "p")
    assert saved["config"]["chunk_tokens"] == 128
    # two values after one --set: the second is not a setting any more
    two = cli.run("export", "p", "--set", "chunk_tokens=256", "seed=7", "--json")
    assert two.returncode == 2
    assert json.loads(two.stdout)["error"]["code"] == "usage"
    # show and diff end on a newline
    shown = cli.run("show", "p", "a.txt", check=True).stdout
    assert shown.endswith("checked.\n")
    cli.run("export", "p", check=True)  # the saved configuration: chunk_tokens=128
    diff = cli.run("diff", "p", "v1", "v2", check=True).stdout
    assert diff.endswith("\n") and "chunk_tokens: 256 -> 128" in diff


def test_usage_errors_are_json_under_json(cli: CLI) -> None:
    missing = cli.run("files", "--json")
    assert missing.returncode == 2 and missing.stderr == ""
    error = json.loads(missing.stdout)["error"]
    assert error["code"] == "usage"
    assert "required: project" in error["message"]
    assert "loratui files --help" in error["hint"]
    bad = cli.run("export", "p", "--workers", "0", "--json")
    assert bad.returncode == 2 and "1 or more" in json.loads(bad.stdout)["error"]["message"]
    unknown = cli.run("files", "p", "--colour", "--json")
    assert unknown.returncode == 2
    assert "unrecognized arguments: --colour" in json.loads(unknown.stdout)["error"]["message"]
    # without --json: argparse's usage and message on stderr, as before
    plain = cli.run("files")
    assert plain.returncode == 2 and plain.stdout == ""
    assert plain.stderr.startswith("usage: loratui files")
    assert "error: the following arguments are required: project" in plain.stderr


def test_files_columns_and_excluded(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "p", check=True)
    (tmp_path / "in").mkdir()
    long_name = "poi__test-data_document-with-a-long-name-0001.txt"
    (tmp_path / "in" / long_name).write_text("Valve log. " * 50)
    (tmp_path / "in" / "b.txt").write_text("Another note about the boiler. " * 50)
    (tmp_path / "in" / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    cli.run("add", "p", str(tmp_path / "in"))
    cli.run("exclude", "p", "b.txt", check=True)
    lines = cli.run("files", "p", check=True).stdout.splitlines()
    assert lines[0].split() == ["ID", "STATE", "KIND", "PAGES", "CHARS", "NAME", "NOTE"]
    name_at = lines[0].index("NAME")
    note_at = lines[0].index("NOTE")
    rows = {line[name_at:].split()[0]: line for line in lines[1:]}
    assert set(rows) == {long_name, "b.txt", "photo.txt"}
    # every name starts under NAME, whole; the failed file's error starts under NOTE
    assert rows["photo.txt"][note_at:].startswith("[type_mismatch]")
    assert "(excluded)" in rows["b.txt"]
    assert all(line[name_at - 1] == " " for line in lines)
    excluded = cli.run("files", "p", "--state", "excluded", check=True).stdout.splitlines()
    assert len(excluded) == 2 and "b.txt" in excluded[1]
    as_json = cli.json("files", "p", "--state", "excluded")
    assert [r["name"] for r in as_json] == ["b.txt"]


def test_add_summary_shows_what_was_taken_by_kind(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    for n in range(4):
        (folder / f"note-{n}.md").write_text(f"# Note {n}\n\nThe pump {n} was checked.\n")
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge.\n")
    (folder / "manifest.json").write_text('[{"name": "pump", "id": 1}]\n')
    cli.run("new", "p", check=True)
    out = cli.run("add", "p", str(folder), check=True).stdout.splitlines()
    assert out[-2] == "6 queued"
    assert out[-1] == "taken: 5 text (4 .md, LICENSE), 1 records (manifest.json)"
    again = cli.run("add", "p", str(folder), check=True).stdout.splitlines()
    assert again[-1] == "6 duplicate"  # nothing taken: no "taken" line
