"""The records an export keeps (after deduplication), held on disk until the split is planned.

The split depends on how many records each document really gives (``split.plan_splits``),
known only once all are made, so the writing process first appends every kept record here,
in document order, then reads them back to write the split files. One sequential write and
read of the records: memory holds only a count per document and the kept row numbers of
records files.

The file is a sequence of pickled batches; ``batches`` says where each starts and which
records it holds (``Segment``s), so several processes can write the split files from
ranges of it (``parts``) without reading it first.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from loratui.core.export.keyed import Out
from loratui.core.store import home as home_mod

BATCH = 512


class Segment(NamedTuple):
    """Consecutive records of one document in a batch: the index (among the document's
    kept records) of the first, how many, and whether they have rows (records files: their
    rows are ``KeptRecords.rows[doc_id][row_start : row_start + n]``)."""

    doc_id: int
    first: int
    n: int
    row_start: int
    has_rows: bool


class KeptRecords:
    """Append (document, record) in order; then ``read()`` them back in the same order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = home_mod.open_private(path, "wb")
        # plain tuples (doc_id, line, tokens, lineage, row): pickling ``Out`` (a slots
        # dataclass) went through copyreg for every record, 5x the cost of a tuple
        self._batch: list[tuple[int, str, int, str, int | None]] = []
        self.counts: dict[int, int] = {}  # records kept per document
        self.rows: dict[int, list[int]] = {}  # kept rows of each records file
        self.batches: list[tuple[int, list[Segment]]] = []  # (file offset, its segments)
        self._segments: list[list[Any]] = []  # the open batch's, as Segment's fields

    def add(self, doc_id: int, rec: Out) -> None:
        index = self.counts.get(doc_id, 0)
        self.counts[doc_id] = index + 1
        has_rows = rec.row is not None
        last = self._segments[-1] if self._segments else None
        if last is not None and last[0] == doc_id and last[4] == has_rows:
            last[2] += 1
        else:
            rows_before = len(self.rows.get(doc_id, ()))
            self._segments.append([doc_id, index, 1, rows_before, has_rows])
        if has_rows:
            self.rows.setdefault(doc_id, []).append(rec.row)  # type: ignore[arg-type]
        # the duplicate keys are done with: only what the split files need is kept
        self._batch.append((doc_id, rec.line, rec.tokens, rec.lineage, rec.row))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self.batches.append((self._fh.tell(), [Segment(*f) for f in self._segments]))
            pickle.dump(self._batch, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []
            self._segments = []

    def close(self) -> None:
        """Finish writing (``read`` calls it)."""
        if not self._fh.closed:
            self._flush()
            self._fh.close()

    def read(self) -> Iterator[tuple[int, Out]]:
        """Every kept record, in the order added; the file goes once read."""
        self.close()
        try:
            yield from read_range(self.path, 0, None)
        finally:
            self.path.unlink(missing_ok=True)


def read_range(path: Path, start: int, end: int | None) -> Iterator[tuple[int, Out]]:
    """The kept records of the batches from offset ``start`` up to ``end`` (None: the end)."""
    with path.open("rb") as fh:
        fh.seek(start)
        while end is None or fh.tell() < end:
            try:
                batch = pickle.load(fh)
            except EOFError:
                return
            for doc_id, line, tokens, lineage, row in batch:
                yield doc_id, Out(line, tokens, lineage, row, None, None)
