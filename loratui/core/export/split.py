"""Which split each record of an export goes to, and the split files it is written into.

Text documents are split whole (never one document across train and validation); rows of
a records file are split one by one. ``SplitFiles`` holds the open ``train.jsonl`` /
``validation.jsonl`` / ``lineage.jsonl`` of one export and counts what went into them.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from array import array
from collections import Counter
from pathlib import Path
from typing import IO, Any

from loratui.core.export.keyed import Out
from loratui.core.export.pipeline import RECORDS_KIND
from loratui.core.store import home as home_mod
from loratui.core.store.models import Document


def assign_splits(
    docs: list[Document], fraction: float, seed: int, sizes: dict[int, int] | None = None
) -> dict[int, str]:
    """Split text documents by document, never one document across both splits.

    A seeded shuffle of the documents (ordered by sha256 first, so ids don't matter) goes to
    validation until those documents hold ``fraction`` of the text (by characters, from
    ``sizes``; one each when unknown); at least one document goes each way when there are
    two or more.
    """
    text_docs = sorted((d for d in docs if d.kind != RECORDS_KIND), key=lambda d: (d.sha256, d.id))
    out = {d.id: "train" for d in docs}
    if fraction <= 0 or len(text_docs) < 2:
        return out
    order = list(text_docs)
    random.Random(seed).shuffle(order)
    weight = {d.id: max(1, (sizes or {}).get(d.id, 1)) for d in order}
    target = fraction * sum(weight.values())
    taken = 0
    for d in order[:-1]:  # the last one always stays in train
        if taken >= target:
            break
        out[d.id] = "validation"
        taken += weight[d.id]
    return out


def row_split(doc: Document, row: int, fraction: float, seed: int) -> str:
    """Rows of a records file are independent examples: each is split on its own hash."""
    if fraction <= 0:
        return "train"
    h = hashlib.sha256(f"{seed}:{doc.sha256}:{row}".encode()).digest()
    return "validation" if int.from_bytes(h[:8], "big") / 2**64 < fraction else "train"


class SplitFiles:
    """The open output files of one export and what has gone into them."""

    def __init__(self, folder: Path, with_validation: bool) -> None:
        self.folder = folder
        self.names = ["train"] + (["validation"] if with_validation else [])
        self.files: dict[str, IO[str]] = {
            s: home_mod.open_private(folder / f"{s}.jsonl") for s in self.names
        }
        self.lineage = home_mod.open_private(folder / "lineage.jsonl")
        self.counts: Counter[str] = Counter()
        self.token_hist: Counter[int] = Counter()
        self.tokens = 0
        # each line's token count (4 bytes a record), so the check need not tokenize again
        self.line_tokens: dict[str, array[int]] = {s: array("I") for s in self.names}

    def write(self, split: str, out: Out) -> None:
        """One record, already rendered as JSON (``keyed.keyed``), and its lineage line."""
        self.files[split].write(out.line + "\n")
        self.counts[split] += 1
        self.token_hist[out.tokens] += 1
        self.line_tokens[split].append(out.tokens)
        self.tokens += out.tokens
        # the same bytes as dumps({"split": split, "line": n, **lineage, "tokens": t})
        self.lineage.write(
            f'{{"split":"{split}","line":{self.counts[split]},{out.lineage},'
            f'"tokens":{out.tokens}}}\n'
        )

    def close(self) -> None:
        for fh in [*self.files.values(), self.lineage]:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()


def token_stats(hist: Counter[int]) -> dict[str, Any]:
    """Total, mean and percentiles of records' token counts (``SplitFiles.token_hist``)."""
    n = sum(hist.values())
    if not n:
        return {"total": 0, "records": 0, "min": 0, "mean": 0, "p50": 0, "p95": 0, "max": 0}
    values = sorted(hist)
    total = sum(v * c for v, c in hist.items())

    def pct(p: float) -> int:
        rank = max(1, math.ceil(p * n))
        seen = 0
        for v in values:
            seen += hist[v]
            if seen >= rank:
                return v
        return values[-1]

    return {
        "total": total,
        "records": n,
        "min": values[0],
        "mean": round(total / n, 2),
        "p50": pct(0.5),
        "p95": pct(0.95),
        "max": values[-1],
    }
