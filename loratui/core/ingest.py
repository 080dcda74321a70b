"""Adding files to a project: copy them into the content-addressed store and queue them.

Each file is copied (and hashed in the same pass) to ``store/<sha[:2]>/<sha256>`` with
mode 0600, so the same bytes are stored once; its kind is detected from the stored copy.
Then one write transaction per batch records every file: a queued document with one
``extract`` job, a duplicate of the document that already holds those bytes, or a failed
document (unsupported, mismatched, empty, too large) that the user can see and no job.
Hidden and temporary names are skipped and reported, never stored.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loratui.core import home as home_mod
from loratui.core import settings as settings_mod
from loratui.core.audit import log_event
from loratui.core.db import write_txn
from loratui.core.detect import detect_kind
from loratui.core.errors import LoratuiError
from loratui.core.models import DUPLICATE, FAILED, JOB_QUEUED, QUEUED, Document, Job, Project, now
from loratui.core.projects import store_dir

SKIP_PATTERNS = ("~$*", "*.part", "*.tmp", "*.crdownload", "*.swp", "*~")
CHUNK = 1 << 20


@dataclass
class AddResult:
    """What happened to one path given to ``add_paths``."""

    path: str
    state: str  # queued, duplicate, skipped, failed
    document_id: int | None = None
    reason: str | None = None
    error_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def skip_reason(name: str) -> str | None:
    """Why a file or folder name is skipped (hidden, temporary), or None to take it."""
    if name.startswith("."):
        return "hidden file"
    for pattern in SKIP_PATTERNS:
        if fnmatch.fnmatch(name, pattern):
            return f"temporary file ({pattern})"
    return None


def stored_path(doc: Document) -> Path:
    """Where the original bytes of ``doc`` are kept."""
    return store_path(doc.project, doc.sha256)


def store_path(project: Project, sha256: str) -> Path:
    return store_dir(project) / sha256[:2] / sha256


def _walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """Every file under ``paths`` (folders recursively, sorted) with a skip reason or None."""
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                kept = []
                for d in sorted(dirs):
                    reason = skip_reason(d)
                    if reason:
                        yield Path(root) / d, f"{reason.split(' ')[0]} folder"
                    else:
                        kept.append(d)
                dirs[:] = kept
                for f in sorted(files):
                    yield Path(root) / f, skip_reason(f)
        else:
            yield path, skip_reason(path.name)


def _copy_into_store(project: Project, src: Path) -> tuple[str, Path]:
    """Copy ``src`` into the store while hashing it; return (sha256, stored path)."""
    store = store_dir(project)
    home_mod.ensure_private_dir(store)
    tmp = store / f".incoming-{os.getpid()}-{os.urandom(6).hex()}"
    digest = hashlib.sha256()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, home_mod.FILE_MODE)
    try:
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        sha = digest.hexdigest()
        final = store_path(project, sha)
        if final.exists():
            tmp.unlink()
        else:
            home_mod.ensure_private_dir(final.parent)
            os.chmod(tmp, home_mod.FILE_MODE)
            os.replace(tmp, final)
        return sha, final
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class _Prepared:
    result: AddResult
    source: Path
    sha256: str = ""
    size: int = 0
    kind: str | None = None
    error: LoratuiError | None = None


def _prepare(project: Project, path: Path, limits: dict[str, Any]) -> _Prepared:
    """Copy and detect one file (outside any transaction)."""
    prep = _Prepared(AddResult(path=str(path), state=QUEUED), source=path.resolve())
    try:
        prep.size = path.stat().st_size
    except OSError as exc:
        return _unreadable(prep, exc)
    max_mb = float(limits.get("max_file_mb") or 0)
    if max_mb and prep.size > max_mb * 1024 * 1024:
        prep.error = LoratuiError(
            "too_large",
            f"{path.name} is {prep.size / 1048576:.1f} MB, over the {max_mb:g} MB limit",
        )
        return prep  # never copied: too big to keep
    try:
        prep.sha256, stored = _copy_into_store(project, path)
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
    project: Project, paths: Iterable[str | Path], origin: str = "cli"
) -> list[AddResult]:
    """Add files and folders (recursively) to ``project``; one result per file seen.

    Files are copied into the store first, then recorded in one transaction.
    """
    project = Project.get_by_id(getattr(project, "id", project))
    limits = settings_mod.effective(project.settings)
    results: list[AddResult] = []
    prepared: list[_Prepared] = []
    for path, reason in _walk(paths):
        if reason:
            results.append(AddResult(path=str(path), state="skipped", reason=reason))
            continue
        prep = _prepare(project, path, limits)
        results.append(prep.result)
        if prep.result.error_code not in ("not_found", "io_error"):
            prepared.append(prep)
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


def _record(
    project: Project, prepared: list[_Prepared], limits: dict[str, Any], origin: str
) -> None:
    """Create the documents, jobs and events of one batch in one transaction."""
    shas = {p.sha256 for p in prepared if p.sha256}
    ts = now()
    with write_txn():
        known: dict[str, int] = {}
        if shas:
            rows = (
                Document.select(Document.id, Document.sha256)
                .where(
                    (Document.project == project)
                    & (Document.sha256.in_(list(shas)))
                    & (Document.state != DUPLICATE)
                )
                .order_by(Document.id)
                .tuples()
            )
            for doc_id, sha in rows:
                known.setdefault(sha, doc_id)
        for prep in prepared:
            res = prep.result
            doc = Document(
                project=project,
                name=prep.source.name,
                source_path=str(prep.source),
                origin=origin,
                sha256=prep.sha256,
                size=prep.size,
                kind=prep.kind,
                created_at=ts,
                updated_at=ts,
            )
            original = known.get(prep.sha256) if prep.sha256 else None
            if original is not None:
                doc.state = DUPLICATE
                doc.duplicate_of = original
                doc.save(force_insert=True)
                res.state, res.reason = "duplicate", f"same bytes as document {original}"
                log_event(
                    project,
                    "document.duplicate",
                    f"{doc.name} is a duplicate of document {original}",
                    document=doc,
                    data={"sha256": prep.sha256, "duplicate_of": original},
                    origin=origin,
                )
            elif prep.error is not None:
                err = prep.error
                doc.state = FAILED
                doc.error_code, doc.error_message, doc.hint = err.code, err.message, err.hint
                doc.finished_at = ts
                doc.save(force_insert=True)
                res.state, res.reason, res.error_code = "failed", err.message, err.code
                log_event(
                    project,
                    "document.failed",
                    f"{doc.name}: {err.message}",
                    level="warning",
                    document=doc,
                    data={"code": err.code, "hint": err.hint, "sha256": prep.sha256},
                    origin=origin,
                )
            else:
                doc.state = QUEUED
                doc.save(force_insert=True)
                Job.create(
                    project=project,
                    document=doc,
                    kind="extract",
                    state=JOB_QUEUED,
                    max_attempts=int(limits.get("max_attempts") or 3),
                    created_at=ts,
                    updated_at=ts,
                )
                res.state, res.reason = "queued", f"{prep.kind} document"
                log_event(
                    project,
                    "document.added",
                    f"{doc.name} added ({prep.kind}, {prep.size} bytes)",
                    document=doc,
                    data={
                        "sha256": prep.sha256,
                        "kind": prep.kind,
                        "size": prep.size,
                        "source_path": str(prep.source),
                    },
                    origin=origin,
                )
            res.document_id = doc.id
            if prep.sha256 and original is None:
                known.setdefault(prep.sha256, doc.id)
