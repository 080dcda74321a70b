"""Private by default: 0700 folders and 0600 files whatever the umask, the drop folder
group-writable only on request, ``where`` tells the truth, and no network connection is
ever attempted while ingesting and exporting."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from loratui.core.projects import archive, privacy, where, workspace
from loratui.core.store import folders
from tests.unit.sample_docs import add_text_doc

REPO = Path(__file__).resolve().parents[2]


def _loratui(home: Path, *args: str, umask: int = 0o022, env: dict | None = None):
    proc = subprocess.run(
        [sys.executable, "-m", "loratui", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=300,
        umask=umask,
        env=env or os.environ.copy(),
        cwd=REPO,
    )
    assert proc.returncode == 0, f"loratui {args}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_everything_is_private_whatever_the_umask(umask: int, tmp_path: Path) -> None:
    home = tmp_path / "home"
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.txt").write_text("private notes\n" * 20)
    _loratui(home, "new", "priv", umask=umask)
    _loratui(home, "add", "priv", str(src), umask=umask)
    _loratui(home, "process", "priv", "--workers", "1", umask=umask)
    _loratui(home, "export", "priv", umask=umask)
    assert list((home / "projects").glob("*-priv/exports/v1/train.jsonl"))
    out = tmp_path / "priv.tar.gz"
    _loratui(home, "archive", "priv", str(out), umask=umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert (home / "loratui.db-wal").exists() or (home / "loratui.db").exists()
    assert privacy.violations(home) == []
    # asked for: a group-writable drop folder, and only that
    _loratui(home, "settings", "priv", "drop_group_writable=true", umask=umask)
    drop = next((home / "projects").glob("*-priv")) / "inbox"
    assert stat.S_IMODE(drop.stat().st_mode) == 0o770
    assert privacy.violations(home, allowed={drop: 0o770}) == []
    _loratui(home, "settings", "priv", "drop_group_writable=false", umask=umask)
    assert stat.S_IMODE(drop.stat().st_mode) == 0o700


def test_external_drop_folder_gets_the_shared_mode_on_create(home: Path, tmp_path: Path) -> None:
    drop = tmp_path / "shared-drop"
    p = workspace.create_project("ext", drop_folder=drop)
    assert stat.S_IMODE(drop.stat().st_mode) == 0o700
    p = workspace.update_settings(p, {"drop_group_writable": True})
    assert stat.S_IMODE(drop.stat().st_mode) == 0o770
    assert privacy.drop_mode(p) == 0o770


def test_where_lists_every_kind_of_data_with_real_sizes(home: Path, tmp_path: Path) -> None:
    p = workspace.create_project("w")
    add_text_doc(p, tmp_path / "src", "a.txt", "a" * 1000)
    add_text_doc(p, tmp_path / "src", "b.txt", "b" * 500)
    (folders.drop_dir(p) / "waiting.txt").write_text("xyz")
    out = tmp_path / "w.tar.gz"
    archive.archive_project(p, out)
    rows = {r["kind"]: r for r in where.where(p)}
    assert set(rows) == {
        "project_folder",
        "database",
        "originals",
        "extracted_text",
        "audit_trail",
        "drop_folder",
        "exports",
        "archives",
    }
    assert rows["originals"]["count"] == 2 and rows["originals"]["bytes"] == 1500
    assert rows["extracted_text"]["count"] == 2 and rows["extracted_text"]["chars"] == 1500
    assert rows["drop_folder"]["count"] == 1 and rows["drop_folder"]["bytes"] == 3
    assert rows["database"]["path"] == str(home / "loratui.db")
    assert rows["database"]["bytes"] >= (home / "loratui.db").stat().st_size
    assert rows["archives"]["paths"] == [str(out)]
    assert rows["archives"]["bytes"] == out.stat().st_size
    assert rows["audit_trail"]["count"] >= 5
    assert rows["project_folder"]["bytes"] == 1500  # the drop folder is counted on its own
    out.unlink()
    assert {r["kind"]: r for r in where.where(p)}["archives"]["count"] == 0


# ------------------------------------------------------------------ no network

BLOCKER = '''
"""Installed by test_privacy: any attempt to reach the network is logged and refused."""
import os
import socket

_LOG = os.environ["LORATUI_NET_LOG"]
_INET = (socket.AF_INET, socket.AF_INET6)


def _record(what):
    with open(_LOG, "a") as fh:
        fh.write(f"{os.getpid()} {what}\\n")
    raise OSError(f"network blocked by the test: {what}")


def _guard(name):
    original = getattr(socket.socket, name)

    def guarded(self, *args, **kwargs):
        if self.family in _INET:
            _record(f"socket.{name}{args!r}")
        return original(self, *args, **kwargs)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex", "sendto", "bind"):
    _guard(_name)


def _blocked(name):
    def blocked(*args, **kwargs):
        _record(f"{name}{args!r}")

    return blocked


for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
    setattr(socket, _name, _blocked(_name))
'''


@pytest.fixture
def offline_env(tmp_path: Path) -> tuple[dict, Path]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    log = tmp_path / "network-attempts.log"
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO), env.get("PYTHONPATH", "")])
    env["LORATUI_NET_LOG"] = str(log)
    return env, log


def test_the_blocker_catches_a_connection(offline_env: tuple[dict, Path]) -> None:
    env, log = offline_env
    code = (
        "import urllib.request\n"
        "try:\n    urllib.request.urlopen('http://example.com', timeout=5)\n"
        "except OSError:\n    pass\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert "getaddrinfo" in log.read_text() or "connect" in log.read_text()


def test_ingest_and_export_never_touch_the_network(
    offline_env: tuple[dict, Path], tmp_path: Path
) -> None:
    env, log = offline_env
    home = tmp_path / "home"
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"doc{i}.md").write_text(f"# Title {i}\n\n" + "Some words here. " * 200)
    _loratui(home, "new", "offline", env=env)
    added = json.loads(_loratui(home, "add", "offline", str(src), "--json", env=env).stdout)
    assert [r["state"] for r in added] == ["queued"] * 3
    _loratui(home, "process", "offline", "--workers", "2", env=env)
    files = json.loads(_loratui(home, "files", "offline", "--json", env=env).stdout)
    assert [f["state"] for f in files] == ["done"] * 3
    version = json.loads(_loratui(home, "export", "offline", "--json", env=env).stdout)
    assert version["records"]["train"] > 0
    assert Path(version["path"], "train.jsonl").stat().st_size > 0
    assert not log.exists(), log.read_text()
