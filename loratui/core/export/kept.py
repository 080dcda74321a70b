"""The records an export keeps (after deduplication), held on disk until the split is planned.

The split depends on how many records each document really gives (``split.plan_splits``),
known only once all are made, so the writing process first appends every kept record here,
in document order, then reads them back to write the split files. One sequential write and
read of the records: memory holds only a count per document and the kept row numbers of
records files.

The file is a sequence of pickled batches; ``units`` says where each starts and which
records it holds (``Segment``s), so several processes can write the split files from
ranges of it (``parts``) without reading it first. A document done by an export worker is
not copied here: the worker left its records in a file of the same batches, and its unit
names that file and the records the writer dropped from it (``add_file``).
"""

from __future__ import annotations

import os
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


class Unit(NamedTuple):
    """Kept records in order in one file: the batches from ``start`` to ``end`` (None: the
    end of the file), skipping the records at positions ``skip`` (a document's own file)."""

    path: str
    start: int
    end: int | None
    segments: list[Segment]
    skip: frozenset[int] | None
    size: int  # bytes, to cut the units into parts of about equal size


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
        self.units: list[Unit] = []  # every kept record, in order
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
            start = self._fh.tell()
            pickle.dump(self._batch, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
            end = self._fh.tell()
            segments = [Segment(*f) for f in self._segments]
            self.units.append(Unit(str(self.path), start, end, segments, None, end - start))
            self._batch = []
            self._segments = []

    def add_file(self, doc_id: int, path: str, records: int, dropped: set[int]) -> None:
        """A document's ``records`` (no rows), in its own file of batches, less those at
        the positions ``dropped``."""
        self._flush()  # the records added before it come before it
        n = records - len(dropped)
        if n <= 0:
            return
        self.counts[doc_id] = self.counts.get(doc_id, 0) + n
        segment = Segment(doc_id, 0, n, 0, False)
        size = os.path.getsize(path)
        self.units.append(Unit(path, 0, None, [segment], frozenset(dropped), size))

    def close(self) -> None:
        """Finish writing (``read`` calls it)."""
        if not self._fh.closed:
            self._flush()
            self._fh.close()

    def read(self) -> Iterator[tuple[int, Out]]:
        """Every kept record, in the order added; the file goes once read."""
        self.close()
        try:
            for unit in self.units:
                yield from read_unit(unit)
        finally:
            self.path.unlink(missing_ok=True)


def read_unit(unit: Unit) -> Iterator[tuple[int, Out]]:
    """The kept records of one unit, in order."""
    skip = unit.skip or ()
    position = 0
    with open(unit.path, "rb") as fh:
        fh.seek(unit.start)
        while unit.end is None or fh.tell() < unit.end:
            try:
                batch = pickle.load(fh)
            except EOFError:
                return
            for doc_id, line, tokens, lineage, row in batch:
                if position not in skip:
                    yield doc_id, Out(line, tokens, lineage, row, None, None)
                position += 1
