"""The split files written from the kept records by several processes, in parts joined in order.

Why: once the split is planned, writing every kept record into ``train.jsonl``,
``validation.jsonl`` and ``lineage.jsonl`` and reading the files back for the trainer-style
check was about a third of the writing process's work, done while the export workers
waited: with many workers, that one process bounded the speed-up. The kept records
(``KeptRecords.units``: batches of the kept file, and the files the workers left for their
documents, less the records dropped) are cut into runs of whole units. From the plan and
the units' segments the writer knows how many lines of each split come before each run,
so each worker writes the part files of its run with the right line numbers and checks
them, and the writer joins the parts in order: the same bytes as one process writing them
all.
"""

from __future__ import annotations

import json
import shutil
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loratui.core.export.check import MAX_REPORTED, check_report
from loratui.core.export.kept import KeptRecords, Segment, Unit, read_unit
from loratui.core.export.keyed import Out
from loratui.core.export.split import SplitFiles, SplitPlan

Ranges = dict[int, dict[str, list[int]]]  # cut document -> split -> [first, last chunk]


def write_kept(
    records: Iterable[tuple[int, Out]],
    plan: SplitPlan,
    out: SplitFiles,
    per_doc: dict[int, Counter[str]],
    ranges: Ranges,
    index: Counter[int],
) -> None:
    """Write kept records into their splits; count them per document, and note the chunk
    range of each split of a document cut in two. ``index``: each document's kept records
    already written (where its next one stands)."""
    for doc_id, rec in records:
        split = plan.split_of(doc_id, index[doc_id], rec.row)
        index[doc_id] += 1
        out.write(split, rec)
        per_doc.setdefault(doc_id, Counter())[split] += 1
        if doc_id in plan.cut:
            chunk = json.loads("{" + rec.lineage + "}")["chunk"]
            span = ranges.setdefault(doc_id, {}).setdefault(split, [chunk, chunk])
            span[1] = chunk


@dataclass
class PartTask:
    """One range of the kept file for one worker."""

    units: list[Unit]  # its kept records, in order
    first: dict[int, int]  # each document's index of its first record in the range
    plan: SplitPlan  # the plan of the range's documents
    lines: dict[str, int]  # lines of each split written before the range
    folder: str
    part: str  # the part files' suffix
    with_validation: bool
    fmt: str
    max_seq_len: int | None


@dataclass
class PartResult:
    """What a worker wrote, for the writer to add up (its check: one report per split)."""

    counts: Counter[str]
    token_hist: Counter[int]
    tokens: int
    line_tokens: dict[str, array[int]]
    per_doc: dict[int, Counter[str]]
    ranges: Ranges
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)


def write_part(task: PartTask) -> PartResult:
    """In a worker: write one range's part files and check them."""
    folder = Path(task.folder)
    out = SplitFiles(folder, task.with_validation, task.part, task.lines)
    per_doc: dict[int, Counter[str]] = {}
    ranges: Ranges = {}
    try:
        records = (record for unit in task.units for record in read_unit(unit))
        write_kept(records, task.plan, out, per_doc, ranges, Counter(task.first))
    finally:
        out.close(sync=False)  # temporary: the joined files are synced
    reports = {
        s: check_report(
            folder / f"{s}.jsonl{task.part}", task.fmt, task.max_seq_len, None, out.line_tokens[s]
        )
        for s in out.names
    }
    return PartResult(
        out.counts, out.token_hist, out.tokens, out.line_tokens, per_doc, ranges, reports
    )


def _counts(seg: Segment, plan: SplitPlan, rows: dict[int, list[int]]) -> tuple[int, int]:
    """(train, validation) lines of a segment: ``SplitPlan.split_of`` for each of its records."""
    if seg.has_rows and seg.doc_id in plan.rows:
        chosen = plan.rows[seg.doc_id]
        mine = rows[seg.doc_id][seg.row_start : seg.row_start + seg.n]
        validation = sum(1 for r in mine if r in chosen)
    elif seg.doc_id in plan.cut:
        cut = plan.cut[seg.doc_id]
        validation = seg.n - max(0, min(seg.first + seg.n, cut) - seg.first)
    else:
        validation = seg.n if plan.whole.get(seg.doc_id, "train") == "validation" else 0
    return seg.n - validation, validation


