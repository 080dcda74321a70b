"""What a user does to a project's queue: pause, resume, cancel, retry, unlock, exclude,
and the counts the CLI and TUI show.

These run in the user's process (CLI command, TUI action) while workers may be running:
each change is one ``write_txn`` and is logged with ``audit.log_event``. A worker notices
a cancelled job at its next commit or lease renewal (``queue.LeaseLost``).
"""

from __future__ import annotations

from collections.abc import Iterable

import peewee

from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.jobs.queue import EXTRACT
from loratui.core.store.db import write_txn
from loratui.core.store.models import (
    CANCELLED,
    DONE,
    DUPLICATE,
    FAILED,
    JOB_CANCELLED,
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


def _project(project: Project | int) -> Project:
    if isinstance(project, Project):
        return project
    return Project.get_by_id(project)


def _latest_job(doc: Document) -> Job | None:
    return (
        Job.select()
        .where((Job.document == doc) & (Job.kind == EXTRACT))
        .order_by(Job.id.desc())
        .first()
    )


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


def unlock(project: Project, doc: Document, password: str, check: bool = True) -> Job:
    """Store the password of a document whose kind takes one (a PDF) in the project
    database only, and re-queue it. ``check``: first open the file with it (in a worker
    process) and raise ``wrong_password``, storing nothing, when it does not open."""
    known = kinds.find(doc.kind)
    if doc.kind is not None and (known is None or not known.takes_password):
        takers = " or ".join(k.described for k in kinds.REGISTRY.all() if k.takes_password)
        raise LoratuiError(
            "invalid", f"{doc.name!r} is not a {takers}; only {takers}s take a password"
        )
    if doc.state == DUPLICATE:
        raise LoratuiError(
            "invalid",
            f"{doc.name!r} is a duplicate of another document",
            "unlock the original document instead",
        )
    if check:
        from loratui.core.jobs import password_check

        password_check.check(project, doc, password)
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
