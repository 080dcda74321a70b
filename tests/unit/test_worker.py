"""The Worker with real extraction processes: ranges, resume, limits, crashes, stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from loratui.core.ingest import add as ingest
from loratui.core.jobs import control as queue_control
from loratui.core.jobs import queue
from loratui.core.jobs import results as job_results
from loratui.core.jobs.worker import Worker, WorkerUpdate
from loratui.core.jobs.worker_db import page_ranges
from loratui.core.projects.documents import page_texts
from loratui.core.projects.workspace import create_project, update_settings
from loratui.core.store.models import Document, Event, Job, Page, Project
from tests.unit.queue_docs import SLOW_ENGINE, numbered_pdf, slow_pdf, text_files


def add(project: Project, *paths: Path) -> list[Document]:
    results = ingest.add_paths(project, paths)
    return [Document.get_by_id(r.document_id) for r in results]


def fresh(doc: Document) -> Document:
    return Document.get_by_id(doc.id)


async def wait_for(cond, timeout: float = 60.0, what: str = "condition") -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def busy_worker_pid(worker: Worker, min_cpu_s: float = 0.3) -> int | None:
    """The pool process that has been extracting for at least ``min_cpu_s`` of CPU."""
    for pid in worker._pool.worker_pids() if worker._pool else []:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        if t.user + t.system >= min_cpu_s:
            return pid
    return None


def test_page_ranges_skip_what_is_stored() -> None:
    assert page_ranges(60, 25, set()) == [(1, 25), (26, 50), (51, 60)]
    assert page_ranges(60, 25, set(range(1, 26)) | {55}) == [(26, 50), (51, 60)]
    assert page_ranges(3, 25, {1, 2, 3}) == []


async def test_big_pdf_is_split_into_ranges_and_small_files_done(
    home: Path, tmp_path: Path
) -> None:
    p = create_project("w")
    update_settings(p, {"pdf_pages_per_task": 10})
    big = numbered_pdf(tmp_path / "big.pdf", 27)
    docs = add(p, big, *text_files(tmp_path / "t", 3))
    updates: list[WorkerUpdate] = []
    w = Worker(p.id, workers=2, on_update=updates.append)
    await w.run_until_idle()
    assert w.state == "stopped" and w.done == 4 and w.failed == 0
    doc = fresh(docs[0])
    assert (doc.state, doc.pages, doc.pages_done) == ("done", 27, 27)
    texts = page_texts(doc)
    assert len(texts) == 27
    assert all(f"page {n} of big" in texts[n - 1] for n in range(1, 28))
    assert doc.chars == sum(len(t) for t in texts) and doc.tokens > doc.chars // 8
    assert doc.text_sha256 and doc.extract_seconds > 0
    job = Job.get(Job.document == doc)
    assert (job.state, job.attempts, job.progress_done, job.progress_total) == ("done", 1, 27, 27)
    for i, d in enumerate(docs[1:]):
        d = fresh(d)
        assert d.state == "done" and f"line {i} of the body text." in page_texts(d)[0]
    # progress was reported on the loop, ending with done for each document
    final = {u.document_id: u for u in updates if u.document_id is not None}
    assert {d.id for d in docs} <= set(final)
    assert all(u.state == "done" for u in final.values())
    assert any(u.state == "processing" and u.pages_total == 27 for u in updates)
    (done_ev,) = Event.select().where(
        (Event.kind == "document.done") & (Event.document_id == doc.id)
    )
    assert done_ev.data["pages"] == 27 and done_ev.data["seconds"] >= 0


async def test_restart_continues_from_the_first_missing_range(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    update_settings(p, {"pdf_pages_per_task": 10})
    (doc,) = add(p, numbered_pdf(tmp_path / "resume.pdf", 25))
    # a worker that died after committing pages 1-10 (its pid is gone)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead_owner = f"{socket.gethostname()}:{gone.pid}:x"
    job = queue.claim(p.id, dead_owner, 3600)
    job_results.set_total(job, dead_owner, 25)
    job_results.commit_pages(
        job, dead_owner, [(n, f"kept from the first run {n}") for n in range(1, 11)]
    )
    assert fresh(doc).state == "processing"
    await Worker(p.id, workers=2).run_until_idle()
    doc = fresh(doc)
    texts = page_texts(doc)
    assert doc.state == "done" and len(texts) == 25
    assert texts[:10] == [f"kept from the first run {n}" for n in range(1, 11)]  # not redone
    assert all(f"page {n} of resume" in texts[n - 1] for n in range(11, 26))
    assert Job.get_by_id(job.id).attempts == 1  # the reclaim did not count an attempt
    assert Page.select().where(Page.document == doc.id).count() == 25


async def test_hanging_extraction_times_out_and_the_run_goes_on(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    update_settings(p, {"task_timeout_s": 1.0, "max_attempts": 1, **SLOW_ENGINE})
    slow, *small = add(p, slow_pdf(tmp_path / "slow.pdf"), *text_files(tmp_path / "t", 3))
    t0 = time.monotonic()
    w = Worker(p.id, workers=2)
    await w.run_until_idle()
    assert time.monotonic() - t0 < 30
    slow = fresh(slow)
    assert (slow.state, slow.error_code) == ("failed", "timeout")
    assert "1 s" in slow.error_message and "task_timeout_s" in slow.hint
    assert all(fresh(d).state == "done" for d in small)


async def test_memory_limit_fails_with_memory(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    update_settings(p, {"max_worker_memory_mb": 128, "max_attempts": 1})
    big = tmp_path / "huge.txt"
    line = "a line of plain text that repeats and repeats until it is very large\n"
    with big.open("w") as fh:
        for _ in range(8):
            fh.write(line * 120_000)  # ~65 MB: decoding and returning it needs > 128 MB
    hog, *small = add(p, big, *text_files(tmp_path / "t", 2))
    await Worker(p.id, workers=1).run_until_idle()
    hog = fresh(hog)
    assert (hog.state, hog.error_code) == ("failed", "memory")
    assert "max_worker_memory_mb" in hog.hint
    assert all(fresh(d).state == "done" for d in small)


async def test_killed_worker_process_fails_crashed_and_run_goes_on(
    home: Path, tmp_path: Path
) -> None:
    p = create_project("w")
    update_settings(p, {"max_attempts": 1, **SLOW_ENGINE})
    slow, *small = add(p, slow_pdf(tmp_path / "slow.pdf"), *text_files(tmp_path / "t", 3))
    w = Worker(p.id, workers=1)
    run = asyncio.get_running_loop().create_task(w.run_until_idle())
    await wait_for(lambda: busy_worker_pid(w) is not None, what="the slow extraction to run")
    os.kill(busy_worker_pid(w), signal.SIGKILL)
    await asyncio.wait_for(run, 120)
    slow = fresh(slow)
    assert (slow.state, slow.error_code) == ("failed", "crashed")
    assert "SIGKILL" in slow.error_message
    assert all(fresh(d).state == "done" for d in small)
    failed = Event.get((Event.kind == "document.failed") & (Event.document_id == slow.id))
    assert failed.data["code"] == "crashed" and failed.level == "error"


async def test_stop_releases_in_flight_jobs_without_an_attempt(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    update_settings(p, SLOW_ENGINE)
    (slow,) = add(p, slow_pdf(tmp_path / "slow.pdf"))
    states: list[str] = []
    w = Worker(p.id, workers=1, on_update=lambda u: states.append(u.state))
    w.start()
    await wait_for(lambda: busy_worker_pid(w, 0.1) is not None, what="extraction to start")
    pid = busy_worker_pid(w, 0.1)
    await asyncio.wait_for(w.stop(), 60)
    assert w.state == "stopped" and "released" in states
    job = Job.get(Job.document == slow.id)
    assert (job.state, job.attempts, job.lease_owner) == ("queued", 0, None)
    assert fresh(slow).state == "queued"
    await wait_for(lambda: not psutil.pid_exists(pid), 30, "the pool process to end")


async def test_cancel_stops_a_running_document(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    update_settings(p, {"lease_s": 2.0, **SLOW_ENGINE})
    slow, *small = add(p, slow_pdf(tmp_path / "slow.pdf"), *text_files(tmp_path / "t", 2))
    w = Worker(p.id, workers=1)
    run = asyncio.get_running_loop().create_task(w.run_until_idle())
    await wait_for(lambda: busy_worker_pid(w, 0.1) is not None, what="extraction to start")
    assert queue_control.cancel(p, [slow.id]) == 1
    await asyncio.wait_for(run, 60)  # far sooner than the slow file would take
    assert fresh(slow).state == "cancelled"
    assert Page.select().where(Page.document == slow.id).count() == 0
    assert all(fresh(d).state == "done" for d in small)


async def test_paused_project_is_idle_and_resumes(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    docs = add(p, *text_files(tmp_path / "t", 2))
    queue_control.pause(p)
    w = Worker(p.id, workers=1)
    await w.run_until_idle()  # nothing runnable: returns at once
    assert w.processed == 0 and all(fresh(d).state == "queued" for d in docs)
    queue_control.resume(p)
    w = Worker(p.id, workers=1)
    w.start()
    await wait_for(lambda: all(fresh(d).state == "done" for d in docs), what="documents done")
    await w.stop()


async def test_same_text_in_two_encodings_is_flagged(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    text = "The same words, whatever the bytes.\n" * 30
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-16")
    a, b = add(p, tmp_path / "a.txt", tmp_path / "b.txt")
    await Worker(p.id, workers=1).run_until_idle()
    a, b = fresh(a), fresh(b)
    assert a.state == b.state == "done" and a.text_sha256 == b.text_sha256
    flagged = [d for d in (a, b) if any(w["code"] == "duplicate_text" for w in d.warnings)]
    assert len(flagged) == 1
    warn = Event.get((Event.kind == "document.warning") & (Event.document_id == flagged[0].id))
    assert warn.data["code"] == "duplicate_text"


async def test_stop_right_after_start_and_restart(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    docs = add(p, *text_files(tmp_path / "t", 3))
    w = Worker(p.id, workers=1)
    w.start()
    await asyncio.wait_for(w.stop(), 30)  # before the run even began
    assert w.state == "stopped"
    w.start()  # the same worker runs again (the TUI reopens a project)
    await wait_for(lambda: all(fresh(d).state == "done" for d in docs), what="documents done")
    await asyncio.wait_for(w.stop(), 30)
    assert w.state == "stopped"


async def test_retry_of_a_file_refused_at_ingest_detects_again(home: Path, tmp_path: Path) -> None:
    p = create_project("w")
    png = tmp_path / "photo.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (doc,) = add(p, png)
    assert (doc.state, doc.error_code, doc.kind) == ("failed", "type_mismatch", None)
    assert queue_control.retry(p) == 1
    await Worker(p.id, workers=1).run_until_idle()
    doc = fresh(doc)
    assert (doc.state, doc.error_code) == ("failed", "type_mismatch")
    assert "photo.txt" in doc.error_message  # the original name, not the stored hash
    assert Job.get(Job.document == doc.id).attempts == 1  # permanent: no retries
