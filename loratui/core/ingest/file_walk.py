"""Which files a list of paths stands for, and which names are never taken.

Folders are walked recursively in sorted order; hidden, system and temporary names
(editor swap files, partial downloads, Office lock files) are reported with a reason
instead of being added, and a skipped folder is not entered. Symbolic links in a folder
follow ``links``' rule (skipped with a reason unless ``follow_links``); a path named
directly is the user's choice and is taken even when it is a link.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from loratui.core.ingest import links

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


def walk(
    paths: Iterable[str | Path], follow_links: bool = False
) -> Iterator[tuple[Path, str | None]]:
    """Every file under ``paths`` (folders recursively, sorted) with a skip reason or None.

    ``follow_links``: take links that leave an added folder (never one inside it, whose
    target is taken where it lies; a folder reached twice is entered once).
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from _walk_folder(path, follow_links)
        else:
            yield path, skip_reason(path.name)


def _walk_folder(top: Path, follow_links: bool) -> Iterator[tuple[Path, str | None]]:
    root = Path(os.path.realpath(top))
    entered = {root}
    for folder, dirs, files in os.walk(top, followlinks=follow_links):
        kept = []
        for d in sorted(dirs):
            full = Path(folder) / d
            reason = skip_reason(d)
            if reason:
                yield full, f"{reason.split(' ')[0]} folder"
                continue
            link = links.examine(full, root)
            real = Path(os.path.realpath(full))
            if link is not None and (link.inside or not follow_links or real in entered):
                yield full, link.reason("added folder")
                continue
            entered.add(real)
            kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            full = Path(folder) / f
            reason = skip_reason(f)
            link = None if reason else links.examine(full, root)
            if link is not None and (link.inside or not follow_links or not link.exists):
                reason = link.reason("added folder")
            yield full, reason
