"""Finding documents by id or original name, their extracted text, and one document in
detail (as its preview shows it)."""

from __future__ import annotations

from dataclasses import dataclass

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.extract.shared import PageText
from loratui.core.store.models import FAILED, Document, Page, Project

NEEDS_PASSWORD = ("encrypted", "wrong_password")  # error codes a password can cure


@dataclass
class DocumentDetail:
    """A document with what is shown beside it, read in one go."""

    doc: Document
    project_name: str
    pages_stored: int
    traceback: str | None = None
    original: str | None = None  # "#id name" of the document this one duplicates

    @property
    def total_pages(self) -> int:
        return max(self.doc.pages or 0, self.pages_stored)

    @property
    def locked(self) -> bool:
        """Whether the document waits for a password (``unlock``)."""
        return self.doc.error_code in NEEDS_PASSWORD


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


def document_name(document_id: int) -> str | None:
    """The original file name of a document, or None when it is gone."""
    row = Document.select(Document.name).where(Document.id == document_id).first()
    return row.name if row else None


def pages(doc: Document) -> list[tuple[int, str]]:
    """(number, text) of the extracted pages of ``doc`` in order."""
    query = Page.select(Page.number, Page.text).where(Page.document == doc).order_by(Page.number)
    return list(query.tuples())


def pages_read(doc: Document | int, number: int | None = None) -> list[PageText]:
    """The extracted pages of ``doc`` in order (or only page ``number``), each with the OCR
    engine and mean line score when OCR read it (None for the text layer), and the engine
    that read its text layer (PDFs)."""
    query = Page.select(
        Page.number, Page.text, Page.ocr_engine, Page.ocr_confidence, Page.engine
    ).where(Page.document == getattr(doc, "id", doc))
    if number is not None:
        query = query.where(Page.number == number)
    return [PageText(*row) for row in query.order_by(Page.number).tuples()]


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


SLICE_BYTES = 100_000  # the most of one page a viewer reads at a time (UTF-8 bytes)


@dataclass(frozen=True)
class PageSlice:
    """Part ``part`` (0-based) of a page's text, of ``parts`` parts of about
    ``SLICE_BYTES`` bytes each (cut between characters, never inside one)."""

    text: str
    part: int
    parts: int


def page_slice(
    doc: Document | int, number: int, part: int = 0, size: int = SLICE_BYTES
) -> PageSlice | None:
    """One slice of a page's text, read from the database with incremental blob I/O: only
    those bytes are read, so a viewer of a 300 MB one-page text holds ``size`` bytes, not
    the page (reading it whole took over 8 s and left the app at 2.2 GB; SQLite's
    ``substr`` would still load the whole value for each slice). None when the page is
    not extracted (yet)."""
    from loratui.core.store.db import database

    doc_id = getattr(doc, "id", doc)
    row = Page.select(Page.id).where((Page.document == doc_id) & (Page.number == number)).first()
    if row is None:
        return None
    with database.connection().blobopen(Page._meta.table_name, "text", row.id) as blob:
        total = len(blob)
        parts = max(1, -(-total // size))
        part = min(max(0, part), parts - 1)
        blob.seek(part * size)
        data = blob.read(size + 3)  # up to 3 more bytes: the end of a character cut at size
    begin = 0
    while part and begin < len(data) and data[begin] & 0xC0 == 0x80:
        begin += 1  # the tail of a character that the part before holds
    end = min(size, len(data))
    while end < len(data) and data[end] & 0xC0 == 0x80:
        end += 1
    return PageSlice(data[begin:end].decode("utf-8", errors="replace"), part, parts)


def pages_stored(doc: Document | int) -> int:
    """The highest page number extracted so far (0 when none): one indexed lookup."""
    from peewee import fn

    value = (
        Page.select(fn.MAX(Page.number)).where(Page.document == getattr(doc, "id", doc)).scalar()
    )
    return int(value or 0)


def last_traceback(project_id: int, document_id: int) -> str | None:
    """The newest traceback the log holds for this document, if any."""
    rows = audit.events(project_id, level="error", document_id=document_id, limit=20)
    for row in reversed(rows):
        tb = (row.data or {}).get("traceback")
        if tb:
            return str(tb)
    return None


def document_detail(project: Project, document_id: int) -> DocumentDetail:
    """The document, its extracted-page count, its last traceback and what it duplicates."""
    doc = get_document(project, document_id)
    tb = last_traceback(project.id, doc.id) if doc.state == FAILED or doc.error_code else None
    original = None
    if doc.duplicate_of_id is not None:
        first = Document.get_or_none(Document.id == doc.duplicate_of_id)
        original = f"#{first.id} {first.name}" if first else f"#{doc.duplicate_of_id} (deleted)"
    return DocumentDetail(
        doc=doc,
        project_name=project.name,
        pages_stored=pages_stored(doc),
        traceback=tb,
        original=original,
    )