def tasks(
    kept: KeptRecords,
    plan: SplitPlan,
    parts: int,
    folder: Path,
    with_validation: bool,
    fmt: str,
    max_seq_len: int | None,
) -> list[PartTask]:
    """The kept records cut into up to ``parts`` runs of whole units, about equal in size."""
    kept.close()
    units = kept.units
    total = sum(u.size for u in units) or 1
    groups: list[list[Unit]] = [[]]
    done = 0
    for unit in units:
        if groups[-1] and done >= total * len(groups) // parts:
            groups.append([])
        groups[-1].append(unit)
        done += unit.size
    out: list[PartTask] = []
    lines = {"train": 0, "validation": 0}
    for p, group in enumerate(g for g in groups if g):
        segments = [seg for unit in group for seg in unit.segments]
        first: dict[int, int] = {}
        for seg in segments:
            first.setdefault(seg.doc_id, seg.first)
        sub = SplitPlan(
            plan.fraction,
            whole={d: s for d, s in plan.whole.items() if d in first},
            cut={d: c for d, c in plan.cut.items() if d in first},
            rows={d: r for d, r in plan.rows.items() if d in first},
        )
        out.append(
            PartTask(
                group,
                first,
                sub,
                dict(lines),
                str(folder),
                f".part{p:04d}",
                with_validation,
                fmt,
                max_seq_len,
            )
        )
        for seg in segments:
            train, validation = _counts(seg, plan, kept.rows)
            lines["train"] += train
            lines["validation"] += validation
    return out


def join(
    results: list[PartResult],
    part_tasks: list[PartTask],
    out: SplitFiles,
    per_doc: dict[int, Counter[str]],
    ranges: Ranges,
) -> dict[str, dict[str, Any]]:
    """Append the parts to ``out``'s files in order and add up what each wrote; return the
    check of each split file, from the parts' checks."""
    for name, fh in [*((s, out.files[s]) for s in out.names), ("lineage", out.lineage)]:
        fh.flush()
        for task in part_tasks:
            part = Path(task.folder) / f"{name}.jsonl{task.part}"
            with part.open("rb") as src:
                shutil.copyfileobj(src, fh.buffer, 1 << 20)  # type: ignore[attr-defined]
            part.unlink()
        fh.buffer.flush()  # type: ignore[attr-defined]
    reports: dict[str, dict[str, Any]] = {}
    for s in out.names:
        problems: list[dict[str, Any]] = []
        total = 0
        for task, result in zip(part_tasks, results, strict=True):
            report = result.reports[s]
            # a part may be empty (no validation records in its range): not a problem
            listed = [p for p in report["problems"] if p["code"] not in ("empty_file", "truncated")]
            empties = sum(1 for p in report["problems"] if p["code"] == "empty_file")
            total += report["problem_count"] - empties
            for p in listed:
                if p["line"]:
                    p = {**p, "line": p["line"] + task.lines[s]}
                problems.append(p)
        reports[s] = {"problems": problems[:MAX_REPORTED], "problem_count": total}
    for result in results:
        out.counts.update(result.counts)
        out.token_hist.update(result.token_hist)
        out.tokens += result.tokens
        for s in out.names:
            out.line_tokens[s].extend(result.line_tokens[s])
        for doc_id, counts in result.per_doc.items():
            per_doc.setdefault(doc_id, Counter()).update(counts)
        for doc_id, spans in result.ranges.items():
            mine = ranges.setdefault(doc_id, {})
            for split, (first, last) in spans.items():
                if split in mine:
                    mine[split][1] = last
                else:
                    mine[split] = [first, last]
    return reports
