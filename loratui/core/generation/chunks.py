"""The chunks a generation run asks about: the export's own cleaning and chunking.

Chunks come from ``export.pipeline.document_chunks`` under the project's saved export
configuration (``chunk_tokens``, ``chunk_overlap``, tokenizer, cleaning, ``tags``), so a
pair's chunk number and character span point at the same text an export of the documents
would hold. Only processed, not excluded text documents take part (records files are
training rows already). Chunks are made a document at a time: memory holds one document's
pages, whatever the project's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from loratui.core.export.config import ExportConfig
from loratui.core.export.docref import DocRef
from loratui.core.export.pipeline import document_chunks, select_documents
from loratui.core.export.records import title_of
from loratui.core.export.tokenizer import Counter, get_counter
from loratui.core.store.models import Project


@dataclass(frozen=True)
class ChunkItem:
    """One chunk with what its prompt and its pairs' provenance need."""

    document_id: int
    document_sha256: str
    title: str
    heading: str
    number: int  # the chunk's index in its document (0-based, as the export's lineage)
    start: int  # character span in the cleaned document text
    end: int
    pages: tuple[int, ...]
    text: str


def source_config(export_cfg: ExportConfig) -> ExportConfig:
    """The export configuration with ``sources`` set to text documents."""
    return export_cfg.with_changes(sources="documents")


def iter_chunks(
    project: Project, export_cfg: ExportConfig, counter: Counter | None = None
) -> Iterator[ChunkItem]:
    """Every chunk of the project's text documents, in document then chunk order."""
    cfg = source_config(export_cfg)
    counter = counter or get_counter(cfg.tokenizer)
    for doc in select_documents(project, cfg):
        ref = DocRef.of(doc)
        title = title_of(doc)
        for chunk in document_chunks(ref, cfg, counter):
            if not chunk.text.strip():
                continue
            yield ChunkItem(
                document_id=doc.id,
                document_sha256=doc.sha256,
                title=title,
                heading=chunk.heading or "",
                number=chunk.index,
                start=chunk.start,
                end=chunk.end,
                pages=tuple(chunk.pages),
                text=chunk.text,
            )
