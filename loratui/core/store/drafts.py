"""A form's unsaved edits, kept in the project folder so nothing typed is lost.

The TUI holds no state that a restart would lose: while a form (the export configuration,
the project settings) differs from what is saved, what it holds is written here as typed, so
a value that does not parse yet survives too, and the form opens with it, marked unsaved.
Saving, or discarding the edits, removes the file. It is a plain JSON file per form next to
the project's data (``export-draft.json``), not a table: it is a convenience of one form,
not part of the record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from loratui.core.store import folders
from loratui.core.store.home import write_private
from loratui.core.store.models import Project, now

FORM_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def draft_path(project: Project, form: str) -> Path:
    """Where ``project``'s draft of ``form`` (e.g. ``export``, ``settings``) lives."""
    if not FORM_RE.match(form):
        raise ValueError(f"not a form name: {form!r}")
    return folders.project_dir(project) / f"{form}-draft.json"


def save_draft(project: Project, form: str, values: dict[str, Any]) -> Path:
    """Keep the form's ``values`` (field name -> text, bool or list) as its draft."""
    path = draft_path(project, form)
    data = {"values": values, "updated_at": now()}
    write_private(path, json.dumps(data, ensure_ascii=False, indent=1).encode())
    return path


def load_draft(project: Project, form: str) -> dict[str, Any] | None:
    """The draft's values, or None when there is none. A damaged file (cut short by a
    power loss, edited by hand) counts as none: it only ever held unsaved typing."""
    try:
        data = json.loads(draft_path(project, form).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    values = data.get("values") if isinstance(data, dict) else None
    return values if isinstance(values, dict) else None


def clear_draft(project: Project, form: str) -> None:
    """Forget the draft (the form was saved, or its edits discarded)."""
    draft_path(project, form).unlink(missing_ok=True)
