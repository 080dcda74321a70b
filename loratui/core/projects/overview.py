"""The figures of a project as users see them: ``loratui status`` / ``projects`` and the TUI's
dashboard / projects screen read them here, so the CLI and the TUI always agree.

What each figure counts:

- ``states``: documents per state; ``excluded``: excluded documents, whatever their state.
- ``pages``, ``chars``, ``tokens`` (the totals): of done documents, the text there is to export.
- ``failures``: failed documents per error code.
- ``warnings``: done documents per warning code. Warnings are stored when a document is done
  and cleared when it is extracted again, so failed, queued and retried documents have none.
  An excluded document still counts (as a failed one does in ``failures``): excluding it
  changes what is exported, not what was found, and the number then matches the files the
  Files screen lists for that code; ``excluded`` says how many are left out.
- ``documents``: every document of the project, whatever its state: the one total the
  dashboard, the Files screen and ``status`` show.
- ``progress``: pages done of all known pages, and documents finished (done or failed) of all,
  among the documents there is work for (not duplicates, not cancelled). A queued document's
  page count is unknown until a worker opened it: ``pages_left`` counts such documents at
  the average page count of those known, so 118 files waiting are never "0 pages left".
- ``last_export``: the newest dataset version; ``last_taken``: the newest file the drop folder
  took, by any watcher (the TUI's or a ``loratui watch``).
- ``runs``: commands at work on another engine than the local pool (``process --engine ray``
  in a terminal, say), from their run records (``scale.runs``): the engine and the size of
  its cluster, while the command lives.
- the throughput and ETA of the dashboard: ``Throughput``.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import peewee

from loratui.core.store import folders
from loratui.core.store.models import (
    CANCELLED,
    DONE,
    DUPLICATE,
    FAILED,
    JOB_EXTRACT,
    JOB_RUN,
    JOB_RUNNING,
    PROCESSING,
    QUEUED,
    DatasetVersion,
    Document,
    DropFile,
    Job,
    Project,
)
from loratui.core.store.owners import owner_is_dead
from loratui.core.store.text import path_text

RATE_WINDOW_S = 30.0  # the throughput is measured over this much recent time
TAKEN_STATES = ("queued", "duplicate", "failed", "skipped")  # what add made of a dropped file


@dataclass(frozen=True)
class LastExport:
    number: int
    records: int  # train + validation
    tokens: int


@dataclass(frozen=True)
class ActiveRun:
    """A command at work on another engine (its run record)."""

    command: str  # process, export
    engine: str  # ray
    cpus: int  # of the whole cluster
    nodes: int
    address: str  # the cluster's ("local": a runtime the command started)


@dataclass(frozen=True)
class Progress:
    """Where the work stands: pages and documents, of those there is work for."""

    pages_done: int
    pages_total: int
    files_finished: int  # done or failed
    files_total: int  # not duplicates, not cancelled
    files_pages_unknown: int = 0  # still to process, page count not known yet
    files_pages_known: int = 0  # of the documents there is work for

    def pages_left(self) -> float | None:
        """Pages still to extract: the known ones, and for each document whose count is
        not known yet the average of those known; None when no count is known at all."""
        left = max(0, self.pages_total - self.pages_done)
        if not self.files_pages_unknown:
            return float(left)
        if not self.files_pages_known:
            return None
        return left + self.files_pages_unknown * self.pages_total / self.files_pages_known


@dataclass(frozen=True)
class Overview:
    """Every figure of one project, read in one go."""

    project: str
    counts: dict[str, Any]  # counts(): documents, states, jobs, excluded, ...
    warnings: dict[str, int]  # code -> done documents, by code
    progress: Progress
    last_export: LastExport | None
    drop_folder: str
    last_taken: str | None  # path in the drop folder
    runs: tuple[ActiveRun, ...] = ()

    @property
    def states(self) -> dict[str, int]:
        return self.counts["states"]

    @property
    def failures(self) -> dict[str, int]:
        return self.counts["failures"]

    def as_status(self) -> dict[str, Any]:
        """What ``status --json`` prints."""
        export = self.last_export
        return {
            "project": self.project,
            **self.counts,
            "warnings": self.warnings,
            "progress": {
                "pages_done": self.progress.pages_done,
                "pages_total": self.progress.pages_total,
                "files_finished": self.progress.files_finished,
                "files_total": self.progress.files_total,
                "files_pages_unknown": self.progress.files_pages_unknown,
            },
            "last_export": (
                {"version": export.number, "records": export.records, "tokens": export.tokens}
                if export
                else None
            ),
            "drop_folder": self.drop_folder,
            "last_taken": self.last_taken,
            "runs": [vars(r) for r in self.runs],
        }


def _project(project: Project | int) -> Project:
    return project if isinstance(project, Project) else Project.get_by_id(project)


def warnings_by_code(project: Project | int) -> dict[str, int]:
    """Done documents per warning code, sorted by code."""
    found: Counter[str] = Counter()
    query = Document.select(Document.warnings).where(
        (Document.project == project)
        & (Document.state == DONE)
        & (Document.warnings != peewee.Value("[]", converter=False))
    )
    for (items,) in query.tuples():
        for w in items or []:
            if isinstance(w, dict):
                found[w.get("code") or "unknown"] += 1
    return dict(sorted(found.items()))


def progress(project: Project | int, states: dict[str, int]) -> Progress:
    """Pages and documents finished of those there is work for (``states``: counts' states)."""
    work = (Document.project == project) & Document.state.not_in([DUPLICATE, CANCELLED])
    pages_total, pages_done = (
        Document.select(
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages_done), 0),
        )
        .where(work)
        .tuples()
        .get()
    )
    known = Document.select().where(work & Document.pages.is_null(False)).count()
    unknown = (
        Document.select()
        .where(work & Document.pages.is_null() & Document.state.in_([QUEUED, PROCESSING]))
        .count()
    )
    return Progress(
        pages_done=int(pages_done or 0),
        pages_total=int(pages_total or 0),
        files_finished=states.get(DONE, 0) + states.get(FAILED, 0),
        files_total=sum(n for s, n in states.items() if s not in (DUPLICATE, CANCELLED)),
        files_pages_unknown=unknown,
        files_pages_known=known,
    )


