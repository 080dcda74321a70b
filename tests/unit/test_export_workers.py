"""Export worker processes: the same version, byte for byte, as one process writes."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.export import kept, parts, workers
from loratui.core.export.config import ExportConfig
from loratui.core.export.version import run_export
from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import Project
from tests.export_support import add_doc, add_records_file, page_text


def _files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.suffix == ".jsonl"}


def test_pool_writes_the_same_files_as_one_process(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = workspace.create_project("pool")
    rng = random.Random(5)
    bodies = [page_text(rng, 3) for _ in range(3)]
    add_doc(project, "a.pdf", bodies)
    add_doc(project, "copy-of-a.pdf", bodies)  # exact duplicates across documents
    edited = []
    for t in bodies:
        words = t.split(" ")
        words[5::90] = ["tweaked"] * len(words[5::90])
        edited.append(" ".join(words))
    add_doc(project, "edited-a.pdf", edited)  # near duplicates
    add_records_file(
        project,
        "qa.jsonl",
        "".join(
            json.dumps({"text": f"Row {i}: " + page_text(random.Random(i), 1)}) + "\n"
            for i in range(6)
        ),
    )
    for i in range(5):
        add_doc(project, f"doc-{i}.pdf", [page_text(rng, 4) for _ in range(3)])
    cfg = ExportConfig(chunk_tokens=96, chunk_overlap=16, validation_fraction=0.3, redact=["email"])
    one = run_export(project, cfg, workers=1)
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 0)
    feed_workers: list[int] = []
    real_items = workers.DocumentFeed.items

    def spy(self: workers.DocumentFeed, on_page):  # type: ignore[no-untyped-def]
        feed_workers.append(self.workers)
        return real_items(self, on_page)

    monkeypatch.setattr(workers.DocumentFeed, "items", spy)
    pooled = run_export(project, cfg, workers=3, force=True)
    assert feed_workers == [3], "the export ran in a pool of 3 worker processes"
    a, b = _files(Path(one.path)), _files(Path(pooled.path))
    assert a == b and set(a) == {"train.jsonl", "validation.jsonl", "lineage.jsonl"}
    ma = json.loads((Path(one.path) / "manifest.json").read_text())
    mb = json.loads((Path(pooled.path) / "manifest.json").read_text())
    for key in ("records", "dropped", "cleaning", "chunks", "rows", "tokens", "files"):
        assert ma[key] == mb[key], key
    assert ma["dropped"]["duplicate"] > 0 and ma["dropped"]["near_duplicate"] > 0
    assert ma["rows"] == 6
    lineage = [json.loads(x) for x in (Path(pooled.path) / "lineage.jsonl").open()]
    assert {x["document"] for x in lineage} >= {"a.pdf", "qa.jsonl", "doc-4.pdf"}
    assert "copy-of-a.pdf" not in {x["document"] for x in lineage}

    # the workers write the split files in parts (small batches: documents and records
    # files span parts), the writer joins them: the same bytes with 2 and 3 workers
    monkeypatch.setattr(kept, "BATCH", 7)
    joins = _count_joins(monkeypatch)
    for n, per_worker in ((2, 8), (3, 8), (2, 1)):  # 1: several documents to a task
        monkeypatch.setattr(workers, "TASKS_PER_WORKER", per_worker)
        joined = run_export(project, cfg, workers=n, force=True)
        assert joins[-1] >= 2, "the files were written in parts"
        assert _files(Path(joined.path)) == a, n
        mj = json.loads((Path(joined.path) / "manifest.json").read_text())
        for key in ("records", "documents", "split", "tokens", "files", "eval_left_out"):
            assert ma[key] == mj[key], (n, key)


def _count_joins(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of parts of each join of part files (in the writing process)."""
    seen: list[int] = []
    real = parts.join

    def spy(results, tasks, *args):  # type: ignore[no-untyped-def]
        seen.append(len(tasks))
        return real(results, tasks, *args)

    monkeypatch.setattr(parts, "join", spy)
    return seen


