"""What a claimed extraction job writes back: its pages, its completion, its failure.

Results are upserted on ``(document, number)`` and a job is completed in the same
transaction that writes its last results, so a job that runs twice still yields exactly
one result. Every write first checks that the caller still holds the job's lease
(``queue.check_lease``); a job lost to a reclaim or a cancel raises ``LeaseLost``.

Errors: permanent codes (``errors.CATALOGUE``) fail at once; transient ones go back to
the queue with exponential backoff (``not_before``) until ``max_attempts``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from loratui.core import settings as settings_mod
from loratui.core.audit import log_event
from loratui.core.db import write_txn
from loratui.core.errors import LoratuiError
from loratui.core.models import (
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
from loratui.core.queue import LeaseLost, check_lease

MAX_BACKOFF_S = 300.0
_PAGE_BATCH = 200  # rows per INSERT (3 bound values each, far below SQLite's limit)


def _upsert_pages(doc_id: int, pages: Sequence[tuple[int, str]]) -> None:
    rows = [{"document": doc_id, "number": n, "text": t, "chars": len(t)} for n, t in pages]
    for i in range(0, len(rows), _PAGE_BATCH):
        Page.insert_many(rows[i : i + _PAGE_BATCH]).on_conflict(
            conflict_target=[Page.document, Page.number],
            preserve=[Page.text, Page.chars],
        ).execute()


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
        done = Page.select().where(Page.document == row.document_id).count()
        Job.update(progress_done=done, updated_at=t).where(Job.id == job_id).execute()
        Document.update(pages_done=done, updated_at=t).where(
            Document.id == row.document_id
        ).execute()
        numbers = [n for n, _ in pages]
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
    texts = dict(pages)
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
    from loratui.core import extract, validate
    from loratui.core.tokens import approx_tokens

    job_id = getattr(job, "id", job)
    # only the columns needed: building SQL for whole rows is most of the per-file cost
    row = Job.select(Job.state, Job.document).where(Job.id == job_id).get()
    if row.state == JOB_DONE:
        return Document.get_by_id(row.document_id)
    doc = (
        Document.select(
            Document.id,
            Document.project,
            Document.kind,
            Document.pages,
            Document.pages_done,
            Document.started_at,
        )
        .where(Document.id == row.document_id)
        .get()
    )
    texts, total = _all_page_texts(doc, pages, total)
    ordered = [texts[n] for n in range(1, total + 1)]
    chars = sum(len(t) for t in ordered)
    tokens = sum(approx_tokens(t) for t in ordered)
    digest = extract.text_digest(ordered)
    kind = kind or doc.kind
    warnings = list(validate.document_warnings(ordered, kind))
    t = now()
    with write_txn():
        fresh = Job.select(Job.state, Job.lease_owner, Job.attempts).where(Job.id == job_id).first()
        if fresh is not None and fresh.state == JOB_DONE:
            return Document.get_by_id(row.document_id)
        if fresh is None or fresh.state != JOB_RUNNING or fresh.lease_owner != owner:
            raise LeaseLost(job_id)
        if pages:
            _upsert_pages(doc.id, pages)
        if len(texts) > total or doc.pages_done > total:  # stale pages past the end
            Page.delete().where((Page.document == doc.id) & (Page.number > total)).execute()
        doc.text_sha256, doc.chars, doc.kind = digest, chars, kind
        dup = validate.duplicate_text_warning(doc)
        if dup:
            warnings.append(dup)
        Document.update(
            state=DONE,
            kind=kind,
            pages=total,
            pages_done=total,
            chars=chars,
            tokens=tokens,
            text_sha256=digest,
            warnings=warnings,
            error_code=None,
            error_message=None,
            hint=None,
            extract_seconds=extract_seconds,
            finished_at=t,
            updated_at=t,
        ).where(Document.id == doc.id).execute()
        Job.update(
            state=JOB_DONE,
            lease_owner=None,
            lease_expires=None,
            progress_done=total,
            progress_total=total,
            last_error=None,
            updated_at=t,
        ).where(Job.id == job_id).execute()
        elapsed = t - (doc.started_at or t)
        project = Project.select(Project.id, Project.name).where(Project.id == doc.project_id).get()
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
                "extract_seconds": round(extract_seconds, 3),
                "attempts": fresh.attempts,
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
    doc.warnings, doc.finished_at, doc.extract_seconds = warnings, t, extract_seconds
    doc.error_code = doc.error_message = doc.hint = None
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
