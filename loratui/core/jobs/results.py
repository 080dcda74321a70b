"""What a claimed extraction job writes back: its pages, its completion, its failure.

Results are upserted on ``(document, number)`` and a job is completed in the same
transaction that writes its last results, so a job that runs twice still yields exactly
one result. Every write first checks that the caller still holds the job's lease
(``queue.check_lease``); a job lost to a reclaim or a cancel raises ``LeaseLost``.

Errors: permanent codes (``errors.CATALOGUE``) fail at once; transient ones go back to
the queue with exponential backoff (``not_before``) until ``max_attempts``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.extract.shared import PageText
from loratui.core.jobs.queue import LeaseLost, check_lease
from loratui.core.store import settings as settings_mod
from loratui.core.store.db import database, write_txn
from loratui.core.store.models import (
    DONE,
    FAILED,
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    QUEUED,
    Document,
    Job,
    Page,
    Project,
    now,
)

MAX_BACKOFF_S = 300.0
_PAGE_BATCH = 200  # rows per INSERT (3 bound values each, far below SQLite's limit)


_UPSERT_PAGE_SQL = (
    "INSERT INTO page (document_id, number, text, chars, ocr_engine, ocr_confidence, engine)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (document_id, number) DO UPDATE SET text = excluded.text,"
    " chars = excluded.chars, ocr_engine = excluded.ocr_engine,"
    " ocr_confidence = excluded.ocr_confidence, engine = excluded.engine"
)


def _upsert_pages(doc_id: int, pages: Sequence[tuple[int, str]]) -> None:
    """Pages are ``(number, text)``, or ``PageText`` for those that say how they were read."""
    rows = []
    for page in pages:
        p = PageText(*page)
        rows.append(
            (doc_id, p.number, p.text, len(p.text), p.ocr_engine, p.ocr_confidence, p.engine)
        )
    database.cursor().executemany(_UPSERT_PAGE_SQL, rows)


_ENGINES_SQL = (
    "SELECT engine FROM page WHERE document_id = ? AND engine IS NOT NULL"
    " GROUP BY engine ORDER BY COUNT(*) DESC, engine"
)


def _engines(doc_id: int, pages: Sequence[tuple[int, str]], total: int) -> str | None:
    """The engines that read the document's pages, most pages first, joined by "+" (None
    when its kind has one reader). Read from ``pages`` when they are all of them (a small
    file), else from the stored pages."""
    if len(pages) >= total:
        counts: dict[str, int] = {}
        for page in pages:
            name = page[4] if len(page) > 4 else None
            if name:
                counts[name] = counts.get(name, 0) + 1
        names = sorted(counts, key=lambda n: (-counts[n], n))
    else:
        names = [name for (name,) in database.execute_sql(_ENGINES_SQL, (doc_id,))]
    return "+".join(names) or None


def set_total(job: Job | int, owner: str, total: int, kind: str | None = None) -> None:
    """Record a document's page count (and its kind, if it was just detected)."""
    job_id = getattr(job, "id", job)
    t = now()
    with write_txn():
        row = check_lease(job_id, owner)
        Job.update(progress_total=total, updated_at=t).where(Job.id == job_id).execute()
        changes: dict[Any, Any] = {Document.pages: total, Document.updated_at: t}
        if kind:
            changes[Document.kind] = kind
        Document.update(changes).where(Document.id == row.document_id).execute()


def commit_pages(job: Job | int, owner: str, pages: Sequence[tuple[int, str]]) -> int:
    """Store one range's pages (idempotent upsert) and the progress; return pages done."""
    job_id = getattr(job, "id", job)
    t = now()
    with write_txn():
        row = check_lease(job_id, owner)
        _upsert_pages(row.document_id, pages)
        done = database.execute_sql(
            "SELECT COUNT(*) FROM page WHERE document_id = ?", (row.document_id,)
        ).fetchone()[0]
        database.execute_sql(
            "UPDATE job SET progress_done = ?, updated_at = ? WHERE id = ?", (done, t, job_id)
        )
        database.execute_sql(
            "UPDATE document SET pages_done = ?, updated_at = ? WHERE id = ?",
            (done, t, row.document_id),
        )
        numbers = [p[0] for p in pages]
        if numbers:
            log_event(
                row.project_id,
                "document.pages",
                f"pages {min(numbers)}-{max(numbers)} stored ({done} of "
                f"{row.progress_total or '?'})",
                level="debug",
                document=row.document_id,
                data={"job": job_id, "first": min(numbers), "last": max(numbers), "done": done},
                origin="worker",
            )
    return done


