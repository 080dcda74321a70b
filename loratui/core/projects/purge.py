"""Delete documents for good: stored original, extracted text, rows, jobs.

What stays is a tombstone event (name, sha256, size) in the audit trail; events never
hold document text, so the trail keeps no content. Existing dataset versions are
immutable: the ones that contain a purged document are listed so the user can delete
them. Afterwards the database is checkpointed and vacuumed, so the deleted pages are
gone from ``loratui.db`` and its WAL, not just unlinked inside them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from loratui.core.audit import lists_document, log_event
from loratui.core.errors import LoratuiError
from loratui.core.ingest.hashing import sha256_file_or_none
from loratui.core.projects.documents import get_document
from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.db import database, write_txn
from loratui.core.store.models import JOB_RUNNING, DatasetVersion, Document, Job, Page, Project


def compact_database(attempts: int = 20) -> dict[str, Any]:
    """Checkpoint the WAL into the database, VACUUM it, and truncate the WAL to zero.

    A reader in another process can hold the WAL open; the checkpoint is retried for a
    few seconds and ``wal_truncated`` says whether it got through.
    """
    db = database.obj
    if db.in_transaction():
        raise LoratuiError("internal", "compact_database() called inside a transaction")
    _checkpoint(db, attempts)
    db.execute_sql("VACUUM")
    truncated = _checkpoint(db, attempts)
    wal = Path(db.database + "-wal")
    return {
        "wal_truncated": truncated,
        "db_bytes": Path(db.database).stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
    }


def _checkpoint(db: Any, attempts: int) -> bool:
    for _ in range(max(1, attempts)):
        busy, _log, _done = db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        time.sleep(0.1)
    return False


def versions_containing(project: Project, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dataset versions of ``project`` whose inputs include any of ``docs`` (id, sha256)."""
    found = []
    for version in (
        DatasetVersion.select()
        .where(DatasetVersion.project == project)
        .order_by(DatasetVersion.number)
    ):
        names = [
            d["name"]
            for d in docs
            if lists_document({"documents": version.documents}, d["id"], d["sha256"])
        ]
        if names:
            found.append(
                {"version": version.number, "path": version.path, "documents": sorted(names)}
            )
    return found


def _resolve(project: Project, refs: Iterable[Any]) -> list[Document]:
    docs: dict[int, Document] = {}
    for ref in refs:
        doc = ref if isinstance(ref, Document) else get_document(project, ref)
        if doc.project_id != project.id:
            raise LoratuiError("not_found", f"document {doc.id} is not in {project.name!r}")
        docs[doc.id] = doc
    if not docs:
        raise LoratuiError("invalid", "name at least one document to purge")
    running = Job.select(Job.document).where(
        Job.document.in_(list(docs)) & (Job.state == JOB_RUNNING)
    )
    busy = [docs[j.document_id].name for j in running]
    if busy:
        raise LoratuiError(
            "invalid",
            f"{', '.join(map(repr, sorted(set(busy))))} is being extracted right now",
            f"cancel it first (`loratui cancel {project.name!r} DOC`), then purge it",
        )
    return list(docs.values())


def _drop_copies(project: Project, doc: dict[str, Any]) -> list[Path]:
    """Copies of the document's bytes in the drop folder (``.done/`` etc. included), or
    where it was added from inside the home; files elsewhere are the user's own."""
    found: list[Path] = []
    candidates: list[Path] = []
    drop = folders.drop_dir(project)
    if drop.is_dir():
        for root, _dirs, names in os.walk(drop):
            candidates.extend(Path(root) / n for n in names)
    if doc["source_path"]:
        src = Path(doc["source_path"])
        if src.resolve().is_relative_to(home_mod.current().resolve()):
            candidates.append(src)
    for path in dict.fromkeys(candidates):
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size != doc["size"]:
                continue
        except OSError:
            continue
        if sha256_file_or_none(path) == doc["sha256"]:
            found.append(path)
    return found


def purge_documents(project: Project, docs: Iterable[Any]) -> dict[str, Any]:
    """Remove ``docs`` (Documents, ids or names) and everything extracted from them.

    Returns what was purged, which stored files were removed or kept (another document
    has the same bytes), the versions that still contain them, and the compaction.
    """
    targets = _resolve(project, docs)
    info = [
        {
            "id": d.id,
            "name": d.name,
            "sha256": d.sha256,
            "size": d.size,
            "text_sha256": d.text_sha256,
            "state": d.state,
            "source_path": d.source_path,
        }
        for d in targets
    ]
    ids = [d["id"] for d in info]
    versions = versions_containing(project, info)
    with write_txn():
        pages = Page.delete().where(Page.document.in_(ids)).execute()
        jobs = Job.delete().where(Job.document.in_(ids)).execute()
        Document.update(duplicate_of=None).where(Document.duplicate_of.in_(ids)).execute()
        Document.delete().where(Document.id.in_(ids)).execute()
        for d in info:
            in_versions = [v["version"] for v in versions if d["name"] in v["documents"]]
            log_event(
                project,
                "document.purged",
                f"{d['name']!r} purged: original, text and rows deleted",
                level="warning",
                document=d["id"],
                data={
                    "name": d["name"],
                    "sha256": d["sha256"],
                    "size": d["size"],
                    "text_sha256": d["text_sha256"],
                    "in_versions": in_versions,
                },
            )
    removed, kept = _remove_files(project, info)
    compact = compact_database()
    return {
        "project": project.name,
        "purged": [{k: d[k] for k in ("id", "name", "sha256", "size")} for d in info],
        "pages_deleted": pages,
        "jobs_deleted": jobs,
        "files_removed": removed,
        "files_kept": kept,
        "versions": versions,
        "compact": compact,
    }


def _remove_files(project: Project, info: list[dict[str, Any]]) -> tuple[list[str], list[dict]]:
    removed: list[str] = []
    kept: list[dict[str, Any]] = []
    store = folders.store_dir(project)
    for sha in sorted({d["sha256"] for d in info}):
        others = list(
            Document.select(Document.id, Document.name)
            .where((Document.project == project) & (Document.sha256 == sha))
            .limit(5)
        )
        path = store / sha[:2] / sha
        if others:
            kept.append(
                {"path": str(path), "sha256": sha, "used_by": [f"{o.id}:{o.name}" for o in others]}
            )
            continue
        if path.exists():
            path.unlink()
            removed.append(str(path))
            try:
                path.parent.rmdir()
            except OSError:
                pass  # other originals share the folder
        for d in info:
            if d["sha256"] == sha:
                for copy in _drop_copies(project, d):
                    copy.unlink(missing_ok=True)
                    removed.append(str(copy))
    return removed, kept
