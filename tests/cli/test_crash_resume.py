"""SIGKILL ``loratui process`` at random moments, restart it: nothing lost or duplicated."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from tests.conftest import CLI
from tests.unit.queue_docs import numbered_pdf, text_files

N_TEXTS, N_PDFS = 16, 6
N_DOCS = N_TEXTS + N_PDFS


def make_corpus(folder: Path) -> Path:
    text_files(folder, N_TEXTS)
    for i in range(N_PDFS):
        numbered_pdf(folder / f"report-{i}.pdf", 40, tag=f"report {i}")
    return folder


def stored_pages(db_path: Path) -> int:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM page").fetchone()[0]
    finally:
        db.close()


def snapshot(cli: CLI, project: str) -> dict[str, tuple]:
    rows = cli.json("files", project)
    return {r["name"]: (r["state"], r["pages"], r["chars"], r["text_sha256"]) for r in rows}


def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    settings = ("pdf_pages_per_task=5",)

    reference = CLI(tmp_path / "ref")
    reference.run("new", "p", check=True)
    reference.run("settings", "p", *settings, check=True)
    reference.run("add", "p", str(corpus), check=True)
    reference.run("process", "p", "--workers", "2", check=True)
    expected = snapshot(reference, "p")
    assert len(expected) == N_DOCS and all(v[0] == "done" for v in expected.values())

    crashy = CLI(tmp_path / "crashy")
    crashy.run("new", "p", check=True)
    crashy.run("settings", "p", *settings, check=True)
    crashy.run("add", "p", str(corpus), check=True)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    db_path = tmp_path / "crashy" / "loratui.db"
    kills = 0
    for _ in range(3):
        # kill once a random number of further pages has been committed, plus a random
        # few milliseconds: a moment in the middle of the work whatever the machine's speed
        target = stored_pages(db_path) + rng.randint(1, 30)
        proc = crashy.popen("process", "p", "--workers", "2")
        deadline = time.monotonic() + 120
        while proc.poll() is None and stored_pages(db_path) < target:
            assert time.monotonic() < deadline, "process made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        if proc.poll() is None:
            proc.kill()  # SIGKILL: no cleanup, leases left behind
            kills += 1
        proc.communicate(timeout=60)
    final = crashy.json("process", "p", "--workers", "2")
    assert final["counts"]["states"]["done"] == N_DOCS, f"seed {seed}"
    assert kills >= 1, "the machine was too fast to kill anything; raise the corpus size"

    assert snapshot(crashy, "p") == expected, f"seed {seed}"
    db = sqlite3.connect(tmp_path / "crashy" / "loratui.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_doc = db.execute(
            "SELECT d.name, d.pages, COUNT(p.id) FROM document d "
            "LEFT JOIN page p ON p.document_id = d.id GROUP BY d.id"
        ).fetchall()
        assert all(pages == stored for _name, pages, stored in per_doc), per_doc
        done_events = db.execute(
            "SELECT document_id, COUNT(*) FROM event WHERE kind = 'document.done' "
            "GROUP BY document_id"
        ).fetchall()
        assert len(done_events) == N_DOCS and all(n == 1 for _d, n in done_events)
        leftover = db.execute(
            "SELECT COUNT(*) FROM job WHERE state != 'done' OR lease_owner IS NOT NULL"
        ).fetchone()[0]
        assert leftover == 0
    finally:
        db.close()