def last_export(project: Project | int) -> LastExport | None:
    """The newest dataset version of the project, if any."""
    last = (
        DatasetVersion.select()
        .where(DatasetVersion.project == project)
        .order_by(DatasetVersion.number.desc())
        .first()
    )
    if last is None:
        return None
    return LastExport(last.number, last.records_train + last.records_validation, last.tokens)


def last_taken(project: Project | int) -> str | None:
    """The path (in the drop folder) of the newest file a watcher took, if any: added,
    found a duplicate, refused or skipped by add; not a file touched without changing, nor
    a link or device it only noted."""
    row = (
        DropFile.select(DropFile.rel_path)
        .where(
            (DropFile.project == project) & DropFile.state.in_(TAKEN_STATES) & (DropFile.size >= 0)
        )
        .order_by(DropFile.taken_at.desc(), DropFile.id.desc())
        .first()
    )
    return path_text(row.rel_path) if row else None


def active_runs(project: Project | int) -> tuple[ActiveRun, ...]:
    """The run records of commands still at work (a killed command's is left out)."""
    rows = Job.select(Job.lease_owner, Job.payload).where(
        (Job.project == project) & (Job.kind == JOB_RUN) & (Job.state == JOB_RUNNING)
    )
    return tuple(
        ActiveRun(
            command=str(row.payload.get("command", "")),
            engine=str(row.payload.get("engine", "")),
            cpus=int(row.payload.get("cpus") or 0),
            nodes=int(row.payload.get("nodes") or 0),
            address=str(row.payload.get("address", "")),
        )
        for row in rows.order_by(Job.id)
        if not owner_is_dead(row.lease_owner)
    )


def overview(project: Project | int) -> Overview:
    """Every figure of the project (``status`` and the dashboard)."""
    project = _project(project)
    figures = counts(project)
    return Overview(
        project=project.name,
        counts=figures,
        warnings=warnings_by_code(project),
        progress=progress(project, figures["states"]),
        last_export=last_export(project),
        drop_folder=str(folders.drop_dir(project)),
        last_taken=last_taken(project),
        runs=active_runs(project),
    )