def stored_page_numbers(doc_id: int) -> set[int]:
    """Pages of the document already stored (a rerun extracts only the missing ones)."""
    return {p.number for p in Page.select(Page.number).where(Page.document == doc_id)}


def _all_page_texts(
    doc: Document, pages: Sequence[tuple[int, str]], total: int | None
) -> tuple[dict[int, str], int]:
    """Every page's text by number (``pages`` over what is stored) and the page count;
    raises ``internal`` when a page is missing."""
    texts = {p[0]: p[1] for p in pages}
    total = (doc.pages if total is None else total) or 0
    if not total or any(n not in texts for n in range(1, total + 1)):
        # some pages were committed range by range: read them back
        stored = Page.select(Page.number, Page.text).where(Page.document == doc.id)
        texts = {p.number: p.text for p in stored} | texts
        total = total or len(texts)
    missing = [n for n in range(1, total + 1) if n not in texts]
    if missing:
        raise LoratuiError(
            "internal",
            f"{len(missing)} of {total} pages are missing after extraction",
            "retry the file; the missing pages will be extracted again",
        )
    return texts, total


@dataclass(frozen=True)
class Completion:
    """One finished extraction to record (the arguments of ``complete``)."""

    job_id: int
    owner: str
    pages: Sequence[tuple[int, str]] = ()
    total: int | None = None
    extract_seconds: float = 0.0
    kind: str | None = None


class _ProjectRef(NamedTuple):
    """What ``log_event`` reads from a project (spares it a query per event)."""

    id: int
    name: str


def complete(
    job: Job | int,
    owner: str,
    pages: Sequence[tuple[int, str]] = (),
    total: int | None = None,
    extract_seconds: float = 0.0,
    kind: str | None = None,
) -> Document:
    """Finish a job: upsert the last ``pages``, compute the document's figures and
    warnings, mark job and document done, all in one transaction.

    Completing a job that is already done changes nothing (a duplicate run).
    """
    job_id = getattr(job, "id", job)
    (out,) = complete_many([Completion(job_id, owner, pages, total, extract_seconds, kind)])
    if isinstance(out, BaseException):
        raise out
    return out


def complete_many(items: Sequence[Completion]) -> list[Document | Exception]:
    """``complete`` for several jobs in one write transaction (a worker finishing small
    files back to back); each job is written in its own savepoint, so one that fails
    (``LeaseLost``, missing pages) is returned as its exception and leaves the others.

    Prepared SQL throughout: this runs for every document, and building the statements
    with the ORM was most of the per-file cost.
    """
    results: list[Any] = []
    for item in items:
        try:
            results.append(_prepare(item))
        except Exception as exc:  # noqa: BLE001 - handed back to that job's caller
            results.append(exc)
    if not any(isinstance(r, _Prepared) for r in results):
        return results
    projects: dict[int, _ProjectRef] = {}
    t = now()
    with write_txn():
        for i, prep in enumerate(results):
            if not isinstance(prep, _Prepared):
                continue
            try:
                with database.atomic():  # a savepoint
                    results[i] = _write(prep, t, projects)
            except Exception as exc:  # noqa: BLE001 - rolled back; handed to its caller
                results[i] = exc
    return results


@dataclass
class _Prepared:
    """A completion's figures, computed before the write lock is taken."""

    item: Completion
    doc: Document
    texts: dict[int, str]
    total: int
    chars: int
    tokens: int
    digest: str
    kind: str | None
    warnings: list[dict[str, Any]]


def _job_state(job_id: int) -> tuple[str, int, str | None, int] | None:
    return database.execute_sql(
        "SELECT state, document_id, lease_owner, attempts FROM job WHERE id = ?", (job_id,)
    ).fetchone()


def _done_document(doc_id: int) -> Document:
    return Document.get_by_id(doc_id)