def test_parts_keep_a_document_cut_in_two(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One long document and two short ones: the long one's tail goes to validation. The
    long one is done in the writing process (over ``HUGE_DOC_CHARS``), so its records are
    in the kept file's small batches and span several parts; the short ones come from the
    workers' own files. Lines, chunk ranges and files are those of one process."""
    project = workspace.create_project("cut")
    rng = random.Random(9)
    add_doc(project, "long.pdf", [page_text(rng, 6) for _ in range(12)])
    add_doc(project, "short.pdf", [page_text(rng, 1)])
    add_doc(project, "short-2.pdf", [page_text(rng, 1)])
    cfg = ExportConfig(chunk_tokens=64, chunk_overlap=8, validation_fraction=0.2)
    one = run_export(project, cfg, workers=1)
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(workers, "HUGE_DOC_CHARS", 5000)
    monkeypatch.setattr(kept, "BATCH", 5)
    joins = _count_joins(monkeypatch)
    three = run_export(project, cfg, workers=3, force=True)
    assert joins == [3]
    assert _files(Path(one.path)) == _files(Path(three.path))
    m1 = json.loads((Path(one.path) / "manifest.json").read_text())
    m3 = json.loads((Path(three.path) / "manifest.json").read_text())
    assert m1["split"]["split_documents"], "the long document was cut in two"
    assert m1["split"] == m3["split"] and m1["documents"] == m3["documents"]


def _pooled_project(name: str, docs: int, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project of ``docs`` documents whose exports use the pool and report every page."""
    project = workspace.create_project(name)
    rng = random.Random(docs)
    for i in range(docs):
        add_doc(project, f"doc-{i}.pdf", [page_text(rng, 4) for _ in range(3)])
    monkeypatch.setattr(workers, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr("loratui.core.export.version.PROGRESS_EVERY_S", 0.0)
    return project


def _forkserver_children() -> set[int]:
    import psutil

    found = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            parent = proc.parent()
            if parent is not None and "forkserver" in " ".join(parent.cmdline()):
                found.add(proc.pid)
        except psutil.NoSuchProcess:
            continue
    return found


def _failed_export(project: Project, on_progress: Callable[[int, int, str], None]) -> LoratuiError:
    """Export ``project`` with two workers, expecting ``on_progress`` to make it fail; the
    error, once nothing (no version, no temporary folder) is left in the exports folder."""
    with pytest.raises(LoratuiError) as exc:
        run_export(project, ExportConfig(chunk_tokens=96, chunk_overlap=16), on_progress, workers=2)
    assert list(folders.exports_dir(project).iterdir()) == []
    return exc.value


def test_cancel_stops_the_pool_and_leaves_no_version(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loratui.core.store.models import Job

    project = _pooled_project("pool-cancel", 12, monkeypatch)
    before = _forkserver_children()  # other tests' pools may have left some
    calls: list[int] = []

    def stop_after_a_few(done: int, total: int, message: str) -> None:
        calls.append(done)
        if len(calls) == 3:
            raise LoratuiError("cancelled", "stopped by the user")

    assert _failed_export(project, stop_after_a_few).code == "cancelled"
    assert Job.get(Job.kind == "export").state == "cancelled"
    # the pool's workers are gone: nothing new is left under the forkserver (which stays,
    # with the resource tracker, to serve later pools)
    assert _forkserver_children() <= before


def test_a_worker_that_dies_fails_the_export_with_a_hint(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil

    from loratui.core.store.models import Job

    project = _pooled_project("pool-crash", 40, monkeypatch)
    before = _forkserver_children()  # other tests' pools may have left some
    killed: list[int] = []

    def kill_the_workers(done: int, total: int, message: str) -> None:
        if killed:
            return
        for pid in _forkserver_children() - before:
            with contextlib.suppress(psutil.NoSuchProcess):  # the pool may end the others
                psutil.Process(pid).kill()  # as the kernel's out-of-memory killer would
                killed.append(pid)

    error = _failed_export(project, kill_the_workers)
    assert killed, f"the export workers were found and killed ({error!r})"
    assert error.code == "crashed" and "--workers 1" in error.hint
    assert Job.get(Job.kind == "export").state == "failed"
    assert (
        run_export(project, ExportConfig(chunk_tokens=96, chunk_overlap=16), workers=2).number == 1
    )


def test_default_workers_is_one_per_core_without_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fixed cap below the core count (it was 8): the text in flight is bounded anyway."""
    import os

    monkeypatch.delenv("LORATUI_EXPORT_WORKERS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    assert workers.default_workers() == 32
    monkeypatch.setenv("LORATUI_EXPORT_WORKERS", "3")
    assert workers.default_workers() == 3
