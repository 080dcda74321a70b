"""Shared fixtures: a private tmp home per test, a private Hugging Face cache for every
test, and ways to run the CLI for real."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before anything imports ``datasets`` (it reads these once, at import): the whole run gets
# its own Hugging Face cache, offline, so no test reads or writes ~/.cache/huggingface (a
# load there once returned rows a test had cached). Each test then gets a fresh one below.
_HF_RUN = Path(tempfile.mkdtemp(prefix="loratui-tests-hf-"))
atexit.register(shutil.rmtree, _HF_RUN, ignore_errors=True)
HF_ENV = {
    "HF_HOME": str(_HF_RUN),
    "HF_DATASETS_CACHE": str(_HF_RUN / "datasets"),
    "HF_HUB_CACHE": str(_HF_RUN / "hub"),
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_OFFLINE": "1",
}
os.environ.update(HF_ENV)

import pytest  # noqa: E402 - after the environment above

from loratui.core import audit  # noqa: E402
from loratui.core.store import home as home_mod  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL_CORPUS = (REPO.parent / "shared" / "corpus" / "real").resolve()


@pytest.fixture(autouse=True)
def private_hf_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test its own empty Hugging Face cache (environment for subprocesses, and
    ``datasets.config`` when ``datasets`` is already imported)."""
    cache = tmp_path_factory.mktemp("hf")
    monkeypatch.setenv("HF_HOME", str(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache / "hub"))
    datasets_config = sys.modules.get("datasets.config")
    if datasets_config is not None:
        monkeypatch.setattr(datasets_config, "HF_DATASETS_CACHE", cache / "datasets")
        monkeypatch.setattr(datasets_config, "HF_DATASETS_OFFLINE", True, raising=False)
        monkeypatch.setattr(datasets_config, "HF_HUB_OFFLINE", True, raising=False)
    return cache / "datasets"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh loratui home in a tmp dir, opened in this process."""
    path = tmp_path / "home"
    monkeypatch.setenv("LORATUI_HOME", str(path))
    audit.set_origin("cli")  # an in-process TUI test may have set "tui"
    opened = home_mod.open_home(path)
    yield opened
    home_mod.close_home()


@pytest.fixture
def real_corpus() -> Path:
    """The shared corpus of real documents; tests using it skip when it is absent."""
    if not (REAL_CORPUS / "manifest.json").exists():
        pytest.skip("shared/corpus/real is not present")
    return REAL_CORPUS


class CLI:
    """Run ``loratui`` as a real subprocess against one home."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["LORATUI_HOME"] = str(self.home)
        return env

    def run(
        self, *args: str, input: str | None = None, timeout: float = 300, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "loratui", "--home", str(self.home), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"loratui {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def json(self, *args: str, input: str | None = None, timeout: float = 300) -> object:
        proc = self.run(*args, "--json", input=input, timeout=timeout, check=True)
        return json.loads(proc.stdout)

    def run_with_file_limit(
        self, limit_bytes: int, *args: str, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """``run`` with no file allowed past ``limit_bytes`` (RLIMIT_FSIZE): a write past it
        fails (EFBIG), as on a full disk, instead of killing the process (SIGXFSZ)."""
        import resource
        import signal

        def limit() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

        return subprocess.run(
            [sys.executable, "-m", "loratui", "--home", str(self.home), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            preexec_fn=limit,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "loratui", "--home", str(self.home), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """A CLI runner on its own tmp home (separate from the ``home`` fixture's)."""
    return CLI(tmp_path / "clihome")


def damage_database(home: Path, table: str | None = None) -> None:
    """Overwrite pages of ``home``'s database with junk (after checkpointing the WAL into it),
    as a bad disk or a half-copied file would: every page after the first (the schema), or
    only the root page of ``table``."""
    import sqlite3

    path = home / "loratui.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = None
    if table is not None:
        sql = "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?"
        root = con.execute(sql, (table,)).fetchone()[0]
    con.close()
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        if root is None:
            fh.seek(page)
            fh.write(b"\xa5" * (size - page))
        else:
            fh.seek((root - 1) * page)
            fh.write(b"\xa5" * page)
