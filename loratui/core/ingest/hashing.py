"""sha256 of files, read in 1 MiB blocks so a large file never sits in memory at once.

Stored originals, exported files, archives and drop-folder files are all identified by
this digest; one helper keeps them hashed the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

BLOCK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """The sha256 hex digest of the file at ``path`` (raises OSError when unreadable)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def sha256_file_or_none(path: str | Path) -> str | None:
    """Like ``sha256_file``, but None when the file cannot be read."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def copy_hashed(src: IO[bytes], dst: IO[bytes]) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` block by block, hashing in the same pass.

    Returns (sha256 hex digest, bytes copied).
    """
    digest = hashlib.sha256()
    size = 0
    while block := src.read(BLOCK):
        digest.update(block)
        dst.write(block)
        size += len(block)
    return digest.hexdigest(), size