def status(project: Project | int) -> dict[str, Any]:
    """``status --json``: the overview as plain data."""
    return overview(project).as_status()


def project_row(project: Project) -> dict[str, Any]:
    """The summary of one project (``projects --json``, the TUI's projects list); its
    ``created_at`` in epoch seconds."""
    states: dict[str, int] = dict(
        Document.select(Document.state, peewee.fn.COUNT(Document.id))
        .where(Document.project == project)
        .group_by(Document.state)
        .tuples()
    )
    export = last_export(project)
    return {
        "id": project.id,
        "name": project.name,
        "folder": str(folders.project_dir(project)),
        "drop_folder": str(folders.drop_dir(project)),
        "documents": sum(states.values()),
        "states": states,
        "queued": states.get(QUEUED, 0),
        "processing": states.get(PROCESSING, 0),
        "done": states.get(DONE, 0),
        "failed": states.get(FAILED, 0),
        "versions": DatasetVersion.select().where(DatasetVersion.project == project).count(),
        "last_export": f"v{export.number}" if export else None,
        "created_at": project.created_at,
    }


def project_rows() -> list[dict[str, Any]]:
    """Every project's summary, by name."""
    return [project_row(p) for p in Project.select().order_by(Project.name)]


def failures_since(project: Project, since: float) -> list[dict[str, Any]]:
    """The documents that failed since ``since`` (epoch seconds), with why."""
    rows = (
        Document.select()
        .where(
            (Document.project == project)
            & (Document.state == FAILED)
            & (Document.finished_at >= since)
        )
        .order_by(Document.id)
    )
    return [
        {
            "id": d.id,
            "name": d.name,
            "error_code": d.error_code,
            "error": d.error_message,
            "hint": d.hint,
        }
        for d in rows
    ]


class Throughput:
    """Pages per second over the last ``window_s`` seconds, and the time left at that pace.

    Fed with ``(time, pages_done)`` as the figures are read (the dashboard reads them once a
    second); there is no rate until the pages grew between two samples of the window.
    """

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, t: float, pages_done: int) -> float | None:
        """Record a sample; return the pages per second, or None when unknown."""
        self._samples.append((t, pages_done))
        while self._samples and t - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        if len(self._samples) < 2:
            return None
        t0, p0 = self._samples[0]
        dt = t - t0
        if dt <= 0 or pages_done <= p0:
            return None
        return (pages_done - p0) / dt

    @staticmethod
    def eta_s(pages_left: float | None, rate: float | None) -> float | None:
        """Seconds until ``pages_left`` are done at ``rate``; None when unknown or nothing left."""
        if not rate or pages_left is None or pages_left <= 0:
            return None
        return pages_left / rate


def _count_by(column: peewee.Field, where: peewee.Expression) -> list[tuple[Any, int]]:
    """(value, rows) for each value of ``column`` among the rows matching ``where``."""
    model = column.model
    return list(
        model.select(column, peewee.fn.COUNT(model.id)).where(where).group_by(column).tuples()
    )


def counts(project: Project) -> dict[str, Any]:
    """Counts per document state and job state, totals of done work, failures by code."""
    states = {s: 0 for s in (QUEUED, PROCESSING, DONE, FAILED, DUPLICATE, CANCELLED)}
    states.update(_count_by(Document.state, Document.project == project))
    jobs = dict(_count_by(Job.state, (Job.project == project) & (Job.kind == JOB_EXTRACT)))
    failures: dict[str, int] = {}
    for code, n in _count_by(
        Document.error_code, (Document.project == project) & (Document.state == FAILED)
    ):
        failures[code or "unknown"] = n
    pages, chars, tokens = (
        Document.select(
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.chars), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.tokens), 0),
        )
        .where((Document.project == project) & (Document.state == DONE))
        .tuples()
        .first()
    )
    excluded = (
        Document.select()
        .where((Document.project == project) & (Document.excluded == True))  # noqa: E712
        .count()
    )
    return {
        "documents": sum(states.values()),
        "states": states,
        "jobs": jobs,
        "excluded": excluded,
        "paused": bool(project.paused),
        "pages": int(pages),
        "chars": int(chars),
        "tokens": int(tokens),
        "failures": failures,
    }
