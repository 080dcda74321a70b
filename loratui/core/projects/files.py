"""The files list: one row per document, as ``loratui files`` and the TUI's Files screen show it.

Both read their rows here, so a document shows the same figures in both. ``attempts`` is the
attempts of the document's latest extract job: a retry resets the job, so after a retry it
counts the tries of the current run against ``max_attempts`` (a retried document that then
failed at once shows 1, whatever happened before). ``warning_codes`` are the codes stored on
the document when it was done (re-extracting it clears them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import peewee

from loratui.core.store.models import JOB_EXTRACT, Document, Job, Project

# Above this many documents one query over the whole project beats a long ``IN (...)`` list.
WHOLE_PROJECT_AT = 500


@dataclass(frozen=True)
class DocRow:
    """One line of the Files screen."""

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
        """Whether the row passes the list's filters (state, free text, error/warning code)."""
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


def latest_attempts(project_id: int, doc_ids: list[int] | None = None) -> dict[int, int]:
    """Document id -> attempts of its latest extract job (all of the project's, or ``doc_ids``)."""
    if doc_ids is not None and not doc_ids:
        return {}
    latest = Job.select(peewee.fn.MAX(Job.id)).where(
        (Job.project == project_id) & (Job.kind == JOB_EXTRACT)
    )
    if doc_ids is not None:
        latest = latest.where(Job.document.in_(doc_ids))
    latest = latest.group_by(Job.document)
    rows = Job.select(Job.document, Job.attempts).where(Job.id.in_(latest)).tuples()
    return {doc: attempts or 0 for doc, attempts in rows if doc is not None}


def warning_codes(warnings: list[Any] | None) -> tuple[str, ...]:
    """The codes of a document's stored warnings, in order."""
    return tuple(w.get("code", "") for w in (warnings or []) if isinstance(w, dict))


def doc_rows(
    project_id: int, since: float | None = None, ids: list[int] | None = None
) -> list[DocRow]:
    """Rows of a project's documents; only those changed after ``since`` or with ``ids``."""
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
    wanted = None if len(docs) > WHOLE_PROJECT_AT else [d[0] for d in docs]
    attempts = latest_attempts(project_id, wanted)
    return [
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
            warning_codes=warning_codes(d[11]),
            updated_at=d[12] or 0.0,
        )
        for d in docs
    ]


def doc_ids(project_id: int) -> set[int]:
    """The ids of every document of the project (to notice deleted ones)."""
    query = Document.select(Document.id).where(Document.project == project_id)
    return {i for (i,) in query.tuples()}


def doc_count(project_id: int) -> int:
    return Document.select().where(Document.project == project_id).count()


def file_row(doc: Document, attempts: int = 0) -> dict[str, Any]:
    """One document as ``files --json`` prints it (times as epoch seconds). ``ocr_pages``
    and ``ocr_confidence`` (mean line score of those pages) come from its ``ocr`` warning,
    written with the other figures when the document was done."""
    ocr = next((w for w in doc.warnings or [] if w.get("code") == "ocr"), {})
    return {
        "id": doc.id,
        "name": doc.name,
        "state": doc.state,
        "kind": doc.kind,
        "engine": doc.engine,
        "size": doc.size,
        "error_code": doc.error_code,
        "error": doc.error_message,
        "hint": doc.hint,
        "pages": doc.pages,
        "pages_done": doc.pages_done,
        "chars": doc.chars,
        "tokens": doc.tokens,
        "sha256": doc.sha256,
        "text_sha256": doc.text_sha256,
        "attempts": attempts,
        "warnings": doc.warnings or [],
        "ocr_pages": ocr.get("pages", 0),
        "ocr_confidence": ocr.get("confidence"),
        "excluded": bool(doc.excluded),
        "duplicate_of": doc.duplicate_of_id,
        "origin": doc.origin,
        "source_path": doc.source_path,
        "added_at": doc.created_at,
        "finished_at": doc.finished_at,
    }


def file_rows(project: Project, state: str | None = None) -> list[dict[str, Any]]:
    """Every document of the project (or those in ``state``, or the ``"excluded"`` ones:
    the flag that leaves a document out of exports, whatever its state) as ``files --json``
    rows."""
    query = Document.select().where(Document.project == project)
    if state == "excluded":
        query = query.where(Document.excluded == True)  # noqa: E712 - peewee expression
    elif state:
        query = query.where(Document.state == state)
    docs = list(query.order_by(Document.id))
    wanted = None if len(docs) > WHOLE_PROJECT_AT else [d.id for d in docs]
    attempts = latest_attempts(project.id, wanted)
    return [file_row(d, attempts.get(d.id, 0)) for d in docs]
