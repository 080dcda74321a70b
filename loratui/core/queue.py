"""The durable job queue: extraction jobs in SQLite, claimed with a lease, resumable.

Why SQLite and leases: the queue must survive a SIGKILL at any moment and let two
``process`` commands share one project. A job is claimed inside ``BEGIN IMMEDIATE`` (only
one writer at a time), so no job is handed out twice; the claimer holds a lease (owner,
expiry) that it renews while it works. A lease whose owner died (a local pid that is gone)
or that expired is reclaimed and the job runs again. Results are upserted on
``(document, number)`` and the job is completed in the same transaction that writes the
last results, so a job that runs twice still yields exactly one result.

Errors: permanent codes (``errors.CATALOGUE``) fail at once; transient ones go back to
the queue with exponential backoff (``not_before``) until ``max_attempts``. Every
transition is logged with ``audit.log_event`` inside the same transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

import peewee

from loratui.core import settings as settings_mod
from loratui.core.audit import log_event
from loratui.core.db import write_txn
from loratui.core.errors import LoratuiError
from loratui.core.models import (
    CANCELLED,
    DONE,
    DUPLICATE,
    FAILED,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    PROCESSING,
    QUEUED,
    Document,
    Job,
    Page,
    Project,
    now,
)
from loratui.core.owners import owner_is_dead

EXTRACT = "extract"
MAX_BACKOFF_S = 300.0
_PAGE_BATCH = 200  # rows per INSERT (3 bound values each, far below SQLite's limit)


class LeaseLost(Exception):
    """The job is no longer ours: its lease was reclaimed, or it was cancelled."""


def _project(project: Project | int) -> Project:
    if isinstance(project, Project):
        return project
    return Project.get_by_id(project)


def _settings(project: Project) -> dict[str, Any]:
    return settings_mod.effective(project.settings)


def backoff_s(attempts: int, base: float) -> float:
    """Exponential backoff with a little jitter: base, 2*base, 4*base... capped."""
    delay = base * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF_S, delay) * random.uniform(0.9, 1.1)


def _latest_job(doc: Document) -> Job | None:
    return (
        Job.select()
        .where((Job.document == doc) & (Job.kind == EXTRACT))
        .order_by(Job.id.desc())
        .first()
    )


# ---------------------------------------------------------------- claiming


def claim(project_id: int, owner: str, lease_s: float) -> Job | None:
    """Atomically take the next runnable job of the project, or None.

    Runnable: queued, its ``not_before`` passed, its document not excluded, the project
    not paused. The attempt is counted here (``release`` gives it back).
    """
    jobs = claim_many(project_id, owner, lease_s, 1)
    return jobs[0] if jobs else None


def claim_many(project_id: int, owner: str, lease_s: float, limit: int) -> list[Job]:
    """Like ``claim``, up to ``limit`` jobs in one transaction (fewer round trips when
    a worker has several free slots)."""
    if limit < 1:
        return []
    t = now()
    with write_txn():
        project = Project.get_or_none(Project.id == project_id)
        if project is None or project.paused:
            return []
        jobs = list(
            Job.select()
            .join(Document)
            .where(
                (Job.project == project_id)
                & (Job.kind == EXTRACT)
                & (Job.state == JOB_QUEUED)
                & (Job.not_before <= t)
                & (Document.excluded == False)  # noqa: E712 - a SQL comparison
            )
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
        )
        if not jobs:
            return []
        max_attempts = int(_settings(project)["max_attempts"]) or 1
        ids = [j.id for j in jobs]
        Job.update(
            state=JOB_RUNNING,
            lease_owner=owner,
            lease_expires=t + lease_s,
            attempts=Job.attempts + 1,
            max_attempts=max_attempts,
            updated_at=t,
        ).where(Job.id.in_(ids)).execute()
        Document.update(state=PROCESSING, started_at=t, updated_at=t).where(
            Document.id.in_([j.document_id for j in jobs])
        ).execute()
        for job in jobs:
            job.state, job.lease_owner, job.lease_expires = JOB_RUNNING, owner, t + lease_s
            job.attempts += 1
            job.max_attempts = max_attempts
            job.updated_at = t
            log_event(
                project,
                "document.processing",
                f"processing started (attempt {job.attempts} of {job.max_attempts})",
                level="debug",
                document=job.document_id,
                data={"job": job.id, "attempt": job.attempts, "owner": owner},
                origin="worker",
            )
    return jobs


def renew(job: Job | int, owner: str, lease_s: float) -> bool:
    """Extend our lease on ``job``; False when it is no longer ours."""
    return bool(renew_many([getattr(job, "id", job)], owner, lease_s))


def renew_many(job_ids: Iterable[int], owner: str, lease_s: float) -> set[int]:
    """Extend our leases in one transaction; return the ids we still hold."""
    ids = list(job_ids)
    if not ids:
        return set()
    t = now()
    with write_txn():
        Job.update(lease_expires=t + lease_s, updated_at=t).where(
            Job.id.in_(ids) & (Job.lease_owner == owner) & (Job.state == JOB_RUNNING)
        ).execute()
        held = Job.select(Job.id).where(
            Job.id.in_(ids) & (Job.lease_owner == owner) & (Job.state == JOB_RUNNING)
        )
        return {j.id for j in held}


def _check_lease(job_id: int, owner: str) -> Job:
    job = Job.get_or_none(Job.id == job_id)
    if job is None or job.state != JOB_RUNNING or job.lease_owner != owner:
        raise LeaseLost(job_id)
    return job


def release(job: Job | int, owner: str, reason: str = "worker stopped") -> bool:
    """Give a job we hold back to the queue without counting the attempt."""
    job_id = getattr(job, "id", job)
    t = now()
    with write_txn():
        try:
            row = _check_lease(job_id, owner)
        except LeaseLost:
            return False
        Job.update(
            state=JOB_QUEUED,
            lease_owner=None,
            lease_expires=None,
            attempts=peewee.fn.MAX(Job.attempts - 1, 0),
            updated_at=t,
        ).where(Job.id == job_id).execute()
        Document.update(state=QUEUED, updated_at=t).where(
            (Document.id == row.document_id) & (Document.state == PROCESSING)
        ).execute()
        log_event(
            row.project_id,
            "document.released",
            f"back in the queue ({reason})",
            level="debug",
            document=row.document_id,
            data={"job": job_id, "reason": reason},
            origin="worker",
        )
    return True


def reclaim_expired(project_id: int) -> int:
    """Re-queue running jobs whose lease expired or whose owner process is gone.

    The attempt is not counted: the orchestrator died, not the extraction (that runs
    in pool processes and fails with ``crashed`` instead).
    """
    t = now()
    with write_txn():
        running = list(
            Job.select().where(
                (Job.project == project_id) & (Job.state == JOB_RUNNING) & (Job.kind == EXTRACT)
            )
        )
        stale = [j for j in running if (j.lease_expires or 0) < t or owner_is_dead(j.lease_owner)]
        for j in stale:
            Job.update(
                state=JOB_QUEUED,
                lease_owner=None,
                lease_expires=None,
                attempts=peewee.fn.MAX(Job.attempts - 1, 0),
                updated_at=t,
            ).where(Job.id == j.id).execute()
            Document.update(state=QUEUED, updated_at=t).where(
                (Document.id == j.document_id) & (Document.state == PROCESSING)
            ).execute()
            expired = (j.lease_expires or 0) < t
            log_event(
                project_id,
                "document.reclaimed",
                "its worker "
                + ("stopped renewing its lease" if expired else "is gone")
                + "; back in the queue",
                level="warning",
                document=j.document_id,
                data={"job": j.id, "owner": j.lease_owner, "lease_expired": expired},
                origin="worker",
            )
    return len(stale)


def next_runnable_at(project_id: int) -> float | None:
    """When the earliest queued job may run (now or later), or None if none is queued."""
    project = Project.get_or_none(Project.id == project_id)
    if project is None or project.paused:
        return None
    row = (
        Job.select(peewee.fn.MIN(Job.not_before).alias("t"))
        .join(Document)
        .where(
            (Job.project == project_id)
            & (Job.kind == EXTRACT)
            & (Job.state == JOB_QUEUED)
            & (Document.excluded == False)  # noqa: E712
        )
        .scalar()
    )
    return None if row is None else float(row)


# ---------------------------------------------------------------- results


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
        row = _check_lease(job_id, owner)
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
        row = _check_lease(job_id, owner)
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
    return {p.number for p in Page.select(Page.number).where(Page.document == doc_id)}


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
        row = _check_lease(job_id, owner) if owner else Job.get_by_id(job_id)
        project = Project.get_by_id(row.project_id)
        opts = _settings(project)
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


# ---------------------------------------------------------------- user operations


def _reset_job(job: Job, doc: Document, t: float) -> None:
    job.state = JOB_QUEUED
    job.attempts = 0
    job.not_before = 0.0
    job.lease_owner = None
    job.lease_expires = None
    job.last_error = None
    job.progress_done = doc.pages_done or 0
    job.progress_total = doc.pages or 0
    job.updated_at = t
    job.save()


def _enqueue(project: Project, doc: Document, t: float) -> Job:
    job = _latest_job(doc)
    if job is None:
        job = Job.create(project=project, document=doc, kind=EXTRACT, created_at=t)
    _reset_job(job, doc, t)
    Document.update(
        state=QUEUED,
        error_code=None,
        error_message=None,
        hint=None,
        finished_at=None,
        updated_at=t,
    ).where(Document.id == doc.id).execute()
    return job


def _forget_results(doc: Document) -> None:
    """Drop extracted pages and figures so the document is extracted from scratch."""
    Page.delete().where(Page.document == doc.id).execute()
    Document.update(
        pages=None, pages_done=0, chars=0, tokens=0, text_sha256=None, warnings=[]
    ).where(Document.id == doc.id).execute()
    doc.pages, doc.pages_done = None, 0


def enqueue(project: Project, doc: Document) -> Job:
    """(Re-)queue one document's extraction job, creating it if needed."""
    with write_txn():
        job = _enqueue(project, doc, now())
        log_event(project, "document.queued", "queued for extraction", document=doc)
    return job


