"""The export form's live sample: the first records an export would write, and an estimate.

Runs the real pipeline on the first documents only; the totals are estimated from the
documents' stored sizes so the form stays responsive on a large project.
"""

from __future__ import annotations

import math
from typing import Any

from loratui.core.export.config import ExportConfig
from loratui.core.export.pipeline import RECORDS_KIND, Pipeline, select_documents, text_chars
from loratui.core.store.models import Document, Project


def preview_records(
    project: Project, cfg: ExportConfig, limit: int = 5
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The first ``limit`` records an export under ``cfg`` would write, and an estimate.

    The estimate (``documents``, ``records``, ``tokens``, ``exact: False``) comes from the
    documents' stored sizes, not a full run: records ~ tokens / (chunk - overlap) for text
    documents, and the row count for records files (counted from lines or size).
    """
    pipeline = Pipeline(cfg)
    docs = select_documents(project, cfg)
    sample: list[dict[str, Any]] = []
    try:
        for doc in docs:
            if len(sample) >= limit:
                break
            for rec in pipeline.records(doc):
                sample.append(rec.data)
                if len(sample) >= limit:
                    break
    finally:
        pipeline.close()
    step = max(1, cfg.chunk_tokens - cfg.chunk_overlap)
    est_records = 0
    est_tokens = 0
    chars = text_chars([d for d in docs if d.kind != RECORDS_KIND])
    for d in docs:
        if d.kind == RECORDS_KIND:
            rows = _count_rows(d)
            est_records += rows
            est_tokens += max(d.tokens or 0, (d.size or 0) // 4)
        else:
            t = d.tokens or math.ceil((d.chars or chars.get(d.id, 0)) / 4)
            est_tokens += t
            est_records += max(1, math.ceil(t / step)) if t else 0
    return sample, {
        "documents": len(docs),
        "records": est_records,
        "tokens": est_tokens,
        "exact": False,
        "sample_dropped": dict(pipeline.stats.dropped),
    }


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
