"""The database side of a generation run: its jobs, the request ledger, pairs, the run row.

Every function here runs on the run's database thread (``db_thread``), most inside the
write transaction it batches calls into. The promises they keep:

- **A request row is committed before its request is sent** (``begin_request``,
  ``in_flight``); **an answered row is never sent again** (the runner reads it back with
  ``lookup`` and parses the stored answer). After a kill only ``in_flight`` rows are asked
  again, and only once their job's lease is reclaimed (``reclaim``).
- **An answer and its pairs land together**: ``complete`` marks the request answered,
  checks duplicates, inserts the pairs and finishes the job in one transaction.
- Jobs are the durable queue's (``Job``, kind ``generate``), one per chunk and request
  key, claimed with a lease inside ``BEGIN IMMEDIATE`` and renewed by the runner's
  heartbeat (``jobs.queue.renew_many``); giving one back never counts an attempt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.generation.chunks import ChunkItem
from loratui.core.generation.client import Attempt, Completion
from loratui.core.generation.question_index import QuestionIndex
from loratui.core.store.db import database, write_txn
from loratui.core.store.models import (
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_GENERATE,
    JOB_QUARANTINED,
    JOB_QUEUED,
    JOB_RUNNING,
    PAIR_EDITED,
    PAIR_KEPT,
    PAIR_REJECTED,
    REQ_ANSWERED,
    REQ_FAILED,
    REQ_IN_FLIGHT,
    REQ_QUARANTINED,
    GeneratedPair,
    GenerationAttempt,
    GenerationRequest,
    GenerationRun,
    Job,
    now,
)
from loratui.core.store.owners import owner_is_dead

PLAN_BATCH = 500  # jobs written per transaction while planning
RUN_RUNNING = "running"
RUN_DONE = "done"
RUN_STOPPED = "stopped"
RUN_FAILED = "failed"


# ---- the run ----------------------------------------------------------------------------


def other_live_run(project_id: int) -> GenerationRun | None:
    """A run of the project still running in a live process; runs whose process died are
    marked ``stopped`` on the way (a kill -9 leaves them ``running``)."""
    live = None
    for run in GenerationRun.select().where(
        (GenerationRun.project == project_id) & (GenerationRun.state == RUN_RUNNING)
    ):
        if owner_is_dead(run.owner):
            GenerationRun.update(
                state=RUN_STOPPED,
                error_code="crashed",
                error_message="its process ended without finishing the run",
                finished_at=run.updated_at,
            ).where(GenerationRun.id == run.id).execute()
        else:
            live = run
    return live


def start_run(
    project_id: int,
    owner: str,
    *,
    endpoint: str,
    model: str,
    template: str,
    template_version: str,
    settings_hash: str,
    origin: str | None = None,
) -> int:
    """Create the run row (``invalid`` when another process runs one on this project) and
    log ``generation.started``."""
    other = other_live_run(project_id)
    if other is not None:
        raise LoratuiError(
            "invalid",
            f"another generate run ({other.owner}) is working on this project",
            "wait for it to finish, or stop it (Ctrl-C, or `kill` its pid)",
        )
    run = GenerationRun.create(
        project=project_id,
        endpoint=endpoint,
        model=model,
        template=template,
        template_version=template_version,
        settings_hash=settings_hash,
        state=RUN_RUNNING,
        owner=owner,
    )
    log_event(
        project_id,
        "generation.started",
        f"generation started: {model} at {endpoint}",
        data={
            "run": run.id,
            "endpoint": endpoint,
            "model": model,
            "template": template,
            "template_version": template_version,
            "settings_hash": settings_hash,
        },
        origin=origin,
    )
    return run.id


def add_counts(run_id: int, counts: dict[str, int]) -> None:
    """Add to the run's counters (requests, retries, tokens_in, tokens_out, reused)."""
    changes = {
        getattr(GenerationRun, k): getattr(GenerationRun, k) + v for k, v in counts.items() if v
    }
    if changes:
        changes[GenerationRun.updated_at] = now()
        GenerationRun.update(changes).where(GenerationRun.id == run_id).execute()


