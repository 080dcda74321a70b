"""``--engine`` and ``--address`` without a Ray cluster: the errors a user meets first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import CLI

# the CLI as installed, with Ray made unimportable (as where the extra is not installed)
WITHOUT_RAY = (
    "import sys; sys.modules['ray'] = None; from loratui.cli import main; "
    "raise SystemExit(main(sys.argv[1:]))"
)


def test_without_ray_the_engine_says_how_to_install_it(cli: CLI, tmp_path: Path) -> None:
    cli.run("new", "p", check=True)
    (tmp_path / "a.txt").write_text("some words\n")
    cli.run("add", "p", str(tmp_path / "a.txt"), check=True)
    for command in ("process", "export"):
        proc = subprocess.run(
            [sys.executable, "-c", WITHOUT_RAY, "--home", str(cli.home), command, "p"]
            + ["--engine", "ray", "--json"],
            capture_output=True,
            text=True,
            env=cli.env(),
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        error = json.loads(proc.stdout)["error"]
        assert error["code"] == "ray_missing"
        assert error["hint"] == "pip install 'loratui[ray]'"
    # nothing ran: the document still waits, and no run was recorded
    status = cli.json("status", "p")
    assert (status["states"]["queued"], status["runs"]) == (1, [])


def test_an_address_needs_the_ray_engine(cli: CLI) -> None:
    cli.run("new", "p", check=True)
    proc = cli.run("process", "p", "--address", "10.0.0.1:6379")
    assert proc.returncode == 1
    assert "error[invalid]: --address names a Ray cluster, but the engine is local" in proc.stderr
    assert "hint: add --engine ray, or leave --address out" in proc.stderr
