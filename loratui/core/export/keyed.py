"""A record made ready to write: its JSON line, its lineage and its duplicate keys.

Export worker processes and the writing process both turn records into ``Out``
(``keyed``); the writer drops duplicates by their keys and hands the lines to the split
files. The JSON is rendered here once, by ``dumps``, byte for byte as the files hold it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from loratui.core.export.dedup import NearKeys, text_hash
from loratui.core.export.pipeline import Record

T = TypeVar("T")
KEY_BATCH = 256  # records keyed together (one numpy pass for their MinHash signatures)


def dumps(obj: Any) -> str:
    """One JSONL line: compact, UTF-8, key order as built (stable, so re-exports match)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class Out:
    """A record as the writer needs it: its JSON line, lineage and duplicate keys."""

    line: str  # the record's JSON object, one line
    tokens: int
    lineage: str  # the lineage JSON object without its braces
    row: int | None  # the row of a records file (its split is drawn per row)
    exact: bytes | None  # text_hash, when exact dedup is on
    near: tuple[bytes, list[int]] | None  # MinHash signature and band hashes


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of up to ``size`` (``itertools.batched`` is Python 3.12)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def keyed(records: Iterable[Record], exact: bool, near: NearKeys | None) -> Iterator[Out]:
    """``records`` with their JSON lines and duplicate keys, a batch at a time."""
    for batch in batches(records, KEY_BATCH):
        yield from _key(batch, exact, near)


def _key(batch: list[Record], exact: bool, near: NearKeys | None) -> Iterator[Out]:
    signed = near.sign([r.text for r in batch]) if near is not None else [None] * len(batch)
    for rec, sig in zip(batch, signed, strict=True):
        yield Out(
            line=dumps(rec.data),
            tokens=rec.tokens,
            lineage=dumps(rec.lineage)[1:-1],
            row=rec.lineage.get("row"),
            exact=text_hash(rec.text) if exact else None,
            near=sig,
        )
