"""The project commands through a real ``loratui`` process."""

from tests.conftest import CLI


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
