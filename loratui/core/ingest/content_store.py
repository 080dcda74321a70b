"""The content-addressed store of original files: ``store/<sha[:2]>/<sha256>``, mode 0600.

A file is copied in and hashed in the same pass, so the same bytes are stored once; a
stored copy cut short (a power loss) is replaced by the next copy of those bytes. Copies
are flushed to disk in a batch (``flush``) before the database refers to them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from loratui.core.ingest.hashing import copy_hashed
from loratui.core.store import home as home_mod
from loratui.core.store.folders import store_dir
from loratui.core.store.models import Document, Project


def stored_path(doc: Document) -> Path:
    """Where the original bytes of ``doc`` are kept."""
    return store_path(doc.project, doc.sha256)


def store_path(project: Project, sha256: str) -> Path:
    """Where bytes with this sha256 are (or would be) stored in ``project``."""
    return store_dir(project) / sha256[:2] / sha256


def copy_into_store(project: Project, src: Path, made: set[Path]) -> tuple[str, Path, bool, int]:
    """Copy ``src`` into the store while hashing it.

    Returns (sha256, stored path, whether this call wrote it, bytes copied). Not fsynced here: the
    batch is flushed once before it is recorded (``flush``). ``made`` caches the
    folders already created in this batch.
    """
    store = store_dir(project)
    if store not in made:
        home_mod.ensure_private_dir(store)
        made.add(store)
    tmp = store / f".incoming-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, home_mod.FILE_MODE)
    try:
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            sha, size = copy_hashed(fin, fout)
        final = store_path(project, sha)
        try:
            existing = final.stat().st_size
        except FileNotFoundError:
            existing = -1
        if existing == size:  # the same bytes are stored already
            tmp.unlink()
            return sha, final, False, size
        if final.parent not in made:
            home_mod.ensure_private_dir(final.parent)
            made.add(final.parent)
        os.replace(tmp, final)  # also repairs a stored copy cut short by a power loss
        return sha, final, True, size
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def flush(paths: list[Path], store: Path) -> None:
    """Make newly stored files durable before the database refers to them.

    A few files are fsynced one by one with their folders; a bigger batch flushes the
    store's file system once (``syncfs``), which costs about one fsync, not one per file.
    """
    if not paths:
        return
    if len(paths) > 4 and _syncfs(store):
        return
    for path in [*paths, *sorted({p.parent for p in paths})]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs(folder: Path) -> bool:
    """``syncfs(2)`` on Linux; False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        return libc.syncfs(fd) == 0
    except AttributeError:
        return False
    finally:
        os.close(fd)
