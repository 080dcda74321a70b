"""Read-only queries shaped for the screens: project rows, document rows, dashboard figures.

Nothing here changes state; every change goes through loratui.core. These run either briefly on
the event loop or inside thread workers (see ``db_thread``), never both on one connection.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import peewee

from loratui.core.store import db
from loratui.core.store.models import (
    CANCELLED,
    DONE,
    DUPLICATE,
    FAILED,
    PROCESSING,
    QUEUED,
    DatasetVersion,
    Document,
    Job,
    Project,
)


@contextmanager
def db_thread() -> Iterator[None]:
    """Close this thread's SQLite connection when a thread worker is done with it."""
    try:
        yield
    finally:
        if threading.current_thread() is not threading.main_thread():
            db.close()


@dataclass(frozen=True)
class DocRow:
    """One line of the queue table."""

    id: int
    name: str
    kind: str
    state: str
    pages: int | None
    pages_done: int
    chars: int
    tokens: int
    attempts: int
    error_code: str | None
    error_message: str | None
    excluded: bool
    warning_codes: tuple[str, ...] = field(default_factory=tuple)
    updated_at: float = 0.0

    @property
    def shown_state(self) -> str:
        return "excluded" if self.excluded else self.state

    def matches(self, state: str | None, text: str, code: str | None) -> bool:
        """Whether the row passes the queue's filters (state, free text, error/warning code)."""
        if state and state != "all":
            if state == "excluded":
                if not self.excluded:
                    return False
            elif self.state != state:
                return False
        if code and code != self.error_code and code not in self.warning_codes:
            return False
        if text:
            t = text.lower()
            hay = f"{self.name} {self.kind} {self.error_code or ''} {self.error_message or ''}"
            if t not in hay.lower():
                return False
        return True


def _attempts_by_doc(project_id: int, doc_ids: list[int] | None) -> dict[int, int]:
    q = Job.select(Job.document, peewee.fn.MAX(Job.attempts)).where(Job.project == project_id)
    if doc_ids is not None:
        q = q.where(Job.document.in_(doc_ids))
    return {d: (a or 0) for d, a in q.group_by(Job.document).tuples() if d is not None}


def doc_rows(
    project_id: int, since: float | None = None, ids: list[int] | None = None
) -> list[DocRow]:
    """Document rows of a project; only those changed after ``since`` or with ``ids`` if given."""
    q = Document.select(
        Document.id,
        Document.name,
        Document.kind,
        Document.state,
        Document.pages,
        Document.pages_done,
        Document.chars,
        Document.tokens,
        Document.error_code,
        Document.error_message,
        Document.excluded,
        Document.warnings,
        Document.updated_at,
    ).where(Document.project == project_id)
    if ids is not None:
        q = q.where(Document.id.in_(ids))
    if since is not None:
        changed_jobs = Job.select(Job.document).where(
            (Job.project == project_id) & (Job.updated_at > since)
        )
        q = q.where((Document.updated_at > since) | (Document.id.in_(changed_jobs)))
    docs = list(q.order_by(Document.id).tuples())
    if not docs:
        return []
    attempts = _attempts_by_doc(project_id, None if len(docs) > 500 else [d[0] for d in docs])
    rows = []
    for d in docs:
        warnings = tuple(w.get("code", "") for w in (d[11] or []) if isinstance(w, dict))
        rows.append(
            DocRow(
                id=d[0],
                name=d[1],
                kind=d[2] or "?",
                state=d[3],
                pages=d[4],
                pages_done=d[5] or 0,
                chars=d[6] or 0,
                tokens=d[7] or 0,
                attempts=attempts.get(d[0], 0),
                error_code=d[8],
                error_message=d[9],
                excluded=bool(d[10]),
                warning_codes=warnings,
                updated_at=d[12] or 0.0,
            )
        )
    return rows


def doc_ids(project_id: int) -> set[int]:
    return {
        i for (i,) in Document.select(Document.id).where(Document.project == project_id).tuples()
    }


def doc_count(project_id: int) -> int:
    return Document.select().where(Document.project == project_id).count()


@dataclass
class DashboardStats:
    """The figures the dashboard shows, read in one go."""

    project_name: str
    states: dict[str, int]
    excluded: int
    files_total: int  # documents that need processing (not duplicates or cancelled)
    files_finished: int  # done + failed among those
    pages_total: int
    pages_done: int
    chars: int
    tokens: int
    failures: list[tuple[str, int]]
    warnings: list[tuple[str, int]]
    last_export: str | None
    paused: bool
    drop_folder: str


def dashboard_stats(project_id: int) -> DashboardStats:
    from loratui.core.store.folders import drop_dir

    project = Project.get_by_id(project_id)
    states: dict[str, int] = {}
    for state, n in (
        Document.select(Document.state, peewee.fn.COUNT(Document.id))
        .where(Document.project == project_id)
        .group_by(Document.state)
        .tuples()
    ):
        states[state] = n
    excluded = Document.select().where((Document.project == project_id) & Document.excluded).count()
    work = (Document.project == project_id) & Document.state.not_in([DUPLICATE, CANCELLED])
    pages_total, pages_done = (
        Document.select(
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.pages_done), 0),
        )
        .where(work)
        .tuples()
        .get()
    )
    chars, tokens = (
        Document.select(
            peewee.fn.COALESCE(peewee.fn.SUM(Document.chars), 0),
            peewee.fn.COALESCE(peewee.fn.SUM(Document.tokens), 0),
        )
        .where((Document.project == project_id) & (Document.state == DONE))
        .tuples()
        .get()
    )
    failures = (
        Document.select(Document.error_code, peewee.fn.COUNT(Document.id))
        .where((Document.project == project_id) & (Document.state == FAILED))
        .group_by(Document.error_code)
        .tuples()
    )
    warn = Counter()
    for (ws,) in (
        Document.select(Document.warnings)
        .where((Document.project == project_id) & (Document.warnings != "[]"))
        .tuples()
    ):
        for w in ws or []:
            if isinstance(w, dict) and w.get("code"):
                warn[w["code"]] += 1
    last = (
        DatasetVersion.select()
        .where(DatasetVersion.project == project_id)
        .order_by(DatasetVersion.number.desc())
        .first()
    )
    files_total = sum(n for s, n in states.items() if s not in (DUPLICATE, CANCELLED))
    return DashboardStats(
        project_name=project.name,
        states=states,
        excluded=excluded,
        files_total=files_total,
        files_finished=states.get(DONE, 0) + states.get(FAILED, 0),
        pages_total=int(pages_total or 0),
        pages_done=int(pages_done or 0),
        chars=int(chars or 0),
        tokens=int(tokens or 0),
        failures=sorted(((c or "unknown", n) for c, n in failures), key=lambda x: -x[1]),
        warnings=sorted(warn.items(), key=lambda x: -x[1]),
        last_export=(
            f"v{last.number} · {last.records_train + last.records_validation} records"
            f" · {last.tokens:,} tokens"
            if last
            else None
        ),
        paused=bool(project.paused),
        drop_folder=str(drop_dir(project)),
    )


ACTIVE_STATES = (QUEUED, PROCESSING)


def has_pending_work(project_id: int) -> bool:
    return (
        Document.select()
        .where((Document.project == project_id) & Document.state.in_(ACTIVE_STATES))
        .exists()
    )
