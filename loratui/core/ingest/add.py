"""Adding files to a project: store them, detect their kind, and record them in one batch.

Each file (``file_walk`` expands folders and skips hidden and temporary names) is copied
into the content-addressed store (``content_store``) and its kind is detected from the
stored copy. Then one write transaction per batch records every file: a queued document
with one ``extract`` job, a duplicate of the document that already holds those bytes, or
a failed document (unsupported, mismatched, empty, too large) that the user can see and
no job.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import peewee

from loratui.core import audit
from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.ingest.content_store import copy_into_store, flush, stored_path
from loratui.core.ingest.detect import detect_kind
from loratui.core.ingest.file_walk import walk
from loratui.core.store import settings as settings_mod
from loratui.core.store.db import database, write_txn
from loratui.core.store.folders import store_dir
from loratui.core.store.models import (
    DUPLICATE,
    FAILED,
    JOB_QUEUED,
    QUEUED,
    Document,
    Event,
    Job,
    Project,
    now,
)
from loratui.core.store.text import path_text, storable

# stored_path lives in content_store; callers keep importing it from here (nine places).
__all__ = ["AddResult", "add_paths", "stored_path"]

UNREADABLE = ("not_found", "io_error")


@dataclass
class AddResult:
    """What happened to one path given to ``add_paths``."""

    path: str
    state: str  # queued, duplicate, skipped, failed
    document_id: int | None = None
    reason: str | None = None
    error_code: str | None = None
    kind: str | None = None  # the document kind it was taken as (pdf, text, records, …)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Prepared:
    result: AddResult
    source: Path
    sha256: str = ""
    size: int = 0
    kind: str | None = None
    error: LoratuiError | None = None


def _prepare(
    project: Project, path: Path, limits: dict[str, Any], made: set[Path], new: list[Path]
) -> _Prepared:
    """Copy and detect one file (outside any transaction)."""
    prep = _Prepared(AddResult(path=path_text(path), state=QUEUED), source=path.resolve())
    try:
        st = path.stat()
    except OSError as exc:
        return _unreadable(prep, exc)
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        prep.result.state, prep.result.reason = "skipped", "not a regular file"
        return prep
    prep.size = st.st_size
    max_mb = float(limits.get("max_file_mb") or 0)
    if max_mb and prep.size > max_mb * 1024 * 1024:
        prep.error = LoratuiError(
            "too_large",
            f"{path.name} is {prep.size / 1048576:.1f} MB, over the {max_mb:g} MB limit",
            f"it was not stored; raise the limit (`loratui settings {project.name!r} "
            "max_file_mb=N`) and add it again, or split the file",
        )
        return prep  # never copied: too big to keep
    try:
        prep.sha256, stored, written, prep.size = copy_into_store(project, path, made)
        if written:
            new.append(stored)
    except OSError as exc:
        return _unreadable(prep, exc)
    try:
        prep.kind = detect_kind(stored, limits, name=path.name)
    except LoratuiError as err:
        prep.error = _named(err, stored.name, path.name)
    return prep


def _unreadable(prep: _Prepared, exc: OSError) -> _Prepared:
    """A path we could not read: reported as failed, with no document."""
    prep.result.state = FAILED
    prep.result.reason = f"cannot read the file: {exc.strerror or exc}"
    prep.result.error_code = "not_found" if isinstance(exc, FileNotFoundError) else "io_error"
    return prep


def _named(err: LoratuiError, stored_name: str, name: str) -> LoratuiError:
    """The error with the stored file's hash name replaced by the original name."""
    if stored_name in err.message:
        return LoratuiError(err.code, err.message.replace(stored_name, name), err.hint)
    return err


def add_paths(
    project: Project,
    paths: Iterable[str | Path],
    origin: str = "cli",
    follow_links: bool = False,
) -> list[AddResult]:
    """Add files and folders (recursively) to ``project``; one result per file seen.

    Files are copied into the store first, then recorded in one transaction. Symbolic
    links that leave an added folder are skipped with a reason unless ``follow_links``
    (``file_walk``, ``links``).
    """
    project = Project.get_by_id(getattr(project, "id", project))
    limits = settings_mod.effective(project.settings)
    results: list[AddResult] = []
    prepared: list[_Prepared] = []
    made: set[Path] = set()
    new: list[Path] = []
    for path, reason in walk(paths, follow_links=follow_links):
        if reason:
            results.append(AddResult(path=path_text(path), state="skipped", reason=reason))
            continue
        prep = _prepare(project, path, limits, made, new)
        results.append(prep.result)
        if prep.result.state != "skipped" and prep.result.error_code not in UNREADABLE:
            prepared.append(prep)
    flush(new, store_dir(project))
    if prepared:
        _record(project, prepared, limits, origin)
    skipped = [r for r in results if r.state == "skipped"]
    if skipped:
        log_event(
            project,
            "ingest.skipped",
            f"skipped {len(skipped)} path(s)",
            data={"paths": [{"path": r.path, "reason": r.reason} for r in skipped[:200]]},
            origin=origin,
        )
    return results


