"""Symbolic links inside a folder that is added or watched: one rule for both.

Why: adding a folder followed every link in it, so ``link.txt -> /etc/passwd`` was
stored and exported, while the drop folder never followed a link out. A link whose
target is outside the folder (or missing) is skipped with a reason that names the
target; a link to something inside the folder is skipped too, as its target is taken
from where it lies. ``loratui add --follow-links`` takes links out of an added folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """Where a symbolic link leads: ``inside`` the folder (and exists) or not."""

    target: str
    inside: bool

    @property
    def exists(self) -> bool:
        return os.path.exists(self.target)

    def reason(self, folder: str) -> str:
        """Why the link is not taken, worded for the user (``folder``: "added folder")."""
        if self.inside:
            return f"symbolic link to {self.target}, inside the {folder}; taken from there"
        if not self.exists:
            return f"symbolic link to {self.target}, which does not exist"
        return f"symbolic link to {self.target}, outside the {folder}; not followed"


def inside(path: str | os.PathLike[str], root: Path) -> bool:
    """Whether ``path`` (already resolved) is ``root`` or below it."""
    try:
        Path(path).relative_to(root)
    except ValueError:
        return False
    return True


def examine(path: str | os.PathLike[str], root: Path) -> Link | None:
    """The link at ``path`` (None: not a link), judged against ``root`` (resolved)."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    return Link(target, inside(target, root) and os.path.exists(target))
