"""The shared owner-id and file-hashing helpers behave as their callers rely on."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from loratui.core.ingest import hashing
from loratui.core.store import owners


def test_owner_ids_name_host_and_pid() -> None:
    a, b = owners.new_owner(), owners.new_owner()
    assert a != b
    host, pid, token = a.split(":")
    assert host == socket.gethostname() and int(pid) == os.getpid() and len(token) == 8
    assert owners.new_owner("export").endswith(f":{os.getpid()}:export")
    assert owners.parse_owner(a) == (socket.gethostname(), os.getpid())
    assert owners.parse_owner("elsewhere") == ("elsewhere", None)


def test_owner_is_dead_only_for_local_gone_processes() -> None:
    host = socket.gethostname()
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    assert owners.owner_is_dead(f"{host}:{int(done.stdout)}:x")
    assert owners.owner_is_dead(None) and owners.owner_is_dead("")
    assert not owners.owner_is_dead(owners.new_owner())
    assert not owners.owner_is_dead(f"not-{host}:1:x")  # another host: never presumed dead
    assert not owners.owner_is_dead("owner-a")  # no pid


def test_a_killed_unreaped_child_counts_as_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert owners.pid_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while owners.pid_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not owners.pid_alive(child.pid)  # a zombie until waited for
    finally:
        child.wait()


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    data = os.urandom(3 * hashing.BLOCK + 123)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert hashing.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert hashing.sha256_file(str(path)) == hashlib.sha256(data).hexdigest()
    assert hashing.sha256_file_or_none(tmp_path / "missing") is None
    out = io.BytesIO()
    assert hashing.copy_hashed(io.BytesIO(data), out) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert out.getvalue() == data
