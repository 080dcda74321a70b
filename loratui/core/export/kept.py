"""The records an export keeps (after deduplication), held on disk until the split is planned.

The split depends on how many records each document really gives (``split.plan_splits``),
known only once all are made, so the writing process first appends every kept record here,
in document order, then reads them back to write the split files. One sequential write and
read of the records: memory holds only a count per document and the kept row numbers of
records files.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

from loratui.core.export.keyed import Out
from loratui.core.store import home as home_mod

BATCH = 512


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

    def add(self, doc_id: int, rec: Out) -> None:
        self.counts[doc_id] = self.counts.get(doc_id, 0) + 1
        if rec.row is not None:
            self.rows.setdefault(doc_id, []).append(rec.row)
        # the duplicate keys are done with: only what the split files need is kept
        self._batch.append((doc_id, rec.line, rec.tokens, rec.lineage, rec.row))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            pickle.dump(self._batch, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []

    def close(self) -> None:
        """Finish writing (``read`` calls it)."""
        if not self._fh.closed:
            self._flush()
            self._fh.close()

    def read(self) -> Iterator[tuple[int, Out]]:
        """Every kept record, in the order added; the file goes once read."""
        self.close()
        try:
            with self.path.open("rb") as fh:
                while True:
                    try:
                        batch = pickle.load(fh)
                    except EOFError:
                        return
                    for doc_id, line, tokens, lineage, row in batch:
                        yield doc_id, Out(line, tokens, lineage, row, None, None)
        finally:
            self.path.unlink(missing_ok=True)
