"""The statements that run for every document stay index lookups as a project grows.

SQLite picks its plan without table statistics, so a query that reads fine can still walk
every row of a project (an index on one column chosen over a better one, an ORDER BY that
sorts every queued job). These tests read ``EXPLAIN QUERY PLAN`` on a real database and,
for the claim and the completion, count SQLite's virtual-machine steps at two project
sizes: the work per call must not grow with the tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from loratui.core.ingest import add as ingest_add
from loratui.core.jobs import queue
from loratui.core.jobs import results as job_results
from loratui.core.projects.workspace import create_project
from loratui.core.store import db
from loratui.core.store.models import DONE, Document, Job, Project


def fill(project: Project, n: int, start: int = 0, state: str = DONE) -> None:
    """``n`` documents with a job each, done (with a text digest) or queued."""
    t = 1.0
    conn = db.database.obj.connection()
    with db.write_txn():
        for i in range(start, start + n):
            cur = conn.execute(
                "INSERT INTO document (project_id, name, origin, sha256, size, state, warnings,"
                " pages_done, chars, tokens, text_sha256, excluded, tags, extract_seconds,"
                " created_at, updated_at) VALUES (?, ?, 'cli', ?, 1, ?, '[]', 0, 0, 0, ?, 0,"
                " '[]', 0, ?, ?)",
                (project.id, f"f{i}.txt", f"{i:064x}", state, f"t{i:063x}", t, t),
            )
            conn.execute(
                "INSERT INTO job (project_id, document_id, kind, state, priority, attempts,"
                " max_attempts, not_before, progress_done, progress_total, payload,"
                " created_at, updated_at) VALUES (?, ?, 'extract', ?, 0, 0, 3, 0, 0, 0, '{}',"
                " ?, ?)",
                (project.id, cur.lastrowid, "done" if state == DONE else "queued", t, t),
            )


def plan(sql: str, params: tuple[object, ...]) -> str:
    rows = db.database.obj.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join(row[-1] for row in rows)


def steps(sql: str, params: tuple[object, ...]) -> int:
    """SQLite virtual-machine instructions to run ``sql`` to its last row (counted in
    hundreds: the progress handler is called every 100)."""
    conn: sqlite3.Connection = db.database.obj.connection()
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn.set_progress_handler(tick, 100)
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.set_progress_handler(None, 0)
    return count


@pytest.fixture
def project(home: Path) -> Project:
    return create_project("plans")


def test_the_same_text_check_looks_the_digest_up(project: Project) -> None:
    fill(project, 20)
    got = plan(job_results._SAME_TEXT_SQL, (project.id, "t" + "0" * 63, DONE, 1))
    assert "document_project_id_text_sha256" in got, got


def test_the_claim_walks_the_index_in_its_order(project: Project) -> None:
    fill(project, 20, state="queued")
    got = plan(queue._RUNNABLE_SQL, (project.id, queue.EXTRACT, "queued", 5.0, 8))
    assert "job_runnable" in got and "TEMP B-TREE" not in got, got
    got = plan(queue._NEXT_SQL, (project.id, queue.EXTRACT, "queued"))
    assert "job_project_id_state_not_before" in got and "TEMP B-TREE" not in got, got


def test_adding_looks_each_hash_up(project: Project) -> None:
    fill(project, 20)
    sql, params = ingest_add.known_by_sha(project.id, ["a" * 64, "b" * 64]).sql()
    got = plan(sql, tuple(params))
    assert "document_project_id_sha256" in got, got


def test_work_per_call_does_not_grow_with_the_project(project: Project) -> None:
    """Ten times the documents: the same work for a claim, a next-time read, a same-text
    check and a hash lookup (before the indexes, the claim sorted every queued job and
    the same-text check read every done document)."""

    def measure() -> list[int]:
        return [
            steps(queue._RUNNABLE_SQL, (project.id, queue.EXTRACT, "queued", 5.0, 8)),
            steps(queue._NEXT_SQL, (project.id, queue.EXTRACT, "queued")),
            steps(job_results._SAME_TEXT_SQL, (project.id, "t" + "1" * 63, DONE, 1)),
            steps(*_sql(ingest_add.known_by_sha(project.id, ["c" * 64]))),
        ]

    fill(project, 300, state="queued")
    fill(project, 300, start=300)
    small = measure()
    fill(project, 3000, start=600, state="queued")
    fill(project, 3000, start=3600)
    large = measure()
    for before, after in zip(small, large, strict=True):
        assert after <= before + 2, (small, large)


def _sql(query: object) -> tuple[str, tuple[object, ...]]:
    sql, params = query.sql()  # type: ignore[attr-defined]
    return sql, tuple(params)


def test_claims_keep_their_order_and_skip_what_is_not_runnable(project: Project) -> None:
    fill(project, 6, state="queued")
    jobs = list(Job.select().where(Job.project == project).order_by(Job.id))
    Job.update(priority=5).where(Job.id == jobs[4].id).execute()
    Job.update(not_before=9e12).where(Job.id == jobs[0].id).execute()  # backing off
    Document.update(excluded=True).where(Document.id == jobs[1].document_id).execute()

    claimed = queue.claim_many(project.id, "me", 60.0, 3)

    assert [j.id for j in claimed] == [jobs[4].id, jobs[2].id, jobs[3].id]
    assert queue.next_runnable_at(project.id) == 0.0  # jobs[5] still waits, runnable now
    queue.claim_many(project.id, "me", 60.0, 5)
    assert queue.next_runnable_at(project.id) == 9e12  # only the one backing off is left