def _doc_row(project: Project, prep: _Prepared, origin: str, ts: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "project": project.id,
        "name": path_text(prep.source.name),
        "source_path": path_text(prep.source),
        "origin": origin,
        "sha256": prep.sha256,
        "size": prep.size,
        "kind": prep.kind,
        "state": QUEUED,
        "duplicate_of": None,
        "error_code": None,
        "error_message": None,
        "hint": None,
        "finished_at": None,
        "created_at": ts,
        "updated_at": ts,
    }
    if prep.error is not None:
        err = prep.error
        row.update(
            state=FAILED,
            error_code=err.code,
            error_message=err.message,
            hint=err.hint,
            finished_at=ts,
        )
    return row


def _insert_rows(model: type[peewee.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (field name -> value) as ``insert_many`` would, filling the model's
    Python-side defaults, and return the new ids in order.

    One prepared statement executed per row: building a multi-row INSERT with the ORM
    cost more than the rows themselves on big batches.
    """
    fields = [f for f in model._meta.sorted_fields if not f.primary_key]
    defaults = model._meta.defaults
    columns = ", ".join(f.column_name for f in fields)
    marks = ", ".join("?" * len(fields))
    sql = f"INSERT INTO {model._meta.table_name} ({columns}) VALUES ({marks})"
    cursor = database.cursor()
    ids = []
    for row in rows:
        values = []
        for f in fields:
            if f.name in row:
                value = row[f.name]
            else:
                value = defaults.get(f)
                value = value() if callable(value) else value
            values.append(f.db_value(value))
        cursor.execute(sql, values)
        ids.append(cursor.lastrowid)
    return ids


def _insert_documents(rows: list[dict[str, Any]]) -> list[int]:
    """Insert document rows and return their ids in order."""
    return _insert_rows(Document, rows)


_LOOKUP_BATCH = 5000  # hashes per query (SQLite caps the bound values of one statement)


def known_by_sha(project_id: int, shas: list[str]) -> peewee.ModelSelect:
    """(id, sha256) of the project's documents (not duplicates, not empty) with one of
    ``shas``.

    No ORDER BY: sorting by id made SQLite walk every document of the project instead of
    looking each hash up in ``(project_id, sha256)``; callers keep the smallest id.
    """
    return (
        Document.select(Document.id, Document.sha256)
        .where(
            (Document.project == project_id)
            & (Document.sha256.in_(shas))
            & (Document.state != DUPLICATE)
            & (Document.size > 0)  # empty files are each ``empty``, never a duplicate
        )
        .tuples()
    )


def _dedup_key(prep: _Prepared) -> str:
    """The bytes' hash, or "" for a file that is not compared with others: an empty file
    (every empty file has the same hash, and each is ``empty``, not a duplicate of the
    first) and a file never stored (too large: no hash)."""
    return prep.sha256 if prep.size > 0 else ""


def _too_large_rows(project: Project, prepared: list[_Prepared]) -> dict[str, int]:
    """The failed ``too_large`` rows of this project for the batch's source paths: adding
    the file again (the limit raised) replaces that row instead of leaving it beside."""
    sources = list({path_text(p.source) for p in prepared})
    found: dict[str, int] = {}
    for start in range(0, len(sources), 500):
        rows = (
            Document.select(Document.id, Document.source_path)
            .where(
                (Document.project == project)
                & (Document.state == FAILED)
                & (Document.error_code == "too_large")
                & (Document.source_path.in_(sources[start : start + 500]))
            )
            .order_by(Document.id)
            .tuples()
        )
        for doc_id, source in rows:
            found.setdefault(source, doc_id)
    return found


def _replace_rows(rows: list[dict[str, Any]], replace: dict[str, int]) -> list[int]:
    """Insert ``rows``, except those whose source path has a row to replace: that row is
    overwritten in place (same id) and claimed, so two copies in one batch replace it once."""
    ids: list[int | None] = [None] * len(rows)
    fresh: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(rows):
        old = replace.pop(row["source_path"], None)
        if old is None:
            fresh.append((i, row))
            continue
        values = {k: v for k, v in row.items() if k not in ("project", "created_at")}
        Document.update(**values).where(Document.id == old).execute()
        ids[i] = old
    for (i, _), doc_id in zip(fresh, _insert_documents([r for _, r in fresh]), strict=True):
        ids[i] = doc_id
    return [i for i in ids if i is not None]


def _record(
    project: Project, prepared: list[_Prepared], limits: dict[str, Any], origin: str
) -> None:
    """Create the documents, jobs and events of one batch in one transaction."""
    shas = {_dedup_key(p) for p in prepared} - {""}
    ts = now()
    max_attempts = int(limits.get("max_attempts") or 3)
    with write_txn():
        replace = _too_large_rows(project, prepared)
        known: dict[str, int] = {}
        listed = sorted(shas)
        for at in range(0, len(listed), _LOOKUP_BATCH):
            for doc_id, sha in known_by_sha(project.id, listed[at : at + _LOOKUP_BATCH]):
                known[sha] = min(doc_id, known.get(sha, doc_id))
        firsts: list[_Prepared] = []
        dups: list[_Prepared] = []
        seen: set[str] = set()
        for prep in prepared:
            key = _dedup_key(prep)
            if key and (key in known or key in seen):
                dups.append(prep)
            else:
                firsts.append(prep)
                if key:
                    seen.add(key)
        ids = _replace_rows([_doc_row(project, p, origin, ts) for p in firsts], replace)
        for prep, doc_id in zip(firsts, ids, strict=True):
            prep.result.document_id = doc_id
            if _dedup_key(prep):
                known.setdefault(prep.sha256, doc_id)
        dup_rows = []
        for prep in dups:
            row = _doc_row(project, prep, origin, ts)
            row.update(state=DUPLICATE, duplicate_of=known[prep.sha256], error_code=None)
            row.update(error_message=None, hint=None, finished_at=None)
            dup_rows.append(row)
        for prep, doc_id in zip(dups, _replace_rows(dup_rows, replace), strict=True):
            prep.result.document_id = doc_id
        jobs = [
            {
                "project": project.id,
                "document": p.result.document_id,
                "kind": "extract",
                "state": JOB_QUEUED,
                "max_attempts": max_attempts,
                "created_at": ts,
                "updated_at": ts,
            }
            for p in firsts
            if p.error is None
        ]
        _insert_rows(Job, jobs)
        _log_batch(project, [_describe(prep, known) for prep in prepared], origin)


def _log_batch(project: Project, entries: list[_Entry], origin: str) -> None:
    """Append the batch's events to the project's chain in a few statements.

    The same chain ``audit.log_event`` writes (its payload and hash functions), without
    a query per event; the caller holds the write transaction, so nothing interleaves.
    """
    prev = audit.last_hash(project.id)
    who, t = audit.actor(), now()
    rows = []
    for kind, message, level, doc_id, data in entries:
        ev = Event(
            project_id=project.id,
            project_name=project.name,
            document_id=doc_id,
            time=t,
            level=level,
            kind=kind,
            message=storable(message),
            data=audit.plain_json(data),
            actor=who,
            origin=origin,
        )
        ev.prev_hash = prev
        ev.hash = prev = audit.compute_hash(prev, audit.event_payload(ev))
        rows.append(dict(ev.__data__))
    _insert_rows(Event, rows)


_Entry = tuple[str, str, str, int | None, dict[str, Any]]


def _describe(prep: _Prepared, known: dict[str, int]) -> _Entry:
    """Fill in the result of one recorded file; return its event."""
    res, doc_id, name = prep.result, prep.result.document_id, path_text(prep.source.name)
    original = known.get(prep.sha256) if _dedup_key(prep) else None
    if original is not None and original != doc_id:
        res.state, res.reason = DUPLICATE, f"same bytes as document {original}"
        return (
            "document.duplicate",
            f"{name} is a duplicate of document {original}",
            "info",
            doc_id,
            {"sha256": prep.sha256, "duplicate_of": original, "source_path": str(prep.source)},
        )
    elif prep.error is not None:
        err = prep.error
        res.state, res.reason, res.error_code = FAILED, err.message, err.code
        return (
            "document.failed",
            f"{name}: {err.message}",
            "warning",
            doc_id,
            {"code": err.code, "message": err.message, "hint": err.hint, "sha256": prep.sha256},
        )
    res.state, res.reason, res.kind = QUEUED, f"{prep.kind} document", prep.kind
    return (
        "document.added",
        f"{name} added ({prep.kind}, {prep.size:,} bytes)",
        "info",
        doc_id,
        {
            "sha256": prep.sha256,
            "kind": prep.kind,
            "size": prep.size,
            "name": name,
            "source_path": str(prep.source),
        },
    )
