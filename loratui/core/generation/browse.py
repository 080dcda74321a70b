"""What the pairs browser reads besides the pairs: the documents that have pairs, and the
chunk a pair was made from.

A pair keeps its chunk's number and character span, not its text (the job's copy goes when
the job ends), so the chunk is cut again from the document with the project's export
settings, as a run cuts it. When those settings changed since, the chunk of that number may
no longer be the one asked about: ``SourceChunk.same_span`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from loratui.core.export.config import load_config as load_export_config
from loratui.core.export.docref import DocRef
from loratui.core.export.pipeline import document_chunks
from loratui.core.export.tokenizer import get_counter
from loratui.core.generation.chunks import source_config
from loratui.core.store.models import Document, GeneratedPair, Project


@dataclass(frozen=True)
class PairDocument:
    id: int
    name: str
    pairs: int


@dataclass(frozen=True)
class SourceChunk:
    """A pair's chunk as the export cuts it now."""

    text: str
    start: int
    end: int
    pages: tuple[int, ...]
    same_span: bool  # the span the pair recorded: the chunk is the one that was asked


def pair_documents(project: Project | int) -> list[PairDocument]:
    """The project's documents that have pairs (any state), by name, with their pair count."""
    q = (
        Document.select(Document.id, Document.name, fn.COUNT(GeneratedPair.id))
        .join(GeneratedPair)
        .where(GeneratedPair.project == project)
        .group_by(Document.id)
        .order_by(Document.name, Document.id)
        .tuples()
    )
    return [PairDocument(i, name, n) for i, name, n in q]


def source_chunk(pair: GeneratedPair) -> SourceChunk | None:
    """The chunk ``pair`` was made from; ``None`` when its document has no such chunk now."""
    project = Project.get_by_id(pair.project_id)
    cfg = source_config(load_export_config(project))
    doc = Document.get_by_id(pair.document_id)
    for chunk in document_chunks(DocRef.of(doc), cfg, get_counter(cfg.tokenizer)):
        if chunk.index == pair.chunk:
            return SourceChunk(
                text=chunk.text,
                start=chunk.start,
                end=chunk.end,
                pages=tuple(chunk.pages),
                same_span=(chunk.start, chunk.end) == (pair.span_start, pair.span_end),
            )
        if chunk.index > pair.chunk:
            break
    return None
