"""What an export would write, before it runs: the first records and an estimate.

The estimate runs the export's own pipeline (the format, the templates, the filters and
deduplication), so it counts what that format and template really make of the documents:
the records, the tokens, and every chunk or row that would be dropped, with the reason. Up
to ``EXACT_CHARS`` of text (and ``EXACT_ROWS`` rows of records files) it runs on everything
and the figures are exact, the split included; beyond, it runs on a spread of documents
(``SAMPLE_CHARS`` of text, ``SAMPLE_ROWS`` rows per records file) and scales up, so the form
stays responsive on a large project. ``warnings`` say before running when most chunks
would be dropped and why, and when the export would only repeat an existing version.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from loratui.core.export.config import ExportConfig
from loratui.core.export.pipeline import (
    RECORDS_KIND,
    Pipeline,
    Record,
    select_documents,
    text_chars,
)
from loratui.core.export.reuse import find_identical
from loratui.core.export.split import plan_splits
from loratui.core.store.models import Document, Project

EXACT_CHARS = 1_000_000  # up to this much text, the estimate runs on every document
EXACT_ROWS = 20_000  # and up to this many rows of records files
SAMPLE_CHARS = 300_000  # beyond, on a spread of documents holding about this much text
SAMPLE_ROWS = 2_000  # and this many rows of each records file
MOST = 0.5  # a warning when more than this share of chunks and rows would be dropped

# why each drop reason happens, in words a user can act on
DROP_REASONS = {
    "no_previous": "a document's first chunk has no {previous} and first_user_template is "
    "empty: set first_user_template, or use a template without {previous}",
    "too_long": "longer than max_seq_len: raise max_seq_len or use overlength=split",
    "min_chars": "shorter than min_chars",
    "max_chars": "longer than max_chars",
    "min_tokens": "fewer tokens than min_tokens",
    "max_tokens": "more tokens than max_tokens",
    "duplicate": "the same text as a record before it (dedup_exact)",
    "near_duplicate": "nearly the same text as a record before it (dedup_near, near_threshold)",
    "empty": "a required field is empty after the template",
    "bad_row": "rows of a records file that are not an example",
    "missing_column": "rows without a column named in columns",
    "no_columns": "rows whose columns map to nothing: set columns",
}


def drop_reason(code: str) -> str:
    """Why records are dropped as ``code``, in words."""
    if code.startswith("not_"):
        return "rows that are not a conversation this format can hold (user first, assistant last)"
    return DROP_REASONS.get(code, code)


@dataclass
class _Run:
    """What the pipeline made of the documents it was run on."""

    records: Counter[int] = field(default_factory=Counter)  # per document
    rows: dict[int, list[int]] = field(default_factory=dict)  # kept rows per records file
    rows_read: Counter[int] = field(default_factory=Counter)  # rows read per records file
    tokens: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)


def preview_records(
    project: Project, cfg: ExportConfig, limit: int = 5
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The first ``limit`` records an export under ``cfg`` would write, and an estimate:
    ``documents``, ``records``, ``train``, ``validation``, ``tokens``, ``exact`` (whether
    every document was run), ``chunks``, ``rows``, ``dropped`` ({reason: n}),
    ``identical_to`` (the version the export would reuse, or ``None``) and ``warnings``."""
    pipeline = Pipeline(cfg)
    docs = select_documents(project, cfg)
    chars = text_chars([d for d in docs if d.kind != RECORDS_KIND])
    total_chars = sum(chars.values())
    rows_total = {d.id: _count_rows(d) for d in docs if d.kind == RECORDS_KIND}
    exact = total_chars <= EXACT_CHARS and sum(rows_total.values()) <= EXACT_ROWS
    spread = set() if exact else _spread(docs, chars)
    chosen: list[Document] = []
    run = _Run()
    try:
        for doc in docs:  # in order: the sample shown is the export's first records
            if exact or doc.id in spread or len(run.sample) < limit:
                _run_document(pipeline, doc, run, limit, None if exact else SAMPLE_ROWS)
                chosen.append(doc)
    finally:
        pipeline.close()
    stats = pipeline.stats
    if exact:
        records = sum(run.records.values())
        dropped = dict(stats.dropped)
        tokens, chunks, rows = run.tokens, stats.chunks, stats.rows
        plan = plan_splits(docs, dict(run.records), run.rows, cfg.validation_fraction, cfg.seed)
        train, validation = plan.records["train"], plan.records["validation"]
        split_note = plan.note
    else:
        scale = _Scale(docs, chosen, chars, rows_total, run)
        records = scale.records()
        dropped = {k: scale.of(v) for k, v in stats.dropped.items()}
        tokens = scale.of(run.tokens)
        chunks, rows = scale.of(stats.chunks), sum(rows_total.values())
        validation = math.floor(cfg.validation_fraction * records + 0.5) if records > 1 else 0
        train, split_note = records - validation, None
    same = (
        find_identical(project, cfg.config_hash(), docs, pipeline.counter.fingerprint)
        if docs
        else None
    )
    estimate = {
        "documents": len(docs),
        "records": records,
        "train": train,
        "validation": validation,
        "tokens": tokens,
        "exact": exact,
        "chunks": chunks,
        "rows": rows,
        "dropped": dict(sorted(dropped.items())),
        "identical_to": same.number if same is not None else None,
    }
    estimate["warnings"] = _warnings(estimate, split_note)
    return run.sample, estimate


