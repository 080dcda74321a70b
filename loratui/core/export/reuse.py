"""Whether an export would only repeat a version that exists: same inputs, same bytes.

An export is a pure function of the documents (their stored files and extracted text), the
configuration, the tokenizer and loratui's own code, so a version whose manifest records
the same of each, and whose files are still as written, is what a new export would write
again. ``run_export`` reuses it instead (unless forced) and the audit trail says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loratui import __version__
from loratui.core.audit import log_event
from loratui.core.export.config import ExportConfig
from loratui.core.store.models import DatasetVersion, Document, Project


def _inputs(docs: list[Document]) -> list[tuple[Any, ...]]:
    return [(d.id, d.sha256, d.text_sha256, d.pages) for d in docs]


def _files_intact(folder: Path, files: dict[str, Any]) -> bool:
    try:
        return all((folder / name).stat().st_size == info["bytes"] for name, info in files.items())
    except (OSError, KeyError, TypeError):
        return False


def find_identical(
    project: Project, config_hash: str, docs: list[Document], tokenizer_fingerprint: str
) -> DatasetVersion | None:
    """The newest version of ``project`` made from ``docs`` under the configuration
    ``config_hash`` with the same tokenizer and loratui version, its files still there."""
    from loratui.core.export.versions import read_manifest

    wanted = _inputs(docs)
    candidates = (
        DatasetVersion.select()
        .where((DatasetVersion.project == project) & (DatasetVersion.config_hash == config_hash))
        .order_by(DatasetVersion.number.desc())
    )
    for v in candidates:
        m = read_manifest(v)
        if (
            m.get("loratui_version") == __version__
            and (m.get("tokenizer") or {}).get("fingerprint") == tokenizer_fingerprint
            and [
                (d.get("id"), d.get("sha256"), d.get("text_sha256"), d.get("pages"))
                for d in m.get("documents") or []
            ]
            == wanted
            and _files_intact(Path(v.path), m.get("files") or {})
        ):
            return v
    return None


def record_reuse(project: Project, v: DatasetVersion, origin: str | None = None) -> None:
    """The audit trail's note that an export asked for ``v`` again and got it."""
    log_event(
        project,
        "export.reused",
        f"v{v.number} reused: the same documents and configuration give the same files; "
        "nothing written",
        data={"version": v.number, "path": v.path, "config_hash": v.config_hash},
        origin=origin,
    )


def identical_for(project: Project, cfg: ExportConfig) -> DatasetVersion | None:
    """``find_identical`` for what an export of ``project`` under ``cfg`` would read now
    (the TUI asks before it runs one)."""
    from loratui.core.export.pipeline import select_documents
    from loratui.core.export.tokenizer import get_counter

    docs = select_documents(project, cfg)
    if not docs:
        return None
    return find_identical(project, cfg.config_hash(), docs, get_counter(cfg.tokenizer).fingerprint)