def pause(project: Project) -> None:
    """Stop handing out this project's jobs; running ones finish."""
    with write_txn():
        Project.update(paused=True, updated_at=now()).where(Project.id == project.id).execute()
        project.paused = True
        log_event(project, "queue.paused", "queue paused")


def resume(project: Project) -> None:
    with write_txn():
        Project.update(paused=False, updated_at=now()).where(Project.id == project.id).execute()
        project.paused = False
        log_event(project, "queue.resumed", "queue resumed")


def _docs(project: Project, doc_ids: Iterable[int] | None) -> peewee.ModelSelect:
    q = Document.select().where(Document.project == project)
    if doc_ids is not None:
        q = q.where(Document.id.in_(list(doc_ids)))
    return q.order_by(Document.id)


def cancel(project: Project, doc_ids: list[int] | None = None) -> int:
    """Cancel queued and running jobs (all, or those of ``doc_ids``); return how many.

    A worker holding a cancelled job notices at its next commit or lease renewal and
    stops that job's extraction.
    """
    t = now()
    n = 0
    with write_txn():
        for doc in _docs(project, doc_ids).where(Document.state.in_([QUEUED, PROCESSING])):
            Job.update(
                state=JOB_CANCELLED, lease_owner=None, lease_expires=None, updated_at=t
            ).where((Job.document == doc.id) & Job.state.in_([JOB_QUEUED, JOB_RUNNING])).execute()
            Document.update(
                state=CANCELLED,
                error_code="cancelled",
                error_message="cancelled by the user",
                hint="retry it to process it again",
                updated_at=t,
            ).where(Document.id == doc.id).execute()
            log_event(project, "document.cancelled", "cancelled", document=doc)
            n += 1
    return n