def _run_document(
    pipeline: Pipeline, doc: Document, run: _Run, limit: int, max_rows: int | None
) -> None:
    before = pipeline.stats.rows
    records: Iterator[Record] = pipeline.records(doc)
    for rec in records:
        run.records[doc.id] += 1
        run.tokens += rec.tokens
        if rec.lineage.get("row") is not None:
            run.rows.setdefault(doc.id, []).append(rec.lineage["row"])
        if len(run.sample) < limit:
            run.sample.append(rec.data)
        if max_rows is not None and pipeline.stats.rows - before >= max_rows:
            break
    run.rows_read[doc.id] = pipeline.stats.rows - before


def _spread(docs: list[Document], chars: dict[int, int]) -> set[int]:
    """The documents a large project's estimate runs on: every k-th text document, about
    ``SAMPLE_CHARS`` of text in all, and every records file (a bounded number of its rows)."""
    text = [d for d in docs if d.kind != RECORDS_KIND]
    total = sum(chars.get(d.id, 0) for d in text)
    step = max(1, round(total / SAMPLE_CHARS))
    return {d.id for d in docs if d.kind == RECORDS_KIND} | {d.id for d in text[::step]}


class _Scale:
    """Sampled counts scaled up: text by characters, rows by rows read."""

    def __init__(
        self,
        docs: list[Document],
        chosen: list[Document],
        chars: dict[int, int],
        rows_total: dict[int, int],
        run: _Run,
    ) -> None:
        ids = {d.id for d in chosen}
        text_all = sum(chars.get(d.id, 0) for d in docs if d.kind != RECORDS_KIND)
        text_run = sum(chars.get(d.id, 0) for d in docs if d.kind != RECORDS_KIND and d.id in ids)
        self.factor = text_all / text_run if text_run else 1.0
        self.run = run
        self.docs = docs
        self.rows_total = rows_total

    def of(self, n: int) -> int:
        return round(n * self.factor)

    def records(self) -> int:
        text = sum(n for doc_id, n in self.run.records.items() if doc_id not in self.rows_total)
        rows = 0
        for doc_id, total in self.rows_total.items():
            read = self.run.rows_read.get(doc_id, 0)
            kept = self.run.records.get(doc_id, 0)
            rows += round(total * kept / read) if read else total
        return self.of(text) + rows


def _warnings(est: dict[str, Any], split_note: str | None) -> list[str]:
    """What to read before running: most chunks dropped (and why), nothing left, a split
    that cannot reach the share, an export that would only repeat a version."""
    out: list[str] = []
    dropped = est["dropped"]
    lost = sum(dropped.values())
    made = est["records"] + lost
    if made and (lost > MOST * made or est["records"] == 0):
        top = sorted(dropped.items(), key=lambda kv: -kv[1])[:2]
        approx = "" if est["exact"] else "about "
        head = (
            "no records would be written"
            if est["records"] == 0
            else f"most chunks and rows would be dropped ({approx}{lost} of {made})"
        )
        out.append(head + ": " + "; ".join(f"{code} {n}: {drop_reason(code)}" for code, n in top))
    if split_note:
        out.append(split_note)
    if est["identical_to"] is not None:
        out.append(
            f"v{est['identical_to']} was made from the same documents with the same "
            "configuration: exporting would reuse it (--force writes a new version)"
        )
    return out


def _count_rows(doc: Document) -> int:
    from loratui.core.ingest import add as ingest

    path = ingest.stored_path(doc)
    try:
        with path.open("rb") as fh:
            head = fh.read(1)
            fh.seek(0)
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return 0
    return max(1, lines - (0 if head in (b"{", b"[") else 1))
