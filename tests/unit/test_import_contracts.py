"""The boundaries written as import-linter contracts in pyproject.toml hold, one test each.

``.ci/run`` runs ``lint-imports`` too; this puts each contract's result among the tests,
with the imports that break it in the failure message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = [
    c["id"]
    for c in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
]


def lint_imports() -> str:
    pytest.importorskip("importlinter", reason="import-linter is not installed")
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    found = found or shutil.which("lint-imports")
    if found is None:
        pytest.skip("the lint-imports command is not installed")
    return found


def test_the_contracts_cover_the_boundaries() -> None:
    assert {"core-headless", "tui-without-cli", "extract-alone", "core-layers"} <= set(CONTRACTS)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_import_contract_is_kept(contract: str) -> None:
    proc = subprocess.run(
        [lint_imports(), "--no-cache", "--contract", contract],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
