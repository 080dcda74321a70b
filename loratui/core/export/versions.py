"""Reading the versions a project has exported: list, look up by number, show as a row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export.split import describe
from loratui.core.store.models import DatasetVersion, Project


def list_versions(project: Project) -> list[DatasetVersion]:
    return list(
        DatasetVersion.select()
        .where(DatasetVersion.project == project)
        .order_by(DatasetVersion.number)
    )


def get_version(project: Project, ref: str | int) -> DatasetVersion:
    """A version by number (``3`` or ``"v3"``)."""
    text = str(ref).strip().lower().lstrip("v")
    row = None
    if text.isdigit():
        row = DatasetVersion.get_or_none(
            (DatasetVersion.project == project) & (DatasetVersion.number == int(text))
        )
    if row is None:
        have = ", ".join(f"v{v.number}" for v in list_versions(project)) or "none yet"
        raise LoratuiError(
            "not_found",
            f"no version {ref!r} in project {project.name!r}",
            f"versions: {have}; make one with `loratui export {project.name!r}`",
        )
    return row


def version_row(v: DatasetVersion) -> dict[str, Any]:
    """A version as ``versions --json`` prints it."""
    return {
        "version": v.number,
        "path": v.path,
        "created_at": v.created_at,
        "format": (v.config or {}).get("format"),
        "config_hash": v.config_hash,
        "records": {"train": v.records_train, "validation": v.records_validation},
        "tokens": v.tokens,
        "bytes": v.bytes,
        "documents": len(v.documents or []),
        "dropped": v.dropped or {},
    }


def read_manifest(v: DatasetVersion) -> dict[str, Any]:
    """A version's ``manifest.json`` (empty when its folder is gone or unreadable)."""
    try:
        return json.loads((Path(v.path) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def export_summary(v: DatasetVersion) -> dict[str, Any]:
    """What the CLI and the TUI say after an export, beside the counts: the validation share
    reached (``split``, one sentence), every warning a user should read before training,
    whether ``run_export`` reused ``v`` instead of writing it, and the version a forced export
    repeats (``identical_to``)."""
    m = read_manifest(v)
    split = m.get("split") or {}
    warnings = [split["note"]] if split.get("note") else []
    warnings += [
        f"validation left out of the {trainer} configuration: {why}"
        for trainer, why in (m.get("eval_left_out") or {}).items()
    ]
    return {
        "validation_share": split.get("achieved"),
        "split": describe(split) if split else "",
        "warnings": warnings,
        "eval_left_out": m.get("eval_left_out") or {},
        "reused": bool(getattr(v, "reused", False)),
        "identical_to": m.get("identical_to"),
    }
