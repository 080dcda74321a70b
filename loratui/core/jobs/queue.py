"""The durable job queue: claiming extraction jobs with a lease, and giving them back.

Why SQLite and leases: the queue must survive a SIGKILL at any moment and let two
``process`` commands share one project. A job is claimed inside ``BEGIN IMMEDIATE`` (only
one writer at a time), so no job is handed out twice; the claimer holds a lease (owner,
expiry) that it renews while it works. A lease whose owner died (a local pid that is gone)
or that expired is reclaimed and the job runs again.

This module holds the job mechanics the ``Worker`` drives; what a claimed job writes back
(pages, completion, failure) is in ``results``, and what a user does to the queue
(pause, cancel, retry...) in ``control``. Every transition is logged with
``audit.log_event`` inside the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

import peewee

from loratui.core.audit import log_event
from loratui.core.store import settings as settings_mod
from loratui.core.store.db import database, write_txn
from loratui.core.store.models import (
    JOB_EXTRACT,
    JOB_QUEUED,
    JOB_RUNNING,
    PROCESSING,
    QUEUED,
    Document,
    Job,
    now,
)
from loratui.core.store.owners import owner_is_dead

EXTRACT = JOB_EXTRACT  # the queue hands out extraction jobs only


class LeaseLost(Exception):
    """The job is no longer ours: its lease was reclaimed, or it was cancelled."""


# ---------------------------------------------------------------- claiming


def claim(project_id: int, owner: str, lease_s: float) -> Job | None:
    """Atomically take the next runnable job of the project, or None.

    Runnable: queued, its ``not_before`` passed, its document not excluded, the project
    not paused. The attempt is counted here (``release`` gives it back).
    """
    jobs = claim_many(project_id, owner, lease_s, 1)
    return jobs[0] if jobs else None


_PROJECT_SQL = "SELECT paused, settings, name FROM project WHERE id = ?"
# Both run for every few documents processed, so their cost must not grow with the queue:
# the claim walks the ``job_runnable`` index in its order and stops at LIMIT (the ``+``
# keeps SQLite from taking the ``not_before`` index instead and sorting every queued job),
# and the next time reads the first row of ``(project_id, state, not_before)`` that is not
# excluded (``MIN`` over a join would look at every queued job).
_RUNNABLE_SQL = (
    "SELECT j.* FROM job j JOIN document d ON d.id = j.document_id"
    " WHERE j.project_id = ? AND j.kind = ? AND j.state = ? AND +j.not_before <= ?"
    " AND d.excluded = 0 ORDER BY j.priority DESC, j.id LIMIT ?"
)
_NEXT_SQL = (
    "SELECT j.not_before FROM job j JOIN document d ON d.id = j.document_id"
    " WHERE j.project_id = ? AND j.kind = ? AND j.state = ? AND d.excluded = 0"
    " ORDER BY j.not_before LIMIT 1"
)


class _ProjectRef(NamedTuple):
    """What ``log_event`` reads from a project (spares it a query per event)."""

    id: int
    name: str


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def claim_many(project_id: int, owner: str, lease_s: float, limit: int) -> list[Job]:
    """Like ``claim``, up to ``limit`` jobs in one transaction (fewer round trips when
    a worker has several free slots).

    Prepared SQL rather than ORM queries: this runs for every document processed.
    """
    if limit < 1:
        return []
    t = now()
    with write_txn():
        row = database.execute_sql(_PROJECT_SQL, (project_id,)).fetchone()
        if row is None or row[0]:
            return []
        jobs = list(Job.raw(_RUNNABLE_SQL, project_id, EXTRACT, JOB_QUEUED, t, limit))
        if not jobs:
            return []
        stored = json.loads(row[1]) if row[1] else None
        max_attempts = int(settings_mod.effective(stored)["max_attempts"]) or 1
        ids = [j.id for j in jobs]
        database.execute_sql(
            "UPDATE job SET state = ?, lease_owner = ?, lease_expires = ?,"
            " attempts = attempts + 1, max_attempts = ?, updated_at = ?"
            f" WHERE id IN ({_marks(len(ids))})",
            (JOB_RUNNING, owner, t + lease_s, max_attempts, t, *ids),
        )
        database.execute_sql(
            "UPDATE document SET state = ?, started_at = ?, updated_at = ?"
            f" WHERE id IN ({_marks(len(jobs))})",
            (PROCESSING, t, t, *[j.document_id for j in jobs]),
        )
        project = _ProjectRef(project_id, row[2])
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


def check_lease(job_id: int, owner: str) -> Job:
    """The job row, or ``LeaseLost`` when ``owner`` no longer holds it."""
    job = next(iter(Job.raw("SELECT * FROM job WHERE id = ?", job_id)), None)
    if job is None or job.state != JOB_RUNNING or job.lease_owner != owner:
        raise LeaseLost(job_id)
    return job


def _requeue_uncounted(job_id: int, doc_id: int, t: float) -> None:
    """Put a running job back in the queue without counting its attempt."""
    Job.update(
        state=JOB_QUEUED,
        lease_owner=None,
        lease_expires=None,
        attempts=peewee.fn.MAX(Job.attempts - 1, 0),
        updated_at=t,
    ).where(Job.id == job_id).execute()
    Document.update(state=QUEUED, updated_at=t).where(
        (Document.id == doc_id) & (Document.state == PROCESSING)
    ).execute()


def release(job: Job | int, owner: str, reason: str = "worker stopped") -> bool:
    """Give a job we hold back to the queue without counting the attempt."""
    job_id = getattr(job, "id", job)
    t = now()
    with write_txn():
        try:
            row = check_lease(job_id, owner)
        except LeaseLost:
            return False
        _requeue_uncounted(job_id, row.document_id, t)
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
            _requeue_uncounted(j.id, j.document_id, t)
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
    row = database.execute_sql(_PROJECT_SQL, (project_id,)).fetchone()
    if row is None or row[0]:
        return None
    first = database.execute_sql(_NEXT_SQL, (project_id, EXTRACT, JOB_QUEUED)).fetchone()
    return None if first is None or first[0] is None else float(first[0])
