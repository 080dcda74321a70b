"""The export form's unsaved edits, kept in the project folder so nothing typed is lost.

The TUI holds no state that a restart would lose: while the export form differs from the
saved configuration, what it holds is written here (as typed, so a value that does not
parse yet survives too), and the form opens with it, marked unsaved. Saving the
configuration, or discarding the edits, removes the file. It is a plain JSON file next to
the project's data, not a table: it is a convenience of one form, not part of the record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loratui.core.store import folders
from loratui.core.store.home import write_private
from loratui.core.store.models import Project, now

FILE_NAME = "export-draft.json"


def draft_path(project: Project) -> Path:
    """Where ``project``'s export draft lives."""
    return folders.project_dir(project) / FILE_NAME


def save_draft(project: Project, values: dict[str, Any]) -> Path:
    """Keep the form's ``values`` (field name -> text, bool or list) as the draft."""
    path = draft_path(project)
    data = {"values": values, "updated_at": now()}
    write_private(path, json.dumps(data, ensure_ascii=False, indent=1).encode())
    return path


def load_draft(project: Project) -> dict[str, Any] | None:
    """The draft's values, or None when there is none. A damaged file (cut short by a
    power loss, edited by hand) counts as none: it only ever held unsaved typing."""
    try:
        data = json.loads(draft_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    values = data.get("values") if isinstance(data, dict) else None
    return values if isinstance(values, dict) else None


def clear_draft(project: Project) -> None:
    """Forget the draft (the configuration was saved, or the edits discarded)."""
    draft_path(project).unlink(missing_ok=True)
