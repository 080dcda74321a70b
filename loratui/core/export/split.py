"""Which split each record of an export goes to, and the split files it is written into.

The split is planned once every record is made and deduplicated (``kept.KeptRecords`` holds
them until then), from how many records each document really gave, so the validation share
is the one asked for, within ``TOLERANCE``:

- text documents go whole to one split (never one document in both), a seeded shuffle of
  them filled first-fit into the validation budget, trying a few orders;
- when no choice of whole documents lands within the tolerance (one huge document, two
  documents, one document), the tail of the largest remaining document, a contiguous range
  of its chunks, goes to validation: lineage says which chunks went where, and the manifest
  lists the document;
- rows of a records file are independent examples: the ``round(fraction x rows)`` rows with
  the lowest seeded hash go to validation;
- when the export has too few records for the share (one record is more than the
  tolerance), the nearest count is taken and the plan says why.

``SplitFiles`` holds the open ``train.jsonl`` / ``validation.jsonl`` / ``lineage.jsonl`` of
one export and counts what went into them.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from loratui.core.export.keyed import Out
from loratui.core.export.pipeline import RECORDS_KIND
from loratui.core.store import home as home_mod
from loratui.core.store.models import Document

TOLERANCE = 0.03  # the validation share may be this far from the setting (3 points)
ORDERS = 16  # seeded document orders tried before a document is split


def row_key(seed: int, doc: Document, row: int) -> bytes:
    """A row's place in the seeded order that picks validation rows."""
    return hashlib.sha256(f"{seed}:{doc.sha256}:{row}".encode()).digest()[:8]


@dataclass
class SplitPlan:
    """Where every kept record goes. Text documents: ``whole`` (their split) or ``cut`` (the
    index of their first validation record: the records before it are train); rows of
    records files: ``rows`` (the validation rows of each document)."""

    fraction: float
    whole: dict[int, str] = field(default_factory=dict)
    cut: dict[int, int] = field(default_factory=dict)
    rows: dict[int, set[int]] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=lambda: {"train": 0, "validation": 0})
    note: str | None = None  # why the share is not within the tolerance

    def split_of(self, doc_id: int, index: int, row: int | None) -> str:
        """The split of the ``index``-th kept record of a document (``row`` of a records file)."""
        if row is not None and doc_id in self.rows:
            return "validation" if row in self.rows[doc_id] else "train"
        if doc_id in self.cut:
            return "validation" if index >= self.cut[doc_id] else "train"
        return self.whole.get(doc_id, "train")

    @property
    def achieved(self) -> float:
        total = self.records["train"] + self.records["validation"]
        return self.records["validation"] / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The manifest's ``split`` entry (the documents split by range are added there)."""
        return {
            "validation_fraction": self.fraction,
            "achieved": round(self.achieved, 4),
            "tolerance": TOLERANCE,
            "records": dict(self.records),
            "by": "document and chunk range" if self.cut else "document",
            "note": self.note,
        }


def describe(split: dict[str, Any]) -> str:
    """The manifest's ``split`` entry in one sentence, for the card, the CLI and the TUI."""
    if not split or not split.get("validation_fraction"):
        return "no validation split (validation_fraction 0)"
    text = (
        f"validation {split['achieved']:.1%} of records (target "
        f"{split['validation_fraction']:.0%}), whole documents"
    )
    cuts = split.get("split_documents") or []
    if cuts:
        parts = [
            f"{d['name']} split by chunk range (chunks "
            + ", ".join(f"{a}-{b} {name}" for name, (a, b) in d["chunks"].items())
            + ")"
            for d in cuts
        ]
        text += " except " + ", ".join(parts)
    if split.get("note"):
        text += f"; {split['note']}"
    return text


