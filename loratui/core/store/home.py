"""Where loratui keeps its data, the private permissions it is kept with, and opening it.

GPU boxes are shared machines: every folder we create is 0700 and every file 0600,
whatever the umask says. Opening a home is the one place its database is connected and
migrated.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from loratui.core.store import db, migrations

DIR_MODE = 0o700
FILE_MODE = 0o600
DB_NAME = "loratui.db"
PROJECTS_DIR = "projects"


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``--home`` wins, then ``$LORATUI_HOME``, then the platform's user data dir."""
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get("LORATUI_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("loratui", appauthor=False)).resolve()


def ensure_private_dir(path: Path, mode: int = DIR_MODE) -> Path:
    """Create ``path`` (and parents we create) with ``mode``, and fix the mode if it exists."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=mode, exist_ok=True)
        os.chmod(d, mode)
    st = path.stat()
    if (st.st_mode & 0o777) != mode and st.st_uid == os.getuid():
        os.chmod(path, mode)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp + rename) with mode 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def open_private(path: Path, mode: str = "w", encoding: str | None = "utf-8"):  # noqa: ANN201
    """Open a new file for writing with mode 0600 (text or binary)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.chmod(path, FILE_MODE)
    if "b" in mode:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, encoding=encoding, newline="\n")


_current: Path | None = None


def open_home(home: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the home folder, create it private, open its database and bring its schema
    up to date; return its path.

    One home is open per process at a time; opening another closes the first.
    """
    global _current
    path = resolve_home(home)
    if _current is not None and _current != path:
        db.close()
    os.umask(0o077)  # whatever the user's umask, files any part of loratui writes are private
    ensure_private_dir(path)
    ensure_private_dir(path / PROJECTS_DIR)
    database = db.connect(path / DB_NAME)
    for suffix in ("", "-wal", "-shm"):  # made before the umask above, or by another tool
        p = path / (DB_NAME + suffix)
        if p.exists():
            p.chmod(FILE_MODE)
    migrations.migrate(database)
    _current = path
    return path


def close_home() -> None:
    """Close this process's connection to the open home and forget it (tests and tools open
    one home after another)."""
    global _current
    db.close()
    _current = None


def current() -> Path:
    """The open home folder (``open_home`` must have been called)."""
    if _current is None:
        raise RuntimeError("no loratui home is open; call open_home() first")
    return _current