def end_run(
    run_id: int,
    state: str,
    summary: dict[str, Any],
    error: LoratuiError | None = None,
    origin: str | None = None,
) -> None:
    """Close the run row and log ``generation.done`` / ``.stopped`` / ``.failed`` with its
    counts (never a key, never text)."""
    run = GenerationRun.get_by_id(run_id)
    t = now()
    GenerationRun.update(
        state=state,
        chunks=summary.get("chunks", run.chunks),
        error_code=error.code if error else None,
        error_message=error.message if error else None,
        finished_at=t,
        updated_at=t,
    ).where(GenerationRun.id == run_id).execute()
    kind = {RUN_DONE: "generation.done", RUN_STOPPED: "generation.stopped"}.get(
        state, "generation.failed"
    )
    counts = ", ".join(
        f"{k} {summary[k]}"
        for k in ("chunks", "done", "failed", "quarantined", "kept")
        if k in summary
    )
    log_event(
        run.project_id,
        kind,
        f"generation {state}: {counts}" + (f" ({error.code}: {error.message})" if error else ""),
        level="info" if state == RUN_DONE else ("warning" if state == RUN_STOPPED else "error"),
        data={
            "run": run_id,
            "endpoint": run.endpoint,
            "model": run.model,
            "template_version": run.template_version,
            "counts": summary,
            "error": error.as_dict() if error else None,
        },
        origin=origin,
    )


# ---- planning -----------------------------------------------------------------------------


def reclaim(project_id: int) -> int:
    """Put back in the queue the generate jobs whose lease expired or whose process died
    (without counting the attempt: the runner died, not the request)."""
    t = now()
    running = list(
        Job.select(Job.id, Job.lease_owner, Job.lease_expires).where(
            (Job.project == project_id) & (Job.kind == JOB_GENERATE) & (Job.state == JOB_RUNNING)
        )
    )
    stale = [j.id for j in running if (j.lease_expires or 0) < t or owner_is_dead(j.lease_owner)]
    for i in range(0, len(stale), PLAN_BATCH):
        part = stale[i : i + PLAN_BATCH]
        Job.update(
            state=JOB_QUEUED,
            lease_owner=None,
            lease_expires=None,
            attempts=Job.attempts - 1,
            updated_at=t,
        ).where(Job.id.in_(part)).execute()
    return len(stale)


def _existing_jobs(project_id: int) -> dict[str, tuple[int, str]]:
    """Request key -> (job id, state) of the project's generate jobs."""
    rows = database.execute_sql(
        "SELECT json_extract(payload, '$.key'), id, state FROM job"
        " WHERE project_id = ? AND kind = ?",
        (project_id, JOB_GENERATE),
    )
    return {key: (job_id, state) for key, job_id, state in rows if key}


@dataclass
class PlanResult:
    chunks: int = 0
    new: int = 0  # jobs created
    requeued: int = 0  # failed or cancelled jobs given another go
    finished: int = 0  # chunks already done or quarantined by an earlier run


def plan(
    project_id: int,
    run_id: int,
    items: Iterator[tuple[ChunkItem, str]],
) -> PlanResult:
    """Make sure every (chunk, request key) of ``items`` has a job tagged with this run:
    new jobs for new keys, failed ones queued again, finished ones left as they are.

    Runs outside a batch transaction (it reads pages); writes go in transactions of
    ``PLAN_BATCH`` jobs."""
    existing = _existing_jobs(project_id)
    out = PlanResult()
    inserts: list[dict[str, Any]] = []
    retag: list[int] = []
    requeue: list[int] = []
    t = now()

    def flush() -> None:
        with write_txn():
            if inserts:
                Job.insert_many(inserts).execute()
            for i in range(0, len(retag), PLAN_BATCH):
                part = retag[i : i + PLAN_BATCH]
                marks = ", ".join("?" * len(part))
                database.execute_sql(
                    f"UPDATE job SET payload = json_set(payload, '$.run', ?) WHERE id IN ({marks})",
                    (run_id, *part),
                )
            for i in range(0, len(requeue), PLAN_BATCH):
                part = requeue[i : i + PLAN_BATCH]
                Job.update(state=JOB_QUEUED, attempts=0, not_before=0.0, updated_at=t).where(
                    Job.id.in_(part)
                ).execute()
        inserts.clear()
        retag.clear()
        requeue.clear()

    seen: set[str] = set()
    for item, key in items:
        if key in seen:
            continue  # the same text under the same heading twice in a document
        seen.add(key)
        out.chunks += 1
        found = existing.get(key)
        if found is None:
            inserts.append(
                {
                    "project": project_id,
                    "document": item.document_id,
                    "kind": JOB_GENERATE,
                    "state": JOB_QUEUED,
                    "max_attempts": 1,
                    "payload": job_payload(item, key, run_id),
                    "created_at": t,
                    "updated_at": t,
                }
            )
            out.new += 1
        else:
            job_id, state = found
            retag.append(job_id)
            if state in (JOB_FAILED, JOB_CANCELLED):
                requeue.append(job_id)
                out.requeued += 1
            elif state in (JOB_DONE, JOB_QUARANTINED):
                out.finished += 1
        if len(inserts) + len(retag) >= PLAN_BATCH:
            flush()
    flush()
    GenerationRun.update(chunks=out.chunks).where(GenerationRun.id == run_id).execute()
    return out