def plan_splits(
    docs: list[Document],
    counts: dict[int, int],
    rows: dict[int, list[int]],
    fraction: float,
    seed: int,
) -> SplitPlan:
    """The split of every kept record: ``counts`` are the records each text document kept,
    ``rows`` the kept row numbers of each records file."""
    plan = SplitPlan(fraction)
    text_docs = [d for d in docs if d.kind != RECORDS_KIND]
    d_total = sum(counts.get(d.id, 0) for d in text_docs)
    r_total = sum(len(rows.get(d.id, [])) for d in docs if d.kind == RECORDS_KIND)
    total = d_total + r_total
    plan.whole = {d.id: "train" for d in text_docs}
    if fraction <= 0 or total == 0:
        plan.records["train"] = total
        return plan
    wanted = min(total - 1, math.floor(fraction * total + 0.5))  # train is never empty
    # rows: the exact share of them, by seeded hash
    keyed = sorted(
        (row_key(seed, d, r), i, r, d.id)
        for i, d in enumerate(d for d in docs if d.kind == RECORDS_KIND)
        for r in rows.get(d.id, [])
    )
    k = min(wanted, math.floor(fraction * r_total + 0.5))
    for d in docs:
        if d.kind == RECORDS_KIND:
            plan.rows[d.id] = set()
    for _, _, r, doc_id in keyed[:k]:
        plan.rows[doc_id].add(r)
    # text documents: the rest of the validation budget
    budget = min(wanted - k, d_total)
    taken = _documents(plan, text_docs, counts, budget, TOLERANCE * total, seed)
    if taken < budget:
        taken += _cut_one(plan, text_docs, counts, budget - taken)
    plan.records = {"train": total - k - taken, "validation": k + taken}
    if abs(plan.achieved - fraction) > TOLERANCE:
        plan.note = (
            f"{total} record{'s' if total != 1 else ''} cannot be split closer to "
            f"{fraction:.0%}: the nearest is "
            f"{plan.records['validation']} in validation ({plan.achieved:.1%})"
        )
    return plan


def _documents(
    plan: SplitPlan,
    docs: list[Document],
    counts: dict[int, int],
    budget: int,
    tolerance: float,
    seed: int,
) -> int:
    """Whole documents into validation, as close to ``budget`` records as first-fit finds
    within ``tolerance`` (or exactly ``budget``); how many records went."""
    if budget <= 0:
        return 0
    low, high = min(budget - tolerance, budget), max(budget + tolerance, budget)
    base = sorted((d for d in docs if counts.get(d.id, 0) > 0), key=lambda d: (d.sha256, d.id))
    best: list[Document] = []
    best_taken = 0
    for attempt in range(ORDERS):
        order = list(base)
        random.Random(seed if attempt == 0 else f"{seed}:{attempt}").shuffle(order)
        chosen: list[Document] = []
        taken = 0
        for d in order:
            if taken >= low:
                break
            if taken + counts[d.id] <= high:
                chosen.append(d)
                taken += counts[d.id]
        if taken > best_taken:
            best, best_taken = chosen, taken
        if taken >= low:
            break
    for d in best:
        plan.whole[d.id] = "validation"
    return best_taken


def _cut_one(plan: SplitPlan, docs: list[Document], counts: dict[int, int], need: int) -> int:
    """The last ``need`` records of the largest document still in train go to validation
    (first-fit leaves only documents larger than what is missing); how many went."""
    rest = [d for d in docs if plan.whole.get(d.id) == "train" and counts.get(d.id, 0) > need]
    if not rest:
        return 0
    largest = max(rest, key=lambda d: (counts[d.id], d.sha256, -d.id))
    del plan.whole[largest.id]
    plan.cut[largest.id] = counts[largest.id] - need
    return need


class SplitFiles:
    """The open output files of one export and what has gone into them."""

    def __init__(
        self,
        folder: Path,
        with_validation: bool,
        part: str = "",
        start: dict[str, int] | None = None,
    ) -> None:
        """``part``: a suffix of the file names, for one part of the files written by one
        of several processes (``parts``), whose lines are numbered from ``start``."""
        self.folder = folder
        self.names = ["train"] + (["validation"] if with_validation else [])
        self.files: dict[str, IO[str]] = {
            s: home_mod.open_private(folder / f"{s}.jsonl{part}") for s in self.names
        }
        self.lineage = home_mod.open_private(folder / f"lineage.jsonl{part}")
        self.start = start or {}
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
        line = self.counts[split] + self.start.get(split, 0)
        self.lineage.write(
            f'{{"split":"{split}","line":{line},{out.lineage},"tokens":{out.tokens}}}\n'
        )

    def close(self, sync: bool = True) -> None:
        """Close the files (``sync``: on disk first)."""
        for fh in [*self.files.values(), self.lineage]:
            fh.flush()
            if sync:
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