def retry(project: Project, doc_ids: list[int] | None = None, failed_only: bool = True) -> int:
    """Re-queue failed documents (all, or ``doc_ids``); return how many.

    With ``failed_only=False`` the selected documents are re-queued whatever their
    state (failed, cancelled, done); done ones are extracted again from scratch.
    Pages a failed document already had are kept: its retry continues from the first
    missing range.
    """
    states = [FAILED] if failed_only else [FAILED, CANCELLED, DONE]
    t = now()
    n = 0
    with write_txn():
        for doc in _docs(project, doc_ids).where(Document.state.in_(states)):
            previous = doc.state
            if previous in (DONE, CANCELLED):
                _forget_results(doc)
            _enqueue(project, doc, t)
            log_event(
                project,
                "document.retried",
                f"re-queued (was {previous})",
                document=doc,
                data={"previous_state": previous, "error_code": doc.error_code},
            )
            n += 1
    return n


def unlock(project: Project, doc: Document, password: str) -> Job:
    """Store a PDF's password (only in the project database) and re-queue it."""
    if doc.kind not in (None, "pdf"):
        raise LoratuiError("invalid", f"{doc.name!r} is not a PDF; only PDFs take a password")
    if doc.state == DUPLICATE:
        raise LoratuiError(
            "invalid",
            f"{doc.name!r} is a duplicate of another document",
            "unlock the original document instead",
        )
    with write_txn():
        Document.update(password=password, updated_at=now()).where(Document.id == doc.id).execute()
        doc.password = password
        _forget_results(doc)
        job = _enqueue(project, doc, now())
        log_event(project, "document.unlocked", "password stored; re-queued", document=doc)
    return job