def job_payload(item: ChunkItem, key: str, run_id: int) -> dict[str, Any]:
    """What a generate job carries: its chunk (text included, so a claimed job needs no
    re-chunking) and request key; the text goes once the job is finished."""
    return {
        "key": key,
        "run": run_id,
        "document_id": item.document_id,
        "document_sha256": item.document_sha256,
        "title": item.title,
        "heading": item.heading,
        "chunk": item.number,
        "start": item.start,
        "end": item.end,
        "pages": list(item.pages),
        "text": item.text,
    }


# ---- claiming -----------------------------------------------------------------------------

_RUNNABLE_SQL = (
    "SELECT j.id FROM job j JOIN document d ON d.id = j.document_id"
    " WHERE j.project_id = ? AND j.kind = ? AND j.state = ? AND j.not_before <= ?"
    " AND d.excluded = 0 AND json_extract(j.payload, '$.run') = ?"
    " ORDER BY j.priority DESC, j.id LIMIT ?"
)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    payload: dict[str, Any]


def claim(project_id: int, run_id: int, owner: str, lease_s: float, limit: int) -> list[ClaimedJob]:
    """Up to ``limit`` queued jobs of this run, leased to ``owner`` (the attempt counted)."""
    t = now()
    ids = [
        r[0]
        for r in database.execute_sql(
            _RUNNABLE_SQL, (project_id, JOB_GENERATE, JOB_QUEUED, t, run_id, limit)
        )
    ]
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    database.execute_sql(
        "UPDATE job SET state = ?, lease_owner = ?, lease_expires = ?,"
        f" attempts = attempts + 1, updated_at = ? WHERE id IN ({marks})",
        (JOB_RUNNING, owner, t + lease_s, t, *ids),
    )
    rows = database.execute_sql(f"SELECT id, payload FROM job WHERE id IN ({marks})", ids)
    by_id = {job_id: json.loads(payload) for job_id, payload in rows}
    return [ClaimedJob(i, by_id[i]) for i in ids]


def pending_jobs(project_id: int, run_id: int) -> int:
    """Jobs of this run still queued or running."""
    return database.execute_sql(
        "SELECT COUNT(*) FROM job WHERE project_id = ? AND kind = ? AND state IN (?, ?)"
        " AND json_extract(payload, '$.run') = ?",
        (project_id, JOB_GENERATE, JOB_QUEUED, JOB_RUNNING, run_id),
    ).fetchone()[0]


def release(job_ids: Iterable[int], owner: str) -> int:
    """Give jobs we hold back to the queue without counting the attempt."""
    ids = list(job_ids)
    if not ids:
        return 0
    t = now()
    n = 0
    for i in range(0, len(ids), PLAN_BATCH):
        n += (
            Job.update(
                state=JOB_QUEUED,
                lease_owner=None,
                lease_expires=None,
                attempts=Job.attempts - 1,
                updated_at=t,
            )
            .where(
                Job.id.in_(ids[i : i + PLAN_BATCH])
                & (Job.lease_owner == owner)
                & (Job.state == JOB_RUNNING)
            )
            .execute()
        )
    return n


# ---- the ledger ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A ledger row as the runner needs it."""

    id: int
    state: str
    content: str | None
    finish_reason: str | None
    error_code: str | None


def lookup(project_id: int, key: str) -> Stored | None:
    row = database.execute_sql(
        "SELECT id, state, content, finish_reason, error_code FROM generationrequest"
        " WHERE project_id = ? AND key = ?",
        (project_id, key),
    ).fetchone()
    return Stored(*row) if row else None


