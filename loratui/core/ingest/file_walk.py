"""Which files a list of paths stands for, and which names are never taken.

Folders are walked recursively in sorted order; hidden, system and temporary names
(editor swap files, partial downloads, Office lock files) are reported with a reason
instead of being added, and a skipped folder is not entered.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

SKIP_PATTERNS = ("~$*", "*.part", "*.tmp", "*.crdownload", "*.swp", "*~")
SYSTEM_FILES = {"thumbs.db", "desktop.ini", "icon\r"}


def skip_reason(name: str) -> str | None:
    """Why a file or folder name is skipped (hidden, temporary), or None to take it."""
    if name.startswith("."):
        return "hidden file"
    if name.lower() in SYSTEM_FILES:
        return "system file"
    for pattern in SKIP_PATTERNS:
        if fnmatch.fnmatch(name, pattern):
            return f"temporary file ({pattern})"
    return None


def walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """Every file under ``paths`` (folders recursively, sorted) with a skip reason or None."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                kept = []
                for d in sorted(dirs):
                    reason = skip_reason(d)
                    if reason:
                        yield Path(root) / d, f"{reason.split(' ')[0]} folder"
                    else:
                        kept.append(d)
                dirs[:] = kept
                for f in sorted(files):
                    yield Path(root) / f, skip_reason(f)
        else:
            yield path, skip_reason(path.name)