def set_excluded(project: Project, doc_ids: Iterable[int], excluded: bool) -> int:
    """Exclude documents from processing and export (or include them again)."""
    t = now()
    n = 0
    with write_txn():
        for doc in _docs(project, doc_ids).where(Document.excluded != excluded):
            Document.update(excluded=excluded, updated_at=t).where(Document.id == doc.id).execute()
            log_event(
                project,
                "document.excluded" if excluded else "document.included",
                "excluded from processing and export" if excluded else "included again",
                document=doc,
            )
            n += 1
    return n


def counts(project: Project) -> dict[str, Any]:
    """Counts per document state and job state, totals of done work, failures by code."""
    project = _project(project)
    states = {s: 0 for s in (QUEUED, PROCESSING, DONE, FAILED, DUPLICATE, CANCELLED)}
    for state, n in (
        Document.select(Document.state, peewee.fn.COUNT(Document.id))
        .where(Document.project == project)
        .group_by(Document.state)
        .tuples()
    ):
        states[state] = n
    jobs: dict[str, int] = {}
    for state, n in (
        Job.select(Job.state, peewee.fn.COUNT(Job.id))
        .where((Job.project == project) & (Job.kind == EXTRACT))
        .group_by(Job.state)
        .tuples()
    ):
        jobs[state] = n
    failures: dict[str, int] = {}
    for code, n in (
        Document.select(Document.error_code, peewee.fn.COUNT(Document.id))
        .where((Document.project == project) & (Document.state == FAILED))
        .group_by(Document.error_code)
        .tuples()
    ):
        failures[code or "unknown"] = n
    pages, chars, tokens = (
        Document.select(
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.chars), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.tokens), 0),
        )
        .where((Document.project == project) & (Document.state == DONE))
        .tuples()
        .first()
    )
    excluded = (
        Document.select()
        .where((Document.project == project) & (Document.excluded == True))  # noqa: E712
        .count()
    )
    return {
        "documents": sum(states.values()),
        "states": states,
        "jobs": jobs,
        "excluded": excluded,
        "paused": bool(project.paused),
        "pages": int(pages),
        "chars": int(chars),
        "tokens": int(tokens),
        "failures": failures,
    }
