"""Private by default: the drop folder's mode, and a check that nothing else is shared.

The home and project folders are 0700 and files 0600 (``home.py`` creates them so, and
``open_home`` sets the process umask to 0o077 so files written by any part of loratui,
including its worker processes, start private). The one exception the user may ask
for is a group-writable drop folder (``drop_group_writable``: 0770), so colleagues
in the same group can drop files in; it only helps for a drop folder outside the home,
since the home itself stays 0700.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from loratui.core.store import home as home_mod
from loratui.core.store import settings as settings_mod
from loratui.core.store.models import Project

DROP_GROUP_MODE = 0o770


def drop_mode(project: Project) -> int:
    """The mode the project's drop folder should have."""
    shared = settings_mod.effective(project.settings).get("drop_group_writable")
    return DROP_GROUP_MODE if shared else home_mod.DIR_MODE


def apply_drop_mode(project: Project) -> Path:
    """Create the drop folder if needed and give it its mode (0700, or 0770 if shared)."""
    from loratui.core.store.folders import drop_dir

    path = drop_dir(project)
    home_mod.ensure_private_dir(path, mode=drop_mode(project))
    return path


def violations(root: Path, allowed: dict[Path, int] | None = None) -> list[dict[str, Any]]:
    """Every folder under ``root`` that is not 0700 and file that is not 0600.

    ``allowed`` maps paths to the mode they may have instead (the shared drop folder).
    """
    allowed = {Path(k).resolve(): v for k, v in (allowed or {}).items()}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                continue
            want = home_mod.DIR_MODE if stat.S_ISDIR(st.st_mode) else home_mod.FILE_MODE
            want = allowed.get(path.resolve(), want)
            have = stat.S_IMODE(st.st_mode)
            if have != want:
                found.append({"path": str(path), "mode": oct(have), "expected": oct(want)})
    root_mode = stat.S_IMODE(root.stat().st_mode)
    if root_mode != home_mod.DIR_MODE:
        found.insert(0, {"path": str(root), "mode": oct(root_mode), "expected": "0o700"})
    return found