def _prepare(item: Completion) -> _Prepared | Document:
    from loratui.core import extract
    from loratui.core.jobs import validate
    from loratui.core.tokens import approx_tokens

    row = _job_state(item.job_id)
    if row is None:
        raise Job.DoesNotExist(f"job {item.job_id} does not exist")
    if row[0] == JOB_DONE:
        return _done_document(row[1])
    doc = next(
        iter(
            Document.raw(
                "SELECT id, project_id, kind, pages, pages_done, started_at FROM document"
                " WHERE id = ?",
                row[1],
            )
        ),
        None,
    )
    if doc is None:
        raise Document.DoesNotExist(f"document {row[1]} does not exist")
    texts, total = _all_page_texts(doc, item.pages, item.total)
    ordered = [texts[n] for n in range(1, total + 1)]
    kind = item.kind or doc.kind
    return _Prepared(
        item=item,
        doc=doc,
        texts=texts,
        total=total,
        chars=sum(len(t) for t in ordered),
        tokens=sum(approx_tokens(t) for t in ordered),
        digest=extract.text_digest(ordered),
        kind=kind,
        warnings=list(validate.document_warnings(ordered, kind)),
    )


_DOC_DONE_SQL = (
    "UPDATE document SET state = ?, kind = ?, pages = ?, pages_done = ?, chars = ?,"
    " tokens = ?, text_sha256 = ?, warnings = ?, error_code = NULL, error_message = NULL,"
    " hint = NULL, extract_seconds = ?, finished_at = ?, updated_at = ?, engine = ?"
    " WHERE id = ?"
)
_JOB_DONE_SQL = (
    "UPDATE job SET state = ?, lease_owner = NULL, lease_expires = NULL, progress_done = ?,"
    " progress_total = ?, last_error = NULL, updated_at = ? WHERE id = ?"
)
_SAME_TEXT_SQL = (
    "SELECT 1 FROM document WHERE project_id = ? AND text_sha256 = ? AND state = ?"
    " AND id != ? LIMIT 1"
)


_OCR_PAGES_SQL = (
    "SELECT COUNT(*), COALESCE(SUM(chars = 0), 0), AVG(ocr_confidence) FROM page"
    " WHERE document_id = ? AND ocr_engine IS NOT NULL"
)


def _ocr_notes(doc: Document, warnings: list[dict[str, Any]]) -> None:
    """The ``ocr`` warning, and OCR advice in the hints on missing text (only for kinds
    whose pages may be scans; the caller holds the write transaction, pages written)."""
    from loratui.core.extract import ocr
    from loratui.core.jobs import validate

    read, blank, confidence = database.execute_sql(_OCR_PAGES_SQL, (doc.id,)).fetchone()
    if any(w["code"] in ("no_text", "little_text") for w in warnings):
        stored = database.execute_sql(
            "SELECT settings FROM project WHERE id = ?", (doc.project_id,)
        ).fetchone()[0]
        setting = settings_mod.effective(json.loads(stored or "{}"))["ocr"]
        validate.ocr_hints(warnings, doc.id, setting, ocr.available(), read)
    note = validate.ocr_warning(doc.id, read, blank, confidence)
    if note:
        warnings.append(note)


