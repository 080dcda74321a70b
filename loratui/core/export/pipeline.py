"""The record pipeline: documents in, finished records (with lineage) out, one at a time.

Selection, cleaning, chunking, templates, records files, redaction, the length strategy,
filters and deduplication. Shared by the export (which writes every record) and the
preview (which stops after a few). Nothing here holds more than one page, one chunk or
one row at a time, apart from the dedup hashes.
"""

from __future__ import annotations

import copy
import enum
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.chunking import Chunk, Chunker, split_chunk
from loratui.core.export.cleaned_pages import PageCleaner
from loratui.core.export.config import ExportConfig
from loratui.core.export.dedup import ExactDedup, NearDedup
from loratui.core.export.docref import DocRef
from loratui.core.export.formats import Example
from loratui.core.export.pairs import SOURCE as PAIRS_SOURCE
from loratui.core.export.pairs import documents_with_pairs, pair_examples
from loratui.core.export.records import (
    RowError,
    chunk_example,
    iter_rows,
    previous_text,
    row_example,
)
from loratui.core.export.redact import Redactor
from loratui.core.export.tokenizer import Counter as TokenCounter
from loratui.core.export.tokenizer import get_counter
from loratui.core.extract.kinds.records import KIND as RECORDS
from loratui.core.store.models import DONE, Document, Page, Project

PAGE_BATCH = 64
# Documents of the records kind are training rows already: read row by row, not chunked.
RECORDS_KIND = RECORDS.name


@dataclass
class Record:
    """One finished record: the JSON object, its token count and where it came from.

    ``text`` is what the record's tokens and duplicate keys are taken from."""

    data: dict[str, Any]
    tokens: int
    lineage: dict[str, Any]
    text: str = ""


class Split(enum.Enum):
    """What ``Pipeline._finish`` answers for a chunk over ``max_seq_len`` when
    ``overlength`` is ``split``: the caller splits the chunk and makes a record of each
    piece."""

    NEEDED = "needed"


@dataclass
class Stats:
    dropped: Counter[str] = field(default_factory=Counter)
    repeated_lines_removed: int = 0
    documents_with_repeated_lines: int = 0
    chunks: int = 0
    rows: int = 0


def select_documents(project: Project, cfg: ExportConfig) -> list[Document]:
    """Done, not excluded documents of the project (with one of ``cfg.tags`` if given);
    with ``sources = "pairs"``, the text documents that have pairs to export."""
    with_pairs = documents_with_pairs(project) if cfg.sources == PAIRS_SOURCE else None
    q = Document.select().where(
        (Document.project == project) & (Document.state == DONE) & (Document.excluded == False)  # noqa: E712 - a SQL comparison
    )
    docs = []
    for d in q.order_by(Document.id):
        is_records = d.kind == RECORDS_KIND
        if cfg.sources == "documents" and is_records:
            continue
        if cfg.sources == "records" and not is_records:
            continue
        if with_pairs is not None and (is_records or d.id not in with_pairs):
            continue
        if cfg.tags and not set(cfg.tags) & set(d.tags or []):
            continue
        docs.append(d)
    return docs


