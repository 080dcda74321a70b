"""Running an export: one immutable, numbered dataset version per run.

Records stream from the pipeline straight into ``train.jsonl`` / ``validation.jsonl`` and
``lineage.jsonl`` in a temporary folder under ``PROJECT_DIR/exports``. When every record is
written and the files pass the trainer-style check, the manifest, dataset card and trainer
configs are added and the folder is renamed to ``vN`` in one step, and a ``DatasetVersion``
row records it. A crash or kill leaves only a hidden temporary folder, removed by the next
export; never a half-written ``vN``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from loratui import __version__
from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError, from_os_error
from loratui.core.export import card, parts
from loratui.core.export.check import check_report
from loratui.core.export.config import ExportConfig
from loratui.core.export.dedup import ExactDedup, NearDedup
from loratui.core.export.kept import KeptRecords
from loratui.core.export.keyed import Out, batches
from loratui.core.export.pipeline import (
    RECORDS_KIND,
    Pipeline,
    page_counts,
    require_documents,
    select_documents,
    text_chars,
)
from loratui.core.export.reuse import find_identical, record_reuse
from loratui.core.export.split import SplitFiles, SplitPlan, plan_splits, token_stats
from loratui.core.export.stale import TMP_PREFIX, clean_stale
from loratui.core.export.tokenizer import ApproxCounter
from loratui.core.export.versions import read_manifest
from loratui.core.export.workers import DocumentFeed, default_workers
from loratui.core.ingest.hashing import sha256_file
from loratui.core.store import folders
from loratui.core.store import home as home_mod
from loratui.core.store.db import write_txn
from loratui.core.store.models import (
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_RUNNING,
    DatasetVersion,
    Document,
    Job,
    Project,
    now,
)
from loratui.core.store.owners import new_owner

ProgressFn = Callable[[int, int, str], None]
# makes a version's records: DocumentFeed's arguments in, its items() out
FeedFactory = Callable[..., DocumentFeed]
LEASE_S = 600.0
PROGRESS_EVERY_S = 0.5
DEDUP_BATCH = 512  # records checked against the near-duplicate index per query
_VERSION_DIR = re.compile(r"^v(\d+)$")


class _Progress:
    def __init__(self, project: Project, job: Job, total: int, fn: ProgressFn | None) -> None:
        self.project, self.job, self.total, self.fn = project, job, total, fn
        self.done = 0
        self._last = 0.0

    def step(self, message: str = "", force: bool = False) -> None:
        self.done += 1
        self.report(message, force)

    def report(self, message: str = "", force: bool = False) -> None:
        t = time.monotonic()
        if not force and t - self._last < PROGRESS_EVERY_S:
            return
        self._last = t
        with write_txn():
            Job.update(
                progress_done=min(self.done, self.total),
                progress_total=self.total,
                lease_expires=now() + LEASE_S,
                updated_at=now(),
            ).where(Job.id == self.job.id).execute()
        if self.fn is not None:
            self.fn(min(self.done, self.total), self.total, message)


def next_number(project: Project) -> int:
    """One above both the highest recorded version and any ``vN`` folder on disk."""
    last = (
        DatasetVersion.select(DatasetVersion.number)
        .where(DatasetVersion.project == project)
        .order_by(DatasetVersion.number.desc())
        .first()
    )
    n = last.number if last else 0
    base = folders.exports_dir(project)
    if base.is_dir():
        for p in base.iterdir():
            m = _VERSION_DIR.match(p.name)
            if m:
                n = max(n, int(m.group(1)))
    return n + 1


def dataset_name(project: Project, cfg: ExportConfig) -> str:
    if cfg.dataset_name.strip():
        return cfg.dataset_name.strip()
    return re.sub(r"[^a-z0-9]+", "_", project.name.lower()).strip("_") or "dataset"


def run_export(
    project: Project,
    cfg: ExportConfig,
    on_progress: ProgressFn | None = None,
    origin: str | None = None,
    workers: int | None = None,
    force: bool = False,
    feed: FeedFactory = DocumentFeed,
) -> DatasetVersion:
    """Export ``project`` under ``cfg`` into a new version; return its ``DatasetVersion``.

    When a version made from the same documents under the same configuration (and
    tokenizer, and loratui version) exists with its files intact, a new one would hold the
    same bytes: unless ``force``, that version is returned instead, nothing is written and
    an ``export.reused`` event says so. The returned version's ``reused`` attribute tells
    which happened (``True``: an existing version); a forced export records the version it
    repeats (``identical_to`` in its ``export.done`` event).

    ``on_progress(done, total, message)`` is called (throttled) as pages and records files
    are processed; raising ``LoratuiError("cancelled")`` from it stops the export cleanly
    (no version, job ``cancelled``, an ``export.cancelled`` event). Raises ``LoratuiError``
    (``invalid`` for a bad configuration, no documents, or a file that fails the trainer
    check). ``workers`` processes make the records (``workers.default_workers()`` if
    ``None``); the files written are the same whatever their number. ``feed`` makes the
    records (``DocumentFeed``'s arguments): another engine's feed, e.g. Ray's
    (``scale.export_feed``), writes the same files.
    """
    cfg.check()
    # resolves the tokenizer before any side effect; duplicates are dropped in order below
    pipeline = Pipeline(cfg, dedup=False)
    clean_stale(project)
    docs = select_documents(project, cfg)
    require_documents(docs, project, cfg)
    same = find_identical(project, cfg.config_hash(), docs, pipeline.counter.fingerprint)
    if same is not None and not force:
        pipeline.close()
        record_reuse(project, same, origin)
        same.reused = True  # type: ignore[attr-defined] - not a column: this call's answer
        return same
    pages = page_counts(docs)
    total = sum(1 if d.kind == RECORDS_KIND else max(1, pages.get(d.id, 0)) for d in docs)
    sizes = text_chars([d for d in docs if d.kind != RECORDS_KIND])
    config_hash = cfg.config_hash()
    with write_txn():
        job = Job.create(
            project=project,
            kind="export",
            state=JOB_RUNNING,
            lease_owner=new_owner("export"),
            lease_expires=now() + LEASE_S,
            progress_total=total,
            payload={"config_hash": config_hash, "format": cfg.format, "pid": os.getpid()},
            max_attempts=1,
            attempts=1,
        )
    log_event(
        project,
        "export.started",
        f"export started: {len(docs)} documents, format {cfg.format}",
        data={
            "config_hash": config_hash,
            "documents": len(docs),
            "format": cfg.format,
            "job": job.id,
        },
        origin=origin,
    )
    base = home_mod.ensure_private_dir(folders.exports_dir(project))
    tmp = base / f"{TMP_PREFIX}{os.getpid()}-{time.time_ns()}"
    home_mod.ensure_private_dir(tmp)
    progress = _Progress(project, job, total, on_progress)
    try:
        n = workers if workers is not None else default_workers()
        version = _write_version(
            project, cfg, pipeline, docs, sizes, tmp, progress, (config_hash, same), n, feed
        )
    except BaseException as caught:
        shutil.rmtree(tmp, ignore_errors=True)
        exc = (
            from_os_error(caught, "could not write the export")
            if isinstance(caught, OSError)
            else caught
        )
        err = exc if isinstance(exc, LoratuiError) else None
        cancelled = err is not None and err.code == "cancelled"
        with write_txn():
            Job.update(
                state=JOB_CANCELLED if cancelled else JOB_FAILED,
                last_error=err.message if err else f"{type(exc).__name__}: {exc}",
                updated_at=now(),
            ).where(Job.id == job.id).execute()
        if cancelled:
            log_event(
                project,
                "export.cancelled",
                "export cancelled; no version written",
                level="warning",
                data={"config_hash": config_hash},
                origin=origin,
            )
        elif isinstance(exc, Exception):
            log_event(
                project,
                "export.failed",
                f"export failed: {err.message if err else exc}",
                level="error",
                data={"config_hash": config_hash, "error": err.as_dict() if err else str(exc)},
                origin=origin,
            )
        if exc is caught:
            raise
        raise exc from caught
    with write_txn():
        Job.update(
            state=JOB_DONE, progress_done=total, progress_total=total, updated_at=now()
        ).where(Job.id == job.id).execute()
    if on_progress is not None:
        on_progress(total, total, f"v{version.number} written")
    manifest = read_manifest(version)
    split = manifest.get("split") or {}
    log_event(
        project,
        "export.done",
        f"exported v{version.number}: {version.records_train} train, "
        f"{version.records_validation} validation records, {version.tokens} tokens"
        + (f" (forced: the same inputs as v{same.number})" if same is not None else ""),
        data={
            "version": version.number,
            "path": version.path,
            "config_hash": config_hash,
            "documents": [d["id"] for d in version.documents],
            "records": {"train": version.records_train, "validation": version.records_validation},
            "tokens": version.tokens,
            "dropped": version.dropped,
            "validation_share": split.get("achieved"),
            "split_note": split.get("note"),
            "eval_left_out": manifest.get("eval_left_out") or {},
            "identical_to": same.number if same is not None else None,
        },
        origin=origin,
    )
    version.reused = False  # type: ignore[attr-defined] - see the docstring
    return version


def _write_version(
    project: Project,
    cfg: ExportConfig,
    pipeline: Pipeline,
    docs: list[Document],
    sizes: dict[int, int],
    tmp: Path,
    progress: _Progress,
    config_and_same: tuple[str, DatasetVersion | None],
    workers: int,
    feed: FeedFactory = DocumentFeed,
) -> DatasetVersion:
    """Write the version's files into ``tmp``, check them, and publish ``tmp`` as ``vN``
    (``config_and_same``: the configuration's hash and the version a forced export repeats)."""
    config_hash, same = config_and_same
    written = _write_records(cfg, pipeline, docs, sizes, tmp, progress, workers, feed)
    out, plan, per_doc, ranges, reports = written
    _require_records(out, pipeline)
    files = _check_files(tmp, out, cfg, pipeline, reports)
    documents = _document_entries(docs, plan, per_doc, ranges)
    split = {
        **plan.as_dict(),
        "split_documents": [
            {k: d[k] for k in ("id", "name", "records", "chunks")}
            for d in documents
            if "chunks" in d
        ],
    }
    extra = {"split": split, "identical_to": same.number if same is not None else None}
    return _publish(project, cfg, pipeline, tmp, out, files, documents, extra, config_hash)


def _write_records(
    cfg: ExportConfig,
    pipeline: Pipeline,
    docs: list[Document],
    sizes: dict[int, int],
    tmp: Path,
    progress: _Progress,
    workers: int,
    make_feed: FeedFactory = DocumentFeed,
) -> tuple[
    SplitFiles,
    SplitPlan,
    dict[int, Counter[str]],
    dict[int, dict[str, list[int]]],
    dict[str, dict[str, Any]] | None,
]:
    """Every record, in document order, duplicates dropped, kept until the split is planned
    from the real counts, then written into the split files. The files (closed), the plan,
    how many records of each document went to each split, the chunk range of each split of
    a document cut in two, and the trainer-style check of each file when the workers wrote
    them in parts (``parts``; None: check them)."""
    out = SplitFiles(tmp, with_validation=cfg.validation_fraction > 0)
    exact = ExactDedup() if cfg.dedup_exact else None
    near = NearDedup(cfg.near_threshold, cfg.minhash_perm, tmp) if cfg.dedup_near else None
    spool = home_mod.ensure_private_dir(tmp / ".spool")  # worker output, read back in order
    feed = make_feed(pipeline, docs, sizes, workers, near.keys if near else None, spool)
    kept = KeptRecords(spool / "kept.pickle")
    per_doc: dict[int, Counter[str]] = {}
    ranges: dict[int, dict[str, list[int]]] = {}
    try:
        for doc, records in feed.items(lambda d: progress.step(d.name)):
            lines = feed.lines.get(doc.id)
            _keep_document(doc, records, kept, exact, near, pipeline.stats.dropped, lines)
            if doc.kind == RECORDS_KIND:
                progress.step(doc.name)
        if near is not None:
            near.close()
            near = None
        plan = plan_splits(docs, kept.counts, kept.rows, cfg.validation_fraction, cfg.seed)
        kept.close()
        reports = None
        if feed.pooled:
            # the workers write the split files in parts, the writer joins them (the
            # lines of the documents they did are only in their files: ``feed.lines``)
            with_validation = cfg.validation_fraction > 0
            fmt, limit = cfg.format, cfg.max_seq_len
            tasks = parts.tasks(kept, plan, feed.workers, spool, with_validation, fmt, limit)
            results = feed.map(parts.write_part, tasks)
            reports = parts.join(results, tasks, out, per_doc, ranges)
        else:
            parts.write_kept(kept.read(), plan, out, per_doc, ranges, Counter())
    finally:
        feed.close()
        kept.close()
        if near is not None:
            near.close()
        pipeline.close()
        out.close()
        shutil.rmtree(spool, ignore_errors=True)
    return out, plan, per_doc, ranges, reports


def _keep_document(
    doc: Document,
    records: Iterator[Out],
    kept: KeptRecords,
    exact: ExactDedup | None,
    near: NearDedup | None,
    dropped: Counter[str],
    lines: str | None = None,
) -> None:
    """One document's records kept, each exact or near duplicate of a record kept before it
    dropped (and counted in ``dropped``). ``lines``: the file that holds the document's
    records (an export worker's): only which of them were dropped is noted."""
    position = 0
    skipped: set[int] = set()
    for batch in batches(records, DEDUP_BATCH):
        if near is not None:  # one index query for the whole batch
            near.prefetch([rec.near[1] for rec in batch if rec.near is not None])
        for rec in batch:
            position += 1
            if exact is not None and rec.exact is not None and exact.seen(rec.exact):
                dropped["duplicate"] += 1
                skipped.add(position - 1)
                continue
            if near is not None and rec.near is not None and near.seen(*rec.near):
                dropped["near_duplicate"] += 1
                skipped.add(position - 1)
                continue
            if lines is None:
                kept.add(doc.id, rec)
        if near is not None:
            near.flush()
    if lines is not None:
        kept.add_file(doc.id, lines, position, skipped)


def _require_records(out: SplitFiles, pipeline: Pipeline) -> None:
    """An export whose filters left nothing to train on fails, saying what was dropped."""
    if out.counts["train"] == 0:
        dropped = ", ".join(f"{k} {n}" for k, n in sorted(pipeline.stats.dropped.items()))
        raise LoratuiError(
            "invalid",
            f"no records are left after cleaning and filtering (dropped: {dropped or 'none'})",
            "check the reasons: raise max_seq_len, lower min_chars/min_tokens, change the "
            "template, or turn dedup off",
        )


def _check_files(
    tmp: Path,
    out: SplitFiles,
    cfg: ExportConfig,
    pipeline: Pipeline,
    reports: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The trainer-style check, on the bytes as written (``reports``: done by the workers
    on the parts they wrote); the manifest's entry of each file kept (an empty validation
    file is removed)."""
    files: dict[str, dict[str, Any]] = {}
    for split in out.names:
        path = tmp / f"{split}.jsonl"
        if split == "validation" and out.counts[split] == 0:
            path.unlink()
            continue
        report = (
            reports[split]
            if reports is not None
            else check_report(
                path, cfg.format, cfg.max_seq_len, pipeline.counter, out.line_tokens[split]
            )
        )
        errors = [p for p in report["problems"] if p["level"] == "error"]
        if errors:
            first = errors[0]
            raise LoratuiError(
                "invalid",
                f"{split}.jsonl failed the trainer check at line {first['line']}: "
                f"{first['message']} ({report['problem_count']} problems)",
                "this is a bug in the export; report it with the configuration used",
            )
        files[f"{split}.jsonl"] = {
            "records": out.counts[split],
            "bytes": path.stat().st_size,
            "sha256": sha256_file(path),
        }
    return files


def _document_entries(
    docs: list[Document],
    plan: SplitPlan,
    per_doc: dict[int, Counter[str]],
    ranges: dict[int, dict[str, list[int]]],
) -> list[dict[str, Any]]:
    """The manifest's entry of each input document: what it was and where its records went
    (a document cut in two has ``split: "both"`` and the chunk range in each split)."""
    entries = []
    for d in docs:
        entry: dict[str, Any] = {
            "id": d.id,
            "name": d.name,
            "sha256": d.sha256,
            "text_sha256": d.text_sha256,
            "kind": d.kind,
            "pages": d.pages,
            "tags": d.tags or [],
            "split": "by row" if d.kind == RECORDS_KIND else plan.whole.get(d.id, "both"),
            "records": dict(sorted(per_doc.get(d.id, Counter()).items())),
        }
        if d.id in plan.cut:
            entry["chunks"] = dict(sorted(ranges.get(d.id, {}).items()))
        entries.append(entry)
    return entries


def _publish(
    project: Project,
    cfg: ExportConfig,
    pipeline: Pipeline,
    tmp: Path,
    out: SplitFiles,
    files: dict[str, dict[str, Any]],
    documents: list[dict[str, Any]],
    extra: dict[str, Any],
    config_hash: str,
) -> DatasetVersion:
    """Number the version, add its manifest, card and trainer configs, rename ``tmp`` to
    ``vN`` and record it: one write transaction, so two exports never take one number."""
    dropped = dict(sorted(pipeline.stats.dropped.items()))
    with write_txn():
        number = next_number(project)
        final = folders.exports_dir(project) / f"v{number}"
        manifest = _manifest(
            project, cfg, pipeline, out, files, documents, extra, config_hash, number, dropped
        )
        _write_card_and_configs(tmp, manifest)
        os.rename(tmp, final)
        size = sum(p.stat().st_size for p in final.iterdir())
        version = DatasetVersion.create(
            project=project,
            number=number,
            path=str(final),
            config=cfg.to_dict(),
            config_hash=config_hash,
            records_train=out.counts["train"],
            records_validation=out.counts["validation"],
            tokens=out.tokens,
            bytes=size,
            documents=[{"id": d["id"], "sha256": d["sha256"]} for d in documents],
            dropped=dropped,
        )
    return version


def _manifest(
    project: Project,
    cfg: ExportConfig,
    pipeline: Pipeline,
    out: SplitFiles,
    files: dict[str, dict[str, Any]],
    documents: list[dict[str, Any]],
    extra: dict[str, Any],
    config_hash: str,
    number: int,
    dropped: dict[str, int],
) -> dict[str, Any]:
    """``manifest.json``: how the version was made, from what, and what it holds
    (``extra``: the split planned, and the version a forced export repeats)."""
    data_splits = [s for s in out.names if f"{s}.jsonl" in files]
    return {
        "loratui_version": __version__,
        "project": project.name,
        "version": number,
        "dataset_name": dataset_name(project, cfg),
        "created_at": now(),
        "format": cfg.format,
        "config": cfg.to_dict(),
        "config_hash": config_hash,
        "tokenizer": {
            "spec": cfg.tokenizer,
            "name": pipeline.counter.name,
            "fingerprint": pipeline.counter.fingerprint,
        },
        "documents": documents,
        "records": {s: out.counts[s] for s in data_splits},
        **extra,
        "eval_left_out": pipeline.format.unusable_eval(
            sum(out.line_tokens["validation"]) if "validation" in data_splits else 0,
            out.counts["validation"],
            cfg.max_seq_len,
            isinstance(pipeline.counter, ApproxCounter),
        )
        if "validation" in data_splits
        else {},
        "dropped": dropped,
        "cleaning": {
            "repeated_lines_removed": pipeline.stats.repeated_lines_removed,
            "documents_with_repeated_lines": pipeline.stats.documents_with_repeated_lines,
            "redacted": dict(sorted(pipeline.redactor.counts.items())) if pipeline.redactor else {},
        },
        "chunks": pipeline.stats.chunks,
        "rows": pipeline.stats.rows,
        "tokens": token_stats(out.token_hist),
        "files": files,
        "content_id": card.content_id(files),
    }


def _write_card_and_configs(tmp: Path, manifest: dict[str, Any]) -> None:
    """The manifest, the dataset card and the trainer configs, beside the data files."""
    data_splits = list(manifest["records"])  # the splits with a data file, in order
    home_mod.write_private(
        tmp / "manifest.json",
        (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
    )
    home_mod.write_private(tmp / "README.md", card.dataset_card(manifest, data_splits).encode())
    home_mod.write_private(tmp / "axolotl.yaml", card.axolotl_yaml(manifest, data_splits).encode())
    home_mod.write_private(
        tmp / "dataset_info.json",
        (json.dumps(card.dataset_info(manifest, data_splits), indent=2) + "\n").encode(),
    )
