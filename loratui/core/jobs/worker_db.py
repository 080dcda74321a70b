"""The worker's trips to the database that are its own (the queue and job results have
theirs in ``queue`` and ``results``): claiming a batch of jobs with what the
extraction tasks need to know about their documents, and which page ranges of a document
are still missing from what is stored.

Runs on the worker's DB thread, never on the event loop.
"""

from __future__ import annotations

import time

from loratui.core.ingest import content_store
from loratui.core.jobs import queue
from loratui.core.store.models import Document, Job, Project


def claim_batch(
    project_id: int, owner: str, lease_s: float, limit: int
) -> list[tuple[Job, Document | None, str]]:
    """Claim up to ``limit`` runnable jobs with their documents and stored paths, in one
    trip to the DB thread (nothing is locked when nothing is runnable)."""
    nxt = queue.next_runnable_at(project_id)  # a read, no lock
    if nxt is None or nxt > time.time():
        return []
    jobs = queue.claim_many(project_id, owner, lease_s, limit)
    if not jobs:
        return []
    marks = ", ".join("?" * len(jobs))
    docs = {
        d.id: d
        for d in Document.raw(
            f"SELECT * FROM document WHERE id IN ({marks})", *[j.document_id for j in jobs]
        )
    }
    project = Project.get_by_id(project_id)
    out = []
    for job in jobs:
        doc = docs.get(job.document_id)
        path = ""
        if doc is not None:
            doc.project = project
            path = str(content_store.store_path(project, doc.sha256))
        out.append((job, doc, path))
    return out


def page_ranges(total: int, per_task: int, have: set[int]) -> list[tuple[int, int]]:
    """The ``per_task``-page ranges of 1..total that still miss at least one page."""
    per_task = max(1, per_task)
    out = []
    for start in range(1, total + 1, per_task):
        end = min(total, start + per_task - 1)
        if any(n not in have for n in range(start, end + 1)):
            out.append((start, end))
    return out