def _write(prep: _Prepared, t: float, projects: dict[int, _ProjectRef]) -> Document:
    """Write one prepared completion (the caller holds the write transaction)."""
    from loratui.core.jobs import validate

    item, doc, total = prep.item, prep.doc, prep.total
    job_id, pages, warnings = item.job_id, item.pages, prep.warnings
    fresh = _job_state(job_id)
    if fresh is not None and fresh[0] == JOB_DONE:
        return _done_document(fresh[1])
    if fresh is None or fresh[0] != JOB_RUNNING or fresh[2] != item.owner:
        raise LeaseLost(job_id)
    if pages:
        _upsert_pages(doc.id, pages)
    if len(prep.texts) > total or doc.pages_done > total:  # stale pages past the end
        database.execute_sql(
            "DELETE FROM page WHERE document_id = ? AND number > ?", (doc.id, total)
        )
    doc.text_sha256, doc.chars, doc.kind = prep.digest, prep.chars, prep.kind
    if (
        prep.digest
        and prep.chars
        and database.execute_sql(
            _SAME_TEXT_SQL, (doc.project_id, prep.digest, DONE, doc.id)
        ).fetchone()
    ):
        dup = validate.duplicate_text_warning(doc)
        if dup:
            warnings.append(dup)
    if kinds.find(prep.kind) is not None and kinds.find(prep.kind).reads_images:
        _ocr_notes(doc, warnings)
    engines = _engines(doc.id, pages, total)
    database.execute_sql(
        _DOC_DONE_SQL,
        (
            DONE,
            prep.kind,
            total,
            total,
            prep.chars,
            prep.tokens,
            prep.digest,
            json.dumps(warnings, sort_keys=True, ensure_ascii=False),  # as JSONText stores it
            item.extract_seconds,
            t,
            t,
            engines,
            doc.id,
        ),
    )
    database.execute_sql(_JOB_DONE_SQL, (JOB_DONE, total, total, t, job_id))
    elapsed = t - (doc.started_at or t)
    project = projects.get(doc.project_id)
    if project is None:
        name = database.execute_sql(
            "SELECT name FROM project WHERE id = ?", (doc.project_id,)
        ).fetchone()[0]
        project = projects[doc.project_id] = _ProjectRef(doc.project_id, name)
    chars, tokens, digest = prep.chars, prep.tokens, prep.digest
    log_event(
        project,
        "document.done",
        f"extracted {total} page{'s' if total != 1 else ''}, {chars:,} characters "
        f"in {elapsed:.1f} s",
        document=doc,
        data={
            "job": job_id,
            "pages": total,
            "chars": chars,
            "tokens": tokens,
            "text_sha256": digest,
            "seconds": round(elapsed, 3),
            "extract_seconds": round(item.extract_seconds, 3),
            "attempts": fresh[3],
            "warnings": [w.get("code") for w in warnings],
        },
        origin="worker",
    )
    for w in warnings:
        log_event(
            project,
            "document.warning",
            w.get("message", ""),
            level=w.get("level", "warning"),
            document=doc,
            data=w,
            origin="worker",
        )
    doc.state, doc.pages, doc.pages_done, doc.tokens = DONE, total, total, tokens
    doc.warnings, doc.finished_at, doc.extract_seconds = warnings, t, item.extract_seconds
    doc.error_code = doc.error_message = doc.hint = None
    doc.engine = engines
    return doc


def backoff_s(attempts: int, base: float) -> float:
    """Exponential backoff with a little jitter: base, 2*base, 4*base... capped."""
    delay = base * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF_S, delay) * random.uniform(0.9, 1.1)


def fail(
    job: Job | int,
    err: LoratuiError,
    traceback: str | None = None,
    owner: str | None = None,
) -> str:
    """Record a failed attempt: ``"failed"`` for good, or ``"retry"`` (back in the queue
    after a backoff) when the error is transient and attempts remain.

    With ``owner``, a job no longer ours raises ``LeaseLost`` and is left alone.
    """
    job_id = getattr(job, "id", job)
    t = now()
    with write_txn():
        row = check_lease(job_id, owner) if owner else Job.get_by_id(job_id)
        project = Project.get_by_id(row.project_id)
        opts = settings_mod.effective(project.settings)
        data: dict[str, Any] = {
            "job": job_id,
            "code": err.code,
            "message": err.message,
            "hint": err.hint,
            "attempt": row.attempts,
            "max_attempts": row.max_attempts,
            "permanent": err.permanent,
        }
        if traceback:
            data["traceback"] = traceback
        if not err.permanent and row.attempts < row.max_attempts:
            delay = backoff_s(row.attempts, float(opts["backoff_base_s"]))
            Job.update(
                state=JOB_QUEUED,
                lease_owner=None,
                lease_expires=None,
                not_before=t + delay,
                last_error=f"{err.code}: {err.message}",
                updated_at=t,
            ).where(Job.id == job_id).execute()
            Document.update(state=QUEUED, updated_at=t).where(
                Document.id == row.document_id
            ).execute()
            data["retry_in_s"] = round(delay, 2)
            log_event(
                project,
                "document.retry",
                f"{err.message}; retrying in {delay:.0f} s "
                f"(attempt {row.attempts} of {row.max_attempts})",
                level="warning",
                document=row.document_id,
                data=data,
                origin="worker",
            )
            return "retry"
        Job.update(
            state=JOB_FAILED,
            lease_owner=None,
            lease_expires=None,
            last_error=f"{err.code}: {err.message}",
            updated_at=t,
        ).where(Job.id == job_id).execute()
        Document.update(
            state=FAILED,
            error_code=err.code,
            error_message=err.message,
            hint=err.hint,
            finished_at=t,
            updated_at=t,
        ).where(Document.id == row.document_id).execute()
        log_event(
            project,
            "document.failed",
            f"{err.code}: {err.message}",
            level="error",
            document=row.document_id,
            data=data,
            origin="worker",
        )
    return "failed"
