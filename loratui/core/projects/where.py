"""Where every kind of a project's data lives, and how big it is.

``where(project)`` is what ``loratui where`` prints and what the TUI dashboard shows,
so users know exactly what to copy, back up or wipe.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import peewee

from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.db import database
from loratui.core.store.models import DatasetVersion, Document, Event, Page, Project


def _tree(path: Path, skip: Path | None = None) -> tuple[int, int]:
    """(files, bytes) under ``path``, not following links, leaving out ``skip``."""
    files = size = 0
    if not path.exists():
        return 0, 0
    skip_r = skip.resolve() if skip else None
    for root, dirs, names in os.walk(path):
        if skip_r is not None:
            dirs[:] = [d for d in dirs if (Path(root) / d).resolve() != skip_r]
        for name in names:
            p = Path(root) / name
            try:
                st = p.lstat()
            except OSError:
                continue
            if not p.is_symlink():
                files += 1
                size += st.st_size
    return files, size


def _entry(kind: str, label: str, path: Path | str | None, count: int, size: int, **extra: Any):
    row = {
        "kind": kind,
        "label": label,
        "path": str(path) if path is not None else None,
        "count": count,
        "bytes": size,
    }
    row.update(extra)
    return row


def where(project: Project) -> list[dict[str, Any]]:
    """One entry per kind of data: kind, label, path, count, bytes (+ notes)."""
    project = Project.get_by_id(project.id)
    base = folders.project_dir(project)
    drop = folders.drop_dir(project)
    db_path = Path(database.obj.database)
    rows: list[dict[str, Any]] = []

    files, size = _tree(base, skip=drop)
    rows.append(_entry("project_folder", "project folder", base, files, size))

    # the data's own size (pages in use, its write-ahead log's pages included), not the
    # files': the log file grows and shrinks with checkpoints the user has no say in
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    db_bytes = pages * database.execute_sql("PRAGMA page_size").fetchone()[0]
    docs = Document.select().where(Document.project == project).count()
    rows.append(
        _entry(
            "database",
            "database (all projects of this home)",
            db_path,
            docs,
            db_bytes,
            unit="documents",
            note="documents, pages, jobs, events, versions; shared with other projects",
        )
    )

    files, size = _tree(folders.store_dir(project))
    rows.append(_entry("originals", "stored originals", folders.store_dir(project), files, size))

    pages, chars = (
        Page.select(peewee.fn.COUNT(Page.id), peewee.fn.COALESCE(peewee.fn.SUM(Page.chars), 0))
        .join(Document)
        .where(Document.project == project)
        .tuples()
        .get()
    )
    text_bytes = (
        Page.select(peewee.fn.COALESCE(peewee.fn.SUM(peewee.fn.LENGTH(Page.text)), 0))
        .join(Document)
        .where(Document.project == project)
        .scalar()
    )
    rows.append(
        _entry(
            "extracted_text",
            "extracted text (in the database)",
            db_path,
            pages,
            int(text_bytes or 0),
            unit="pages",
            chars=int(chars or 0),
        )
    )

    events, event_bytes = (
        Event.select(
            peewee.fn.COUNT(Event.id),
            peewee.fn.COALESCE(
                peewee.fn.SUM(peewee.fn.LENGTH(Event.message) + peewee.fn.LENGTH(Event.data)), 0
            ),
        )
        .where(Event.project_id == project.id)
        .tuples()
        .get()
    )
    rows.append(
        _entry(
            "audit_trail",
            "audit trail (in the database)",
            db_path,
            events,
            int(event_bytes or 0),
            unit="events",
        )
    )

    files, size = _tree(drop)
    rows.append(
        _entry(
            "drop_folder",
            "drop folder",
            drop,
            files,
            size,
            external=not drop.resolve().is_relative_to(home_mod.current().resolve()),
        )
    )

    files, size = _tree(folders.exports_dir(project))
    versions = DatasetVersion.select().where(DatasetVersion.project == project).count()
    rows.append(
        _entry(
            "exports",
            "dataset versions",
            folders.exports_dir(project),
            versions,
            size,
            unit="versions",
            files=files,
        )
    )

    rows.append(_archives(project))
    return rows


def _archives(project: Project) -> dict[str, Any]:
    """Archives written by ``loratui archive`` that still exist where they were written."""
    paths: list[str] = []
    size = 0
    query = Event.select(Event.data).where(
        (Event.project_id == project.id) & (Event.kind == "project.archived")
    )
    for ev in query:
        path = Path(str((ev.data or {}).get("path", "")))
        if str(path) and path.is_file() and str(path) not in paths:
            paths.append(str(path))
            size += path.stat().st_size
    return _entry(
        "archives",
        "archives (written by `loratui archive`)",
        None,
        len(paths),
        size,
        paths=paths,
    )
