"""The drop folder's rules: which names are junk, what a path is, when a file is complete.

Kept free of threads, watchdog and the database so each rule is tested on its own.
The completeness rule follows paperless-ngx's consume folder: a file is taken only after
it has been quiet (no events) for a settle time *and* two ``stat`` checks a little apart
agree on its size and mtime.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from loratui.core.ingest import links

JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini", "__macosx"})
JUNK_SUFFIXES = (".part", ".tmp", ".crdownload", ".swp")
DONE_DIR = ".done"
FAILED_DIR = ".failed"


def is_junk_name(name: str) -> bool:
    """True for names uploaders and desktops leave behind, never for real documents.

    Dotfiles (``.DS_Store``, rsync's ``.name.XXXXXX``, ``.stfolder``, our own ``.done``),
    Office lock files ``~$*``, partial downloads, editor swap and backup (``name~``) files.
    """
    low = name.lower()
    return (
        not name
        or name.startswith(".")
        or name.startswith("~$")
        or name.endswith("~")
        or low.endswith(JUNK_SUFFIXES)
        or low in JUNK_NAMES
    )


def is_ignored(rel_path: str | PurePath) -> bool:
    """True when any component of a path relative to the drop folder is junk."""
    return any(is_junk_name(part) for part in PurePath(rel_path).parts)


def relative_to_root(path: str | os.PathLike[str], root: Path) -> str | None:
    """``path`` relative to the drop folder, or None when it is outside or is the folder."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        return None
    text = rel.as_posix()
    return None if text in ("", ".") else text


def candidate_rel(path: str | os.PathLike[str], root: Path) -> str | None:
    """``path`` relative to the drop folder when it may be taken (inside, not junk)."""
    rel = relative_to_root(path, root)
    if rel is None or is_ignored(rel):
        return None
    return rel


def find_candidates(
    top: Path, root: Path, known: Container[tuple[str, int, int]], pending: Container[str]
) -> list[tuple[str, float]]:
    """(path, ctime) of every candidate under ``top`` neither known nor pending.

    ``known`` holds (path, size, mtime_ns) versions already dealt with, and
    (path, -1, mtime_ns) for paths remembered as never to be taken.
    """
    found = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        keep = []
        entries = list(filenames)
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                entries.append(d)  # a symlinked folder: probed, never followed
            elif not is_ignored(d):
                keep.append(d)
        dirnames[:] = keep
        for name in entries:
            rel = candidate_rel(os.path.join(dirpath, name), root)
            if rel is None or rel in pending:
                continue
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (rel, st.st_size, st.st_mtime_ns) in known or (
                rel,
                -1,
                st.st_mtime_ns,
            ) in known:
                continue
            found.append((rel, st.st_ctime))
    return found


@dataclass(frozen=True)
class Probe:
    """What one ``lstat`` found at a path in the drop folder.

    ``kind``: ``file`` (regular file), ``dir``, ``gone``, ``link_inside`` (a symlink to
    something in the drop folder, which is taken on its own), ``link_outside`` (a symlink
    leading out of the drop folder or dangling), ``special`` (device, FIFO or socket).
    """

    kind: str
    size: int = 0
    mtime_ns: int = 0
    target: str | None = None

    @property
    def sig(self) -> tuple[int, int]:
        return (self.size, self.mtime_ns)


def probe(path: str | os.PathLike[str], root: Path) -> Probe:
    """Classify ``path`` without following symlinks out of ``root``."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return Probe("gone")
    if stat.S_ISLNK(st.st_mode):
        link = links.examine(path, root)  # the same rule as adding a folder
        assert link is not None
        return Probe(
            "link_inside" if link.inside else "link_outside",
            st.st_size,
            st.st_mtime_ns,
            target=link.target,
        )
    if stat.S_ISDIR(st.st_mode):
        return Probe("dir")
    if stat.S_ISREG(st.st_mode):
        return Probe("file", st.st_size, st.st_mtime_ns)
    return Probe("special", 0, st.st_mtime_ns)


@dataclass
class Pending:
    """A path that had activity and is waiting to be found complete."""

    last_event: float
    next_check: float = 0.0
    last_sig: tuple[int, int] | None = None


@dataclass
class SettleTracker:
    """Decides when pending paths are complete: quiet for ``settle_s``, then stable.

    Pure bookkeeping with the clock passed in, so tests drive it without sleeping.
    ``touch`` records activity; ``due`` lists paths ready for a check; ``observe`` feeds
    a check's result back and says whether the file is now complete.
    """

    settle_s: float
    pending: dict[str, Pending] = field(default_factory=dict)

    @property
    def check_gap_s(self) -> float:
        """Time between the two agreeing checks."""
        return min(2.0, max(0.1, self.settle_s / 2))

    def touch(self, path: str, now: float) -> None:
        """Activity on ``path``: restart its quiet period (its last size is kept)."""
        p = self.pending.get(path)
        if p is None:
            self.pending[path] = Pending(last_event=now, next_check=now + self.settle_s)
        else:
            p.last_event = now
            p.next_check = max(p.next_check, now + self.settle_s)

    def forget(self, path: str) -> None:
        self.pending.pop(path, None)

    def due(self, now: float) -> list[str]:
        """Paths quiet for the settle time whose next check has come, oldest first."""
        ready = [
            (p.last_event, path)
            for path, p in self.pending.items()
            if now >= p.next_check and now - p.last_event >= self.settle_s
        ]
        return [path for _, path in sorted(ready)]

    def observe(self, path: str, sig: tuple[int, int], now: float) -> bool:
        """Record a check's (size, mtime_ns); True when it equals the previous check's.

        A complete file is removed from the pending set. After the first check the file
        is checked again ``check_gap_s`` later; a file that changed between checks counts
        as active and waits a whole settle time again.
        """
        p = self.pending.get(path)
        if p is None:
            return False
        if p.last_sig == sig:
            del self.pending[path]
            return True
        if p.last_sig is None:
            p.next_check = now + self.check_gap_s
        else:  # still growing without events (polling, missed events): a new quiet period
            p.last_event = now
            p.next_check = now + self.settle_s
        p.last_sig = sig
        return False

    def next_wakeup(self, now: float) -> float | None:
        """Seconds until the earliest pending check could be due (None: nothing pending)."""
        if not self.pending:
            return None
        soonest = min(
            max(p.next_check, p.last_event + self.settle_s) for p in self.pending.values()
        )
        return max(0.0, soonest - now)


def after_folder(state: str) -> str:
    """Where a file goes after storing when the project moves taken files away."""
    return DONE_DIR if state in ("queued", "duplicate") else FAILED_DIR


def unique_destination(dest: Path) -> Path:
    """``dest``, or ``name (2).ext`` etc. when something is already there."""
    if not dest.exists():
        return dest
    stem, suffix = dest.stem, dest.suffix
    n = 2
    while True:
        candidate = dest.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists():
            return candidate
        n += 1
