"""Small files share pool tasks: same text, same errors, each on the file that caused it."""

from __future__ import annotations

import asyncio
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from loratui.core import extract
from loratui.core.errors import LoratuiError
from loratui.core.ingest import add as ingest
from loratui.core.jobs import batches as look_batches
from loratui.core.jobs.pool import ExtractionPool
from loratui.core.jobs.worker import Worker
from loratui.core.projects.documents import page_texts
from loratui.core.projects.workspace import create_project, update_settings
from loratui.core.store.models import Document
from tests.unit.docmakers import make_docx
from tests.unit.queue_docs import text_files


def test_only_small_non_pdf_files_are_batched() -> None:
    assert look_batches.batchable("text", 10)
    assert look_batches.batchable("docx", look_batches.SMALL_FILE_BYTES)
    assert not look_batches.batchable("docx", look_batches.SMALL_FILE_BYTES + 1)
    assert not look_batches.batchable("pdf", 10)
    assert not look_batches.batchable(None, 10)  # to detect first: alone


async def test_a_batch_with_a_broken_file_fails_only_that_file(home: Path, tmp_path: Path) -> None:
    p = create_project("b")
    update_settings(p, {"max_attempts": 1})
    notes = text_files(tmp_path / "t", 5)
    paper = make_docx(tmp_path / "paper.docx")
    broken = tmp_path / "broken.docx"  # a sound zip whose document.xml does not parse
    with zipfile.ZipFile(paper) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(
                item, b"<w:document><w:body>" if item.filename == "word/document.xml" else data
            )
    results = ingest.add_paths(p, [*notes, broken, paper])
    docs = [Document.get_by_id(r.document_id) for r in results]
    assert all(look_batches.batchable(d.kind, d.size) for d in docs)
    w = Worker(p.id, workers=1)
    await w.run_until_idle()
    assert (w.done, w.failed) == (6, 1)
    by_name = {d.name: Document.get_by_id(d.id) for d in docs}
    bad = by_name["broken.docx"]
    with pytest.raises(LoratuiError) as alone:
        extract.count_pages(str(broken), "docx", None, {})
    assert (bad.state, bad.error_code, bad.error_message) == (
        "failed",
        alone.value.code,
        alone.value.message,
    )
    for path in [*notes, paper]:
        doc = by_name[path.name]
        kind = "docx" if path.suffix == ".docx" else "text"
        total = extract.count_pages(str(path), kind, None, {})
        alone = [t for _, t in extract.extract_pages(str(path), kind, 1, total, None, {})]
        assert doc.state == "done" and page_texts(doc) == alone
        assert doc.extract_seconds is not None and doc.extract_seconds >= 0


async def test_a_batch_that_times_out_is_run_again_one_file_a_task(tmp_path: Path) -> None:
    """A file that hangs (a FIFO nobody writes to) takes its batch past the time limit;
    run again alone, it times out by itself and the others come back whole."""
    fifo = tmp_path / "hangs.txt"
    os.mkfifo(fifo)
    notes = text_files(tmp_path / "t", 2)
    pool = ExtractionPool(1, task_timeout_s=1.0, max_memory_mb=0)
    calls: list[str] = []

    async def run(fn: Any, *args: Any, items: int = 1, notes: Any = None) -> Any:  # noqa: ANN401
        calls.append(f"{fn.__name__} x{items}")
        return await pool.run(fn, *args, notes=notes)

    batcher = look_batches.LookBatcher(run, {}, 25)
    looks = [(str(path), "text", path.name, None) for path in (notes[0], fifo, notes[1])]
    try:
        outcomes = await asyncio.gather(
            *(batcher.look(look) for look in looks), return_exceptions=True
        )
    finally:
        pool.close(kill=True)
    assert calls == ["first_look_many x3"] + ["first_look x1"] * 3
    assert isinstance(outcomes[1], LoratuiError) and outcomes[1].code == "timeout"
    for path, outcome in zip(notes, (outcomes[0], outcomes[2]), strict=True):
        assert not isinstance(outcome, BaseException)
        (kind, total, pages), seconds, library_notes = outcome
        assert (kind, total) == ("text", 1) and seconds >= 0 and library_notes == []
        assert pages == extract.extract_pages(str(path), "text", 1, 1, None, {})


@pytest.mark.parametrize("count", [1, look_batches.MAX_BATCH + 3])
async def test_looks_asked_together_share_tasks(tmp_path: Path, count: int) -> None:
    notes = text_files(tmp_path / "t", count)
    pool = ExtractionPool(1, task_timeout_s=60.0, max_memory_mb=0)
    calls: list[int] = []

    async def run(fn: Any, *args: Any, items: int = 1, notes: Any = None) -> Any:  # noqa: ANN401
        calls.append(items)
        return await pool.run(fn, *args, notes=notes)

    batcher = look_batches.LookBatcher(run, {}, 25)
    try:
        outcomes = await asyncio.gather(
            *(batcher.look((str(p), "text", p.name, None)) for p in notes)
        )
    finally:
        pool.close(kill=True)
    expected = [count] if count <= look_batches.MAX_BATCH else [look_batches.MAX_BATCH, 3]
    assert calls == expected
    assert [o[0][2] for o in outcomes] == [
        extract.extract_pages(str(p), "text", 1, 1, None, {}) for p in notes
    ]