def iter_pages(doc: Document | int) -> Iterator[tuple[int, str]]:
    """The pages of ``doc`` in order, read from the database a batch at a time."""
    last = 0
    while True:
        rows = list(
            Page.select(Page.number, Page.text)
            .where((Page.document == doc) & (Page.number > last))
            .order_by(Page.number)
            .limit(PAGE_BATCH)
            .tuples()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def stored_pages(doc: Document | int) -> int:
    return Page.select().where(Page.document == doc).count()


def page_counts(docs: list[Document]) -> dict[int, int]:
    """Stored pages per document id (the unit of export progress)."""
    from peewee import fn

    ids = [d.id for d in docs]
    out: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        q = (
            Page.select(Page.document, fn.COUNT(Page.id))
            .where(Page.document.in_(ids[i : i + 500]))
            .group_by(Page.document)
            .tuples()
        )
        out.update({doc_id: n for doc_id, n in q})
    return out


def text_chars(docs: list[Document]) -> dict[int, int]:
    """Characters of stored text per document id, summed in SQL from each page's ``chars``
    (``LENGTH(text)`` read and counted every character of the project: 0.1 s of the
    writing process per 20 MB)."""
    from peewee import fn

    ids = [d.id for d in docs]
    out: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        q = (
            Page.select(Page.document, fn.SUM(Page.chars))
            .where(Page.document.in_(ids[i : i + 500]))
            .group_by(Page.document)
            .tuples()
        )
        out.update({doc_id: int(n or 0) for doc_id, n in q})
    return out


class Pipeline:
    """Turns documents into records under one configuration."""

    def __init__(
        self,
        cfg: ExportConfig,
        counter: TokenCounter | None = None,
        folder: Path | None = None,
        dedup: bool = True,
    ) -> None:
        """``folder`` holds the near-duplicate index file (a private temporary folder if
        ``None``); call ``close()`` when done to remove it. With ``dedup=False`` records
        are not checked for duplicates here: the caller does it (an export does it in
        the one process that writes, in order, from keys its workers compute)."""
        self.cfg = cfg.check()
        self.format = formats.get(cfg.format)
        self.counter = counter or get_counter(cfg.tokenizer)
        self.exact = ExactDedup() if cfg.dedup_exact and dedup else None
        self.near = (
            NearDedup(cfg.near_threshold, cfg.minhash_perm, folder)
            if cfg.dedup_near and dedup
            else None
        )
        self.redactor = Redactor(cfg.redact, cfg.redact_placeholder) if cfg.redact else None
        self.stats = Stats()

    def close(self) -> None:
        """Drop the dedup state (and the near-duplicate index file)."""
        if self.near is not None:
            self.near.close()

    # ---- documents --------------------------------------------------------------------

    def records(
        self,
        doc: Document | DocRef,
        on_page: Callable[[], None] | None = None,
        pages: list[tuple[int, str]] | None = None,
    ) -> Iterator[Record]:
        """The records of ``doc``; its ``pages`` (number, text) are read from the
        database a batch at a time unless given."""
        if self.cfg.sources == PAIRS_SOURCE:
            yield from self._pair_records(DocRef.of(doc))
        elif doc.kind == RECORDS_KIND:
            yield from self._row_records(doc)
        else:
            yield from self._chunk_records(DocRef.of(doc), on_page, pages)

    def _chunk_records(
        self,
        doc: DocRef,
        on_page: Callable[[], None] | None,
        given: list[tuple[int, str]] | None,
    ) -> Iterator[Record]:
        before: Chunk | None = None
        for chunk in document_chunks(doc, self.cfg, self.counter, given, on_page, self.stats):
            yield from self._from_chunk(doc, chunk, previous_text(before, chunk))
            before = chunk

    def _from_chunk(self, doc: DocRef, chunk: Chunk, previous: str) -> Iterator[Record]:
        self.stats.chunks += 1
        try:
            ex = chunk_example(doc, chunk, previous, self.cfg)
        except RowError as exc:
            self.stats.dropped[str(exc)] += 1
            return
        lineage = chunk_lineage(doc, chunk)
        rec = self._finish(ex, lineage, splittable=True)
        if isinstance(rec, Record):
            yield rec
        elif rec is Split.NEEDED:
            budget = self.cfg.max_seq_len - self._overhead(doc, chunk, previous)
            if budget < 16:
                self.stats.dropped["too_long"] += 1
                return
            for piece_no, piece in enumerate(split_chunk(chunk, self.counter, budget), start=1):
                ex = chunk_example(doc, piece, previous, self.cfg)
                lin = chunk_lineage(doc, piece)
                lin["piece"] = piece_no
                sub = self._finish(ex, lin, splittable=False)
                if isinstance(sub, Record):
                    yield sub

    def _overhead(self, doc: DocRef, chunk: Chunk, previous: str) -> int:
        """Tokens a record adds around its chunk text (template, previous chunk)."""
        empty = Chunk("", chunk.pages, chunk.start, chunk.start, chunk.heading, chunk.index, 0)
        rec = self.format.render(chunk_example(doc, empty, previous, self.cfg))
        if rec is None:
            return 0
        return self.counter.count(self.format.record_text(rec)) + 2

    def _pair_records(self, doc: DocRef) -> Iterator[Record]:
        """One record per kept or edited pair of ``doc`` (``export.pairs``)."""
        for ex, lineage in pair_examples(doc, self.cfg.system_prompt):
            self.stats.rows += 1
            rec = self._finish(ex, lineage, splittable=False)
            if isinstance(rec, Record):
                yield rec

    def _row_records(self, doc: Document | DocRef) -> Iterator[Record]:
        assert isinstance(doc, Document), "records files are read in the writing process"
        for number, row in enumerate(iter_rows(doc), start=1):
            self.stats.rows += 1
            try:
                ex = row_example(row, self.cfg)
            except RowError as exc:
                self.stats.dropped[str(exc)] += 1
                continue
            lineage = {
                "document_id": doc.id,
                "document_sha256": doc.sha256,
                "document": doc.name,
                "pages": [],
                "chunk": None,
                "chars": None,
                "heading": None,
                "row": number,
            }
            rec = self._finish(ex, lineage, splittable=False)
            if isinstance(rec, Record):
                yield rec

    # ---- one example -> one record ----------------------------------------------------

    def _finish(
        self, ex: Example, lineage: dict[str, Any], splittable: bool
    ) -> Record | Split | None:
        """Render, redact, fit to max_seq_len, filter and dedup; ``Split.NEEDED`` asks the
        caller to split the chunk; ``None`` means dropped (counted)."""
        cfg = self.cfg
        fmt = self.format
        data = fmt.render(ex)
        if data is None:
            self.stats.dropped["not_" + fmt.name.replace("-", "_")] += 1
            return None
        if self.redactor is not None:
            data = fmt.redact(data, self.redactor)
        text = fmt.record_text(data)
        tokens = self.counter.count(text)
        if tokens > cfg.max_seq_len:
            if cfg.overlength == "split" and splittable:
                return Split.NEEDED
            if cfg.overlength == "truncate":
                data = self._truncate(data, tokens)
                if data is None:
                    self.stats.dropped["too_long"] += 1
                    return None
                text = fmt.record_text(data)
                tokens = self.counter.count(text)
            else:
                self.stats.dropped["too_long"] += 1
                return None
        if fmt.is_empty(data):
            self.stats.dropped["empty"] += 1
            return None
        chars = len(text)
        if chars < cfg.min_chars:
            self.stats.dropped["min_chars"] += 1
            return None
        if cfg.max_chars and chars > cfg.max_chars:
            self.stats.dropped["max_chars"] += 1
            return None
        if tokens < cfg.min_tokens:
            self.stats.dropped["min_tokens"] += 1
            return None
        if cfg.max_tokens and tokens > cfg.max_tokens:
            self.stats.dropped["max_tokens"] += 1
            return None
        if self.exact is not None and self.exact.is_duplicate(text):
            self.stats.dropped["duplicate"] += 1
            return None
        if self.near is not None and self.near.is_duplicate(text):
            self.stats.dropped["near_duplicate"] += 1
            return None
        return Record(data=data, tokens=tokens, lineage=lineage, text=text)

    def _truncate(self, data: dict[str, Any], tokens: int) -> dict[str, Any] | None:
        """Shorten the answer field until the record fits; ``None`` if it cannot."""
        fmt = self.format
        data = copy.deepcopy(data)
        holder, key = fmt.main_field(data)
        for _ in range(8):
            excess = tokens - self.cfg.max_seq_len
            if excess <= 0:
                return data
            value = holder[key]
            keep = self.counter.count(value) - excess - 1
            if keep <= 0:
                return None
            holder[key] = value[: self.counter.prefix_chars(value, keep)].rstrip()
            if not holder[key]:
                return None
            tokens = self.counter.count(fmt.record_text(data))
        return data if tokens <= self.cfg.max_seq_len else None


def document_chunks(
    doc: DocRef,
    cfg: ExportConfig,
    counter: TokenCounter,
    given: list[tuple[int, str]] | None = None,
    on_page: Callable[[], None] | None = None,
    stats: Stats | None = None,
) -> Iterator[Chunk]:
    """The cleaned chunks of a text document under ``cfg``, exactly as the export cuts
    them (so Q/A generation asks about the same chunks an export would write); its
    ``given`` pages (number, text) are read from the database a batch at a time unless
    given. ``on_page`` is called after each page, ``stats`` counts repeated lines and
    running heads removed. Cleaning: ``cleaned_pages``."""

    def pages() -> Iterable[tuple[int, str]]:
        return given if given is not None else iter_pages(doc.id)

    n_pages = len(given) if given is not None else stored_pages(doc.id)
    cleaner = PageCleaner(cfg)
    cleaner.scan(pages(), n_pages)
    chunker = Chunker(counter, cfg.chunk_tokens, cfg.chunk_overlap)
    for page in cleaner.pages(pages(), on_page):
        yield from chunker.add_page(page.number, page.text, continues=page.continues)
    yield from chunker.finish()
    if stats is not None:
        stats.repeated_lines_removed += cleaner.removed
        if cleaner.removed:
            stats.documents_with_repeated_lines += 1


def chunk_lineage(doc: DocRef, chunk: Chunk) -> dict[str, Any]:
    return {
        "document_id": doc.id,
        "document_sha256": doc.sha256,
        "document": doc.name,
        "pages": list(chunk.pages),
        "chunk": chunk.index,
        "chars": [chunk.start, chunk.end],
        "heading": chunk.heading,
        "row": None,
    }


def require_documents(docs: list[Document], project: Project, cfg: ExportConfig) -> None:
    if docs:
        return
    what = f" tagged {', '.join(cfg.tags)}" if cfg.tags else ""
    if cfg.sources == PAIRS_SOURCE:
        raise LoratuiError(
            "invalid",
            f"project {project.name!r} has no kept pairs{what} to export",
            f"generate them with `loratui generate {project.name!r}` (and review them with "
            f"`loratui pairs {project.name!r}`)",
        )
    raise LoratuiError(
        "invalid",
        f"project {project.name!r} has no processed documents{what} to export",
        f"add files with `loratui add {project.name!r} FILES` and run "
        f"`loratui process {project.name!r}`",
    )
