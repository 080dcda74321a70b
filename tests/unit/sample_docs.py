"""Documents for the audit/archive/purge tests: real files added through ingest.

Extraction is done in-process here (the text file's text becomes its one page, as the
text extractor gives it) so these tests need no worker processes and stay fast.
"""

from __future__ import annotations

from pathlib import Path

from loratui.core.audit import log_event
from loratui.core.extract import text_digest
from loratui.core.ingest import add as ingest
from loratui.core.store.db import write_txn
from loratui.core.store.models import DONE, JOB_DONE, Document, Job, Page, Project, now


def add_text_doc(project: Project, folder: Path, name: str, text: str) -> Document:
    """Add ``text`` as file ``name`` and store its extracted page like the worker does."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    [res] = ingest.add_paths(project, [path])
    assert res.state == "queued", res
    doc = Document.get_by_id(res.document_id)
    pages = [text]
    with write_txn():
        for n, page in enumerate(pages, start=1):
            Page.create(document=doc, number=n, text=page, chars=len(page))
        doc.state = DONE
        doc.pages = doc.pages_done = len(pages)
        doc.chars = sum(len(p) for p in pages)
        doc.text_sha256 = text_digest(pages)
        doc.finished_at = now()
        doc.save()
        Job.update(state=JOB_DONE).where(Job.document == doc).execute()
    log_event(project, "task.done", f"{name}: {len(pages)} page(s)", document=doc)
    return Document.get_by_id(doc.id)