def begin_request(
    project_id: int,
    run_id: int,
    payload: dict[str, Any],
    key: str,
    kind: str,
    model: str,
) -> int:
    """Commit the request as ``in_flight`` before it is sent; its id."""
    t = now()
    row = database.execute_sql(
        "SELECT id FROM generationrequest WHERE project_id = ? AND key = ?", (project_id, key)
    ).fetchone()
    if row is not None:
        GenerationRequest.update(
            state=REQ_IN_FLIGHT, run=run_id, error_code=None, error_message=None, updated_at=t
        ).where(GenerationRequest.id == row[0]).execute()
        return int(row[0])
    cursor = database.execute_sql(
        "INSERT INTO generationrequest (project_id, document_id, run_id, key, kind, chunk,"
        " span_start, span_end, model, state, attempts, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            project_id,
            payload["document_id"],
            run_id,
            key,
            kind,
            payload["chunk"],
            payload["start"],
            payload["end"],
            model,
            REQ_IN_FLIGHT,
            t,
            t,
        ),
    )
    return int(cursor.lastrowid)


def take(
    project_id: int,
    run_id: int,
    payload: dict[str, Any],
    key: str,
    kind: str,
    model: str,
) -> tuple[Stored | None, int]:
    """The stored answer of ``key`` when the ledger has one (``answered`` or
    ``quarantined``: never asked again), else the request committed ``in_flight``; and the
    row's id. One trip to the database thread per request."""
    stored = lookup(project_id, key)
    if stored is not None and stored.state in (REQ_ANSWERED, REQ_QUARANTINED):
        return stored, stored.id
    return None, begin_request(project_id, run_id, payload, key, kind, model)


def record_attempts(run_id: int, attempts: list[tuple[int, Attempt]]) -> None:
    """One ``GenerationAttempt`` row per HTTP try, and the run's counters."""
    if not attempts:
        return
    t = now()
    GenerationAttempt.insert_many(
        [
            {
                "request": request_id,
                "run": run_id,
                "number": a.number,
                "status": a.status,
                "seconds": a.seconds,
                "tokens_in": a.tokens_in,
                "tokens_out": a.tokens_out,
                "error": a.error,
                "message": a.message,
                "retry_in": a.retry_in,
                "response_format": a.response_format,
                "at": t,
            }
            for request_id, a in attempts
        ]
    ).execute()
    per_request: dict[int, int] = {}
    for request_id, _ in attempts:
        per_request[request_id] = per_request.get(request_id, 0) + 1
    for request_id, n in per_request.items():
        GenerationRequest.update(attempts=GenerationRequest.attempts + n).where(
            GenerationRequest.id == request_id
        ).execute()
    add_counts(
        run_id,
        {
            "requests": len(attempts),
            "retries": sum(1 for _, a in attempts if a.error and a.error != "format_refused"),
            "tokens_in": sum(a.tokens_in or 0 for _, a in attempts),
            "tokens_out": sum(a.tokens_out or 0 for _, a in attempts),
        },
    )


def answer(request_id: int, completion: Completion, readable: bool, why: str | None) -> None:
    """Store an answer: ``answered``, or ``quarantined`` with the reason when it could not
    be read (the raw text is kept either way)."""
    t = now()
    database.execute_sql(
        "UPDATE generationrequest SET state = ?, content = ?, reasoning = ?, finish_reason = ?,"
        " response_format = ?, tokens_in = ?, tokens_out = ?, error_code = ?,"
        " error_message = ?, answered_at = ?, updated_at = ? WHERE id = ?",
        (
            REQ_ANSWERED if readable else REQ_QUARANTINED,
            completion.content,
            completion.reasoning,
            completion.finish_reason,
            completion.response_format,
            completion.tokens_in,
            completion.tokens_out,
            None if readable else "unreadable",
            why,
            t,
            t,
            request_id,
        ),
    )


def fail(request_id: int, job_id: int | None, owner: str, code: str, message: str) -> None:
    """The request failed for good: the row keeps the last error; its job fails with it."""
    t = now()
    GenerationRequest.update(
        state=REQ_FAILED, error_code=code, error_message=message, updated_at=t
    ).where(GenerationRequest.id == request_id).execute()
    if job_id is not None:
        _end_job(job_id, owner, JOB_FAILED, f"{code}: {message}", {"error": code})


