"""Records files (JSONL, JSON, CSV): text named so, checked to parse (``extract/records.py``).

The stored text is the decoded file, one page; the export reads the rows again from the
stored original.
"""

from __future__ import annotations

from loratui.core.extract.kinds.base import Limits, Probe, WholeDocument


class RecordsKind(WholeDocument):
    name = "records"
    label = "a records file"
    described = "JSONL/JSON/CSV records"
    extensions = frozenset({".jsonl", ".ndjson", ".json", ".csv"})
    batch_small_files = True

    def detect(self, probe: Probe) -> bool:
        return probe.ext in self.extensions and probe.text is not None

    def check(self, probe: Probe) -> None:
        from loratui.core.extract import records

        assert probe.text is not None  # detect claimed text only
        records.check_text(probe.label, probe.text, complete=probe.complete)

    def pages(self, path: str, limits: Limits) -> list[str]:
        from loratui.core.extract import records

        return records.pages(path)


KIND = RecordsKind()
