"""The tables of a loratui home. Everything the app needs to resume lives here."""

from __future__ import annotations

import time

import peewee
from playhouse.sqlite_ext import AutoIncrementField

from loratui.core.store.db import JSONText, database

# Document states
QUEUED = "queued"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
DUPLICATE = "duplicate"
CANCELLED = "cancelled"
DOC_STATES = (QUEUED, PROCESSING, DONE, FAILED, DUPLICATE, CANCELLED)

# Job states
JOB_QUEUED = "queued"
JOB_RUNNING = "running"
JOB_DONE = "done"
JOB_FAILED = "failed"
JOB_CANCELLED = "cancelled"

# Job kinds
JOB_EXTRACT = "extract"
JOB_EXPORT = "export"


def now() -> float:
    return time.time()


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Project(BaseModel):
    name = peewee.CharField(unique=True)
    folder = peewee.CharField(unique=True)  # relative to the home's projects/ dir
    drop_folder = peewee.CharField(null=True)  # absolute; None means PROJECT_DIR/inbox
    settings = JSONText(default=dict)  # limits, workers, watch settings (see settings.py)
    paused = peewee.BooleanField(default=False)
    created_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)


class Document(BaseModel):
    # AUTOINCREMENT: a purged document's id is never reused, so its tombstone events
    # (Event.document_id is a plain id) never mix with a later document's history.
    id = AutoIncrementField()
    project = peewee.ForeignKeyField(Project, backref="documents", on_delete="CASCADE")
    name = peewee.CharField()  # the original file's base name
    source_path = peewee.TextField(null=True)
    origin = peewee.CharField(default="cli")  # cli, tui, drop
    sha256 = peewee.CharField(index=True)
    size = peewee.BigIntegerField(default=0)
    kind = peewee.CharField(null=True)  # pdf, docx, text, records
    state = peewee.CharField(default=QUEUED, index=True)
    duplicate_of = peewee.ForeignKeyField(
        "self", null=True, backref="duplicates", on_delete="SET NULL"
    )
    error_code = peewee.CharField(null=True)
    error_message = peewee.TextField(null=True)
    hint = peewee.TextField(null=True)
    warnings = JSONText(default=list)  # [{"code", "level", "message", "hint"}]
    pages = peewee.IntegerField(null=True)  # total pages, known after the first look
    pages_done = peewee.IntegerField(default=0)
    chars = peewee.BigIntegerField(default=0)
    tokens = peewee.BigIntegerField(default=0)  # approximate (chars / 4)
    text_sha256 = peewee.CharField(null=True, index=True)
    excluded = peewee.BooleanField(default=False)
    tags = JSONText(default=list)
    password = peewee.TextField(null=True)  # for encrypted PDFs; never leaves the database
    extract_seconds = peewee.FloatField(default=0.0)
    created_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)
    started_at = peewee.FloatField(null=True)
    finished_at = peewee.FloatField(null=True)

    class Meta:
        indexes = ((("project", "sha256"), False), (("project", "state"), False))


class Page(BaseModel):
    """Extracted text of one page (a whole text file or DOCX is one page per section)."""

    document = peewee.ForeignKeyField(Document, backref="page_rows", on_delete="CASCADE")
    number = peewee.IntegerField()  # 1-based
    text = peewee.TextField(default="")
    chars = peewee.IntegerField(default=0)
    # Set when OCR read the page (``extract/ocr.py``): the engine ("rapidocr") and the mean
    # score of its lines (0-1). NULL: the text came from the file's own text layer.
    ocr_engine = peewee.CharField(null=True)
    ocr_confidence = peewee.FloatField(null=True)

    class Meta:
        indexes = ((("document", "number"), True),)


class Job(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="jobs", on_delete="CASCADE")
    document = peewee.ForeignKeyField(Document, null=True, backref="jobs", on_delete="CASCADE")
    kind = peewee.CharField(default="extract")  # extract, export
    state = peewee.CharField(default=JOB_QUEUED, index=True)
    priority = peewee.IntegerField(default=0)
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField(default=3)
    lease_owner = peewee.CharField(null=True)
    lease_expires = peewee.FloatField(null=True)
    not_before = peewee.FloatField(default=0.0)
    progress_done = peewee.IntegerField(default=0)
    progress_total = peewee.IntegerField(default=0)
    last_error = peewee.TextField(null=True)
    payload = JSONText(default=dict)
    created_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "state", "not_before"), False),)


class Event(BaseModel):
    """The append-only activity log and audit trail, hash-chained per project.

    ``project`` is a plain id, not a foreign key, so the audit of a deleted project's
    deletion and the tombstones of purged documents survive.
    """

    project_id = peewee.IntegerField(null=True, index=True)  # None: the home's own chain
    project_name = peewee.CharField(null=True)
    document_id = peewee.IntegerField(null=True, index=True)
    time = peewee.FloatField(default=now)
    level = peewee.CharField(default="info")  # debug, info, warning, error
    kind = peewee.CharField()  # e.g. document.added, task.done, export.done
    message = peewee.TextField(default="")
    data = JSONText(default=dict)
    actor = peewee.CharField(null=True)  # OS user name
    origin = peewee.CharField(null=True)  # cli, tui, drop, worker
    prev_hash = peewee.CharField(default="")
    hash = peewee.CharField(default="")
    # Restored events get new ids; this keeps the project_id/project_name/document_id
    # their hash was computed over, so the original chain still verifies (audit.py).
    hashed_as = JSONText(null=True)


class ExportConfig(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="export_configs", on_delete="CASCADE")
    name = peewee.CharField(default="default")
    config = JSONText(default=dict)
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "name"), True),)


class DatasetVersion(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="versions", on_delete="CASCADE")
    number = peewee.IntegerField()
    path = peewee.TextField()
    config = JSONText(default=dict)
    config_hash = peewee.CharField(default="")
    records_train = peewee.IntegerField(default=0)
    records_validation = peewee.IntegerField(default=0)
    tokens = peewee.BigIntegerField(default=0)
    bytes = peewee.BigIntegerField(default=0)
    documents = JSONText(default=list)  # ids and sha256 of every input document
    dropped = JSONText(default=dict)
    created_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "number"), True),)


class DropFile(BaseModel):
    """One version (path, size, mtime) of a file the drop-folder watcher claimed.

    The unique index is the claim: two watchers on one project (say the TUI and a
    ``loratui watch``) both try to insert the row, and only the one that succeeds adds it.
    """

    project = peewee.ForeignKeyField(Project, backref="drop_files", on_delete="CASCADE")
    rel_path = peewee.TextField()  # relative to the drop folder, with "/" separators
    size = peewee.BigIntegerField()
    mtime_ns = peewee.BigIntegerField()
    sha256 = peewee.CharField(null=True)
    document = peewee.ForeignKeyField(
        Document, null=True, backref="drop_files", on_delete="SET NULL"
    )
    state = peewee.CharField(default="claimed")  # claimed, queued, duplicate, failed, skipped
    reason = peewee.TextField(null=True)
    owner = peewee.CharField(null=True)  # host:pid:token of the watcher holding the claim
    taken_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "rel_path", "size", "mtime_ns"), True),)


ALL_MODELS = [Project, Document, Page, Job, Event, ExportConfig, DatasetVersion, DropFile]