def _end_job(
    job_id: int, owner: str, state: str, last_error: str | None, outcome: dict[str, Any]
) -> bool:
    """Finish a job we hold; False (nothing changed) when its lease is no longer ours."""
    row = database.execute_sql(
        "SELECT state, lease_owner, payload FROM job WHERE id = ?", (job_id,)
    ).fetchone()
    if row is None or row[0] != JOB_RUNNING or row[1] != owner:
        return False  # reclaimed by another run meanwhile: that run finishes it
    payload = json.loads(row[2])
    if state != JOB_FAILED:
        payload.pop("text", None)  # the chunk's text is in the document: keep the queue small
    payload.update(outcome)
    database.execute_sql(
        "UPDATE job SET state = ?, last_error = ?, lease_owner = NULL, lease_expires = NULL,"
        " payload = ?, updated_at = ? WHERE id = ?",
        (state, last_error, json.dumps(payload, sort_keys=True, ensure_ascii=False), now(), job_id),
    )
    return True


def quarantine_job(job_id: int, owner: str, message: str) -> None:
    _end_job(job_id, owner, JOB_QUARANTINED, message, {"quarantined": message})


@dataclass
class PairDraft:
    """A pair that passed parsing, with the per-pair gates' verdict (``gates.check_pair``)
    and the judge's, if any."""

    question: str
    answer: str
    reason_code: str | None = None
    reason: str | None = None
    support: float | None = None
    judge_score: float | None = None


@dataclass
class Completed:
    """What ``complete`` did."""

    pairs: int = 0
    kept: int = 0
    rejected: int = 0
    ids: list[int] = field(default_factory=list)


_INSERT_PAIR = (
    "INSERT INTO generatedpair (project_id, document_id, request_id, document_sha256, chunk,"
    " span_start, span_end, pages, heading, question, answer, state, reason_code, reason,"
    " support, judge_score, model, template_version, request_key, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def complete(
    *,
    project_id: int,
    job_id: int,
    owner: str,
    payload: dict[str, Any],
    request_id: int,
    request_key: str,
    model: str,
    template_version: str,
    drafts: list[PairDraft],
    index: QuestionIndex,
) -> Completed:
    """The pairs of an answered request: duplicates checked against the project's kept
    questions, pairs inserted, the job done, in the caller's transaction."""
    t = now()
    out = Completed()
    held = database.execute_sql(
        "SELECT 1 FROM job WHERE id = ? AND state = ? AND lease_owner = ?",
        (job_id, JOB_RUNNING, owner),
    ).fetchone()
    if held is None:
        return out  # another run took the job over; it inserts the pairs
    pages = json.dumps(payload["pages"])
    for d in drafts:
        code, reason = d.reason_code, d.reason
        if code is None:
            dup = index.check(d.question)
            if dup is not None:
                code, reason = ("duplicate" if dup.exact else "near_duplicate"), dup.reason()
        state = PAIR_KEPT if code is None else PAIR_REJECTED
        pair_id = database.execute_sql(
            _INSERT_PAIR,
            (
                project_id,
                payload["document_id"],
                request_id,
                payload["document_sha256"],
                payload["chunk"],
                payload["start"],
                payload["end"],
                pages,
                payload["heading"] or None,
                d.question,
                d.answer,
                state,
                code,
                reason,
                d.support,
                d.judge_score,
                model,
                template_version,
                request_key,
                t,
                t,
            ),
        ).lastrowid
        out.ids.append(pair_id)
        out.pairs += 1
        if state == PAIR_KEPT:
            out.kept += 1
            index.add(d.question, pair_id)
        else:
            out.rejected += 1
    _end_job(
        job_id,
        owner,
        JOB_DONE,
        None,
        {"pairs": out.pairs, "kept": out.kept, "rejected": out.rejected},
    )
    return out


def load_index(project_id: int, threshold: float) -> QuestionIndex:
    """The project's kept and edited questions, for the duplicate gate."""
    index = QuestionIndex(threshold)
    last = 0
    while True:
        rows = list(
            GeneratedPair.select(GeneratedPair.id, GeneratedPair.question)
            .where(
                (GeneratedPair.project == project_id)
                & GeneratedPair.state.in_((PAIR_KEPT, PAIR_EDITED))
                & (GeneratedPair.id > last)
            )
            .order_by(GeneratedPair.id)
            .limit(2000)
            .tuples()
        )
        if not rows:
            return index
        for pair_id, question in rows:
            index.add(question, pair_id)
        last = rows[-1][0]
