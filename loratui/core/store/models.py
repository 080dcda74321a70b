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
JOB_GENERATE = "generate"  # one chunk of a document to turn into pairs (core/generation)
JOB_RUN = "run"  # a command running on another engine (core/scale/runs.py): no document
# a generate job whose answer could not be read even after the repair request
JOB_QUARANTINED = "quarantined"

# Generation request states (the ledger) and pair states
REQ_IN_FLIGHT = "in_flight"  # committed before the request is sent
REQ_ANSWERED = "answered"  # the answer is stored: never asked again
REQ_FAILED = "failed"  # no answer (the last error is kept): asked again by a later run
REQ_QUARANTINED = "quarantined"  # answered, but the answer could not be read
REQ_STATES = (REQ_IN_FLIGHT, REQ_ANSWERED, REQ_FAILED, REQ_QUARANTINED)
PAIR_KEPT = "kept"
PAIR_REJECTED = "rejected"
PAIR_EDITED = "edited"
PAIR_STATES = (PAIR_KEPT, PAIR_REJECTED, PAIR_EDITED)


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
    # The engines that read its pages' text layer, most pages first ("pypdfium2",
    # "pypdfium2+pypdf"); NULL for kinds with a single reader (migration step 4).
    engine = peewee.CharField(null=True)

    class Meta:
        indexes = (
            (("project", "sha256"), False),
            (("project", "state"), False),
            (("project", "text_sha256"), False),
        )


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
    # The engine that read the text layer of a PDF page ("pypdfium2", "pypdf"; step 4).
    engine = peewee.CharField(null=True)

    class Meta:
        indexes = ((("document", "number"), True),)


class Job(BaseModel):
    project = peewee.ForeignKeyField(Project, backref="jobs", on_delete="CASCADE")
    document = peewee.ForeignKeyField(Document, null=True, backref="jobs", on_delete="CASCADE")
    kind = peewee.CharField(default="extract")  # extract, export, generate
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


# The claim's order (``queue._RUNNABLE_SQL``), walked in the index instead of sorted.
Job.add_index(Job.project, Job.state, Job.priority.desc(), Job.id, name="job_runnable")


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


class GenerationConfig(BaseModel):
    """A project's generation settings (``generation.settings``), like ``ExportConfig``."""

    project = peewee.ForeignKeyField(Project, backref="generation_configs", on_delete="CASCADE")
    name = peewee.CharField(default="default")
    config = JSONText(default=dict)
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "name"), True),)


class GenerationRun(BaseModel):
    """One ``generate`` run: where it asked, what, and what came of it (never the API key)."""

    project = peewee.ForeignKeyField(Project, backref="generation_runs", on_delete="CASCADE")
    endpoint = peewee.TextField()  # the base URL as display_url shows it (no user:password)
    model = peewee.CharField()
    template = peewee.CharField()
    template_version = peewee.CharField()
    settings_hash = peewee.CharField()
    state = peewee.CharField(default="running")  # running, done, stopped, failed
    owner = peewee.CharField(null=True)  # host:pid:token of the process running it
    chunks = peewee.IntegerField(default=0)  # chunks in the run's plan
    requests = peewee.IntegerField(default=0)  # HTTP requests sent (tries)
    retries = peewee.IntegerField(default=0)
    tokens_in = peewee.BigIntegerField(default=0)
    tokens_out = peewee.BigIntegerField(default=0)
    reused = peewee.IntegerField(default=0)  # answers taken from the ledger, not asked
    error_code = peewee.CharField(null=True)
    error_message = peewee.TextField(null=True)
    started_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)
    finished_at = peewee.FloatField(null=True)


class GenerationRequest(BaseModel):
    """The ledger: one row per distinct request, keyed by ``request_key``. A row is
    committed ``in_flight`` before the request is sent; an ``answered`` one is never sent
    again. The raw answer is kept (quarantine, audit, re-parsing)."""

    project = peewee.ForeignKeyField(Project, backref="generation_requests", on_delete="CASCADE")
    document = peewee.ForeignKeyField(Document, backref="generation_requests", on_delete="CASCADE")
    run = peewee.ForeignKeyField(GenerationRun, null=True, on_delete="SET NULL")
    key = peewee.CharField()
    kind = peewee.CharField(default="pairs")  # pairs, judge
    chunk = peewee.IntegerField()
    span_start = peewee.IntegerField()
    span_end = peewee.IntegerField()
    model = peewee.CharField()
    state = peewee.CharField(default=REQ_IN_FLIGHT)
    attempts = peewee.IntegerField(default=0)  # HTTP tries, over every run
    tokens_in = peewee.IntegerField(null=True)
    tokens_out = peewee.IntegerField(null=True)
    response_format = peewee.CharField(null=True)  # the mode of the try that answered
    finish_reason = peewee.CharField(null=True)
    content = peewee.TextField(null=True)
    reasoning = peewee.TextField(null=True)
    error_code = peewee.CharField(null=True)
    error_message = peewee.TextField(null=True)
    created_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)
    answered_at = peewee.FloatField(null=True)

    class Meta:
        indexes = ((("project", "key"), True), (("project", "state"), False))


class GenerationAttempt(BaseModel):
    """One HTTP request as it went (``client.Attempt``), for retries and errors by kind."""

    request = peewee.ForeignKeyField(GenerationRequest, backref="attempt_rows", on_delete="CASCADE")
    run = peewee.ForeignKeyField(GenerationRun, null=True, on_delete="SET NULL")
    number = peewee.IntegerField()
    status = peewee.IntegerField(null=True)
    seconds = peewee.FloatField()
    tokens_in = peewee.IntegerField(null=True)
    tokens_out = peewee.IntegerField(null=True)
    error = peewee.CharField(null=True)
    message = peewee.TextField(null=True)
    retry_in = peewee.FloatField(null=True)
    response_format = peewee.CharField()
    at = peewee.FloatField(default=now)


class GeneratedPair(BaseModel):
    """A question/answer (or instruction/response) pair with its provenance and state."""

    project = peewee.ForeignKeyField(Project, backref="pairs", on_delete="CASCADE")
    document = peewee.ForeignKeyField(Document, backref="pairs", on_delete="CASCADE")
    request = peewee.ForeignKeyField(GenerationRequest, null=True, on_delete="SET NULL")
    document_sha256 = peewee.CharField()
    chunk = peewee.IntegerField()
    span_start = peewee.IntegerField()
    span_end = peewee.IntegerField()
    pages = JSONText(default=list)
    heading = peewee.TextField(null=True)
    question = peewee.TextField()
    answer = peewee.TextField()
    state = peewee.CharField(default=PAIR_KEPT)
    reason_code = peewee.CharField(null=True)
    reason = peewee.TextField(null=True)
    support = peewee.FloatField(null=True)
    judge_score = peewee.FloatField(null=True)
    model = peewee.CharField()
    template_version = peewee.CharField()
    request_key = peewee.CharField()
    original_question = peewee.TextField(null=True)  # before the first edit
    original_answer = peewee.TextField(null=True)
    created_at = peewee.FloatField(default=now)
    updated_at = peewee.FloatField(default=now)

    class Meta:
        indexes = ((("project", "state"), False),)


ALL_MODELS = [
    Project,
    Document,
    Page,
    Job,
    Event,
    ExportConfig,
    DatasetVersion,
    DropFile,
    GenerationConfig,
    GenerationRun,
    GenerationRequest,
    GenerationAttempt,
    GeneratedPair,
]
GENERATION_MODELS = [
    GenerationConfig,
    GenerationRun,
    GenerationRequest,
    GenerationAttempt,
    GeneratedPair,
]
