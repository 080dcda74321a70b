"""Finding documents by id or original name, and their extracted text."""

from __future__ import annotations

from loratui.core.errors import LoratuiError
from loratui.core.store.models import Document, Page, Project


def get_document(project: Project, ref: str | int) -> Document:
    """A document of ``project`` by id or original file name (the newest of that name)."""
    doc = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        doc = Document.get_or_none((Document.project == project) & (Document.id == int(ref)))
    if doc is None:
        doc = (
            Document.select()
            .where((Document.project == project) & (Document.name == str(ref)))
            .order_by(Document.id.desc())
            .first()
        )
    if doc is None:
        raise LoratuiError(
            "not_found",
            f"no document {ref!r} in project {project.name!r}",
            f"list them with `loratui files {project.name!r}`",
        )
    return doc


def page_texts(doc: Document) -> list[str]:
    """The extracted pages of ``doc`` in order."""
    return [
        p.text for p in Page.select(Page.text).where(Page.document == doc).order_by(Page.number)
    ]


def page_text(doc: Document | int, number: int) -> str | None:
    """The extracted text of one page (1-based), or None when it is not extracted (yet)."""
    row = (
        Page.select(Page.text)
        .where((Page.document == getattr(doc, "id", doc)) & (Page.number == number))
        .first()
    )
    return row.text if row else None


def pages_stored(doc: Document | int) -> int:
    """The highest page number extracted so far (0 when none): one indexed lookup."""
    from peewee import fn

    value = (
        Page.select(fn.MAX(Page.number)).where(Page.document == getattr(doc, "id", doc)).scalar()
    )
    return int(value or 0)
