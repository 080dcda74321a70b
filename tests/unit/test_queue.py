"""The durable queue on a real SQLite home: exclusive claims, leases, backoff, user ops."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.jobs import control as queue_control
from loratui.core.jobs import queue
from loratui.core.jobs import results as job_results
from loratui.core.projects import overview
from loratui.core.projects.workspace import create_project, update_settings
from loratui.core.store import db, owners
from loratui.core.store.models import Document, Event, Job, Page, Project


def make_docs(project: Project, n: int, kind: str = "text") -> list[Document]:
    docs = []
    for i in range(n):
        doc = Document.create(project=project, name=f"f{i}.txt", sha256=f"{i:064x}", kind=kind)
        Job.create(project=project, document=doc)
        docs.append(doc)
    return docs


def job_of(doc: Document) -> Job:
    return Job.get(Job.document == doc)


def events(project: Project, kind: str) -> list[Event]:
    return list(Event.select().where((Event.project_id == project.id) & (Event.kind == kind)))


def test_two_claimers_never_get_the_same_job(home: Path) -> None:
    p = create_project("q")
    make_docs(p, 40)
    got: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def claimer(name: str) -> None:
        try:
            while (job := queue.claim(p.id, f"owner-{name}", 60)) is not None:
                got[name].append(job.id)
        finally:
            db.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [j for ids in got.values() for j in ids]
    assert len(claimed) == 40 and len(set(claimed)) == 40
    owners = {j.lease_owner for j in Job.select()}
    assert owners <= {"owner-a", "owner-b", "owner-c"}
    assert all(j.state == "running" and j.attempts == 1 for j in Job.select())
    assert Document.select().where(Document.state == "processing").count() == 40


def test_expired_lease_and_dead_owner_are_reclaimed(home: Path) -> None:
    p = create_project("q")
    a, b, c = make_docs(p, 3)
    expired = queue.claim(p.id, owners.new_owner(), lease_s=-1)  # already expired
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_owner = f"{socket.gethostname()}:{int(proc.stdout)}:dead"
    dead = queue.claim(p.id, dead_owner, lease_s=3600)
    alive = queue.claim(p.id, owners.new_owner(), lease_s=3600)  # ours, alive: kept
    assert queue.reclaim_expired(p.id) == 2
    states = {j.id: (j.state, j.attempts, j.lease_owner) for j in Job.select()}
    assert states[expired.id] == ("queued", 0, None)
    assert states[dead.id] == ("queued", 0, None)
    assert states[alive.id][0] == "running"
    assert {e.document_id for e in events(p, "document.reclaimed")} == {a.id, b.id}
    # the reclaimed jobs can be claimed again, and the old owner can no longer write
    again = queue.claim(p.id, "new-owner", 60)
    assert again is not None and again.id == expired.id
    with pytest.raises(queue.LeaseLost):
        job_results.commit_pages(expired.id, expired.lease_owner, [(1, "x")])
    assert Page.select().count() == 0


def test_renew_keeps_only_leases_we_hold(home: Path) -> None:
    p = create_project("q")
    make_docs(p, 2)
    mine = queue.claim(p.id, "me", 5)
    theirs = queue.claim(p.id, "them", 5)
    held = queue.renew_many([mine.id, theirs.id], "me", 600)
    assert held == {mine.id}
    assert Job.get_by_id(mine.id).lease_expires > time.time() + 500
    assert not queue.renew(theirs, "me", 600)


def test_transient_errors_back_off_then_fail(home: Path) -> None:
    p = create_project("q")
    update_settings(p, {"max_attempts": 3, "backoff_base_s": 10.0})
    (doc,) = make_docs(p, 1)
    delays = []
    for attempt in (1, 2, 3):
        job = queue.claim(p.id, "w", 60)
        assert job is not None and job.attempts == attempt
        t = time.time()
        outcome = job_results.fail(job, LoratuiError("timeout"), "Traceback: boom", owner="w")
        job = Job.get_by_id(job.id)
        if attempt < 3:
            assert outcome == "retry" and job.state == "queued"
            delays.append(job.not_before - t)
            assert queue.claim(p.id, "w", 60) is None  # not before the backoff
            assert queue.next_runnable_at(p.id) == pytest.approx(job.not_before)
            Job.update(not_before=0).where(Job.id == job.id).execute()  # time passes
        else:
            assert outcome == "failed" and job.state == "failed"
    assert 9 <= delays[0] <= 11 and 18 <= delays[1] <= 22
    doc = Document.get_by_id(doc.id)
    assert (doc.state, doc.error_code) == ("failed", "timeout")
    assert doc.error_message and doc.hint
    retries = events(p, "document.retry")
    assert len(retries) == 2 and retries[0].data["traceback"] == "Traceback: boom"
    (failed,) = events(p, "document.failed")
    assert failed.level == "error" and failed.data["code"] == "timeout"
    assert failed.data["traceback"] == "Traceback: boom"


def test_permanent_error_fails_at_once(home: Path) -> None:
    p = create_project("q")
    (doc,) = make_docs(p, 1, kind="pdf")
    job = queue.claim(p.id, "w", 60)
    assert job_results.fail(job, LoratuiError("encrypted"), None, owner="w") == "failed"
    doc = Document.get_by_id(doc.id)
    assert doc.state == "failed" and doc.error_code == "encrypted" and "unlock" in doc.hint
    assert Job.get_by_id(job.id).attempts == 1
    # unlock stores the password (not in the log) and re-queues from scratch
    queue_control.unlock(p, doc, "s3cret")
    doc = Document.get_by_id(doc.id)
    assert doc.password == "s3cret" and doc.state == "queued" and doc.error_code is None
    job = Job.get_by_id(job.id)
    assert (job.state, job.attempts) == ("queued", 0)
    assert all("s3cret" not in (e.message + str(e.data)) for e in Event.select())


def test_release_does_not_count_an_attempt(home: Path) -> None:
    p = create_project("q")
    (doc,) = make_docs(p, 1)
    job = queue.claim(p.id, "w", 60)
    assert queue.release(job, "w")
    assert not queue.release(job, "w")  # no longer ours
    job = Job.get_by_id(job.id)
    assert (job.state, job.attempts, job.lease_owner) == ("queued", 0, None)
    assert Document.get_by_id(doc.id).state == "queued"


def test_pause_cancel_retry_exclude(home: Path) -> None:
    p = create_project("q")
    d1, d2, d3, d4 = make_docs(p, 4)
    queue_control.pause(p)
    assert queue.claim(p.id, "w", 60) is None and queue.next_runnable_at(p.id) is None
    assert overview.counts(p)["paused"] is True
    queue_control.resume(p)
    assert queue_control.set_excluded(p, [d1.id], True) == 1
    assert queue_control.set_excluded(p, [d1.id], True) == 0
    running = queue.claim(p.id, "w", 60)
    assert running.document_id == d2.id  # d1 is excluded
    assert queue_control.cancel(p, [d2.id, d3.id]) == 2
    with pytest.raises(queue.LeaseLost):  # the worker notices at its next commit
        job_results.commit_pages(running.id, "w", [(1, "x")])
    assert {d.id: d.state for d in Document.select()} == {
        d1.id: "queued",
        d2.id: "cancelled",
        d3.id: "cancelled",
        d4.id: "queued",
    }
    nxt = queue.claim(p.id, "w", 60)
    assert nxt.document_id == d4.id
    job_results.fail(nxt, LoratuiError("corrupt"), owner="w")
    assert queue_control.retry(p) == 1  # failed only: d4
    assert Document.get_by_id(d4.id).state == "queued"
    assert queue_control.retry(p, [d2.id], failed_only=False) == 1  # a cancelled one, on request
    assert queue_control.set_excluded(p, [d1.id], False) == 1
    claimed = {queue.claim(p.id, "w", 60).document_id for _ in range(3)}
    assert claimed == {d1.id, d2.id, d4.id}
    c = overview.counts(p)
    assert c["states"]["processing"] == 3 and c["states"]["cancelled"] == 1
    assert c["documents"] == 4 and c["excluded"] == 0
    kinds = {e.kind for e in Event.select().where(Event.project_id == p.id)}
    assert {
        "queue.paused",
        "queue.resumed",
        "document.cancelled",
        "document.retried",
        "document.excluded",
        "document.included",
    } <= kinds


def test_pages_upsert_and_complete_is_idempotent(home: Path) -> None:
    p = create_project("q")
    (doc,) = make_docs(p, 1, kind="pdf")
    job = queue.claim(p.id, "w", 60)
    job_results.set_total(job, "w", 3)
    assert job_results.commit_pages(job, "w", [(1, "one"), (2, "two")]) == 2
    assert job_results.commit_pages(job, "w", [(2, "two"), (1, "one")]) == 2  # a re-run range
    done = job_results.complete(job, "w", [(3, "three")], 3, 0.5)
    assert (done.state, done.pages, done.chars) == ("done", 3, len("onetwothree"))
    assert done.text_sha256 and done.tokens > 0
    again = job_results.complete(job, "w", [(3, "three")], 3, 0.5)  # a duplicate run
    assert again.state == "done"
    rows = [(pg.number, pg.text) for pg in Page.select().order_by(Page.number)]
    assert rows == [(1, "one"), (2, "two"), (3, "three")]
    assert len(events(p, "document.done")) == 1
    assert Job.get_by_id(job.id).state == "done"


def test_complete_refuses_missing_pages(home: Path) -> None:
    p = create_project("q")
    make_docs(p, 1, kind="pdf")
    job = queue.claim(p.id, "w", 60)
    with pytest.raises(LoratuiError) as err:
        job_results.complete(job, "w", [(1, "a"), (3, "c")], 3)
    assert "missing" in err.value.message
    assert Job.get_by_id(job.id).state == "running"
