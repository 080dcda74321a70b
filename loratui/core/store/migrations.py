"""The schema's history: numbered, frozen steps that bring any loratui database up to date.

A database's ``PRAGMA user_version`` is the number of steps applied to it; opening a home
(``home.open_home``) applies the missing ones in one transaction. Each step is the SQL it
ran when it shipped, written out here, never derived from ``models.py``: the models say
what the code reads and writes today, a step says how a database of one version became the
next. Derived steps would make a database created fresh and one upgraded from an older
version differ as soon as a model changed.

How to add a migration (a new table, a new column):

1. Change the model in ``models.py`` as the code should see it. Add new fields at the end
   of a model: ``ALTER TABLE ... ADD COLUMN`` appends, and the schema test compares the
   columns in order.
2. Append one step to ``MIGRATIONS``: a tuple of SQL statements from the previous version
   to the new one. For a new table, take the statements peewee writes for the model::

       import peewee
       from loratui.core.store import models
       db = peewee.SqliteDatabase(":memory:")
       models.database.initialize(db)
       db.create_tables([models.NewTable])
       print(*(s for (s,) in db.execute_sql("SELECT sql FROM sqlite_master")), sep="\n")

   For a column: ``ALTER TABLE "document" ADD COLUMN "x" INTEGER NOT NULL DEFAULT 0``
   (SQLite needs a default to add a ``NOT NULL`` column). A step may also move data
   (``UPDATE``/``INSERT ... SELECT``); a change SQLite cannot make in place (dropping a
   constraint, changing a type) is the documented rebuild: create the new table, copy the
   rows, drop the old one, rename.
3. Never edit a step that has shipped, not even its spacing: databases in the wild were
   made by it. ``tests/unit/test_migrations.py`` holds each step's hash and fails when one
   changes; add the new step's hash there, and, if it moves data, rows to seed at the
   version before it. The test builds a database at every old version, upgrades it, and
   checks its schema equals a fresh one's, that the models agree with it, and that the
   rows survive.
"""

from __future__ import annotations

import peewee

# Version 1, as ``create_tables`` wrote it for the first release (peewee's own text, which
# is also what SQLite keeps in ``sqlite_master``).
_V1_TABLES = (
    'CREATE TABLE "project" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"name" VARCHAR(255) NOT NULL, '
    '"folder" VARCHAR(255) NOT NULL, '
    '"drop_folder" VARCHAR(255), '
    '"settings" TEXT NOT NULL, '
    '"paused" INTEGER NOT NULL, '
    '"created_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL)',
    'CREATE UNIQUE INDEX "project_name" ON "project" ("name")',
    'CREATE UNIQUE INDEX "project_folder" ON "project" ("folder")',
    'CREATE TABLE "datasetversion" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"number" INTEGER NOT NULL, '
    '"path" TEXT NOT NULL, '
    '"config" TEXT NOT NULL, '
    '"config_hash" VARCHAR(255) NOT NULL, '
    '"records_train" INTEGER NOT NULL, '
    '"records_validation" INTEGER NOT NULL, '
    '"tokens" INTEGER NOT NULL, '
    '"bytes" INTEGER NOT NULL, '
    '"documents" TEXT NOT NULL, '
    '"dropped" TEXT NOT NULL, '
    '"created_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "datasetversion_project_id" ON "datasetversion" ("project_id")',
    'CREATE UNIQUE INDEX "datasetversion_project_id_number" '
    'ON "datasetversion" ("project_id", "number")',
    'CREATE TABLE "document" ('
    '"id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, '
    '"project_id" INTEGER NOT NULL, '
    '"name" VARCHAR(255) NOT NULL, '
    '"source_path" TEXT, '
    '"origin" VARCHAR(255) NOT NULL, '
    '"sha256" VARCHAR(255) NOT NULL, '
    '"size" INTEGER NOT NULL, '
    '"kind" VARCHAR(255), '
    '"state" VARCHAR(255) NOT NULL, '
    '"duplicate_of_id" INTEGER, '
    '"error_code" VARCHAR(255), '
    '"error_message" TEXT, '
    '"hint" TEXT, '
    '"warnings" TEXT NOT NULL, '
    '"pages" INTEGER, '
    '"pages_done" INTEGER NOT NULL, '
    '"chars" INTEGER NOT NULL, '
    '"tokens" INTEGER NOT NULL, '
    '"text_sha256" VARCHAR(255), '
    '"excluded" INTEGER NOT NULL, '
    '"tags" TEXT NOT NULL, '
    '"password" TEXT, '
    '"extract_seconds" REAL NOT NULL, '
    '"created_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    '"started_at" REAL, '
    '"finished_at" REAL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("duplicate_of_id") REFERENCES "document" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "document_project_id" ON "document" ("project_id")',
    'CREATE INDEX "document_sha256" ON "document" ("sha256")',
    'CREATE INDEX "document_state" ON "document" ("state")',
    'CREATE INDEX "document_duplicate_of_id" ON "document" ("duplicate_of_id")',
    'CREATE INDEX "document_text_sha256" ON "document" ("text_sha256")',
    'CREATE INDEX "document_project_id_sha256" ON "document" ("project_id", "sha256")',
    'CREATE INDEX "document_project_id_state" ON "document" ("project_id", "state")',
    'CREATE TABLE "dropfile" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"rel_path" TEXT NOT NULL, '
    '"size" INTEGER NOT NULL, '
    '"mtime_ns" INTEGER NOT NULL, '
    '"sha256" VARCHAR(255), '
    '"document_id" INTEGER, '
    '"state" VARCHAR(255) NOT NULL, '
    '"reason" TEXT, '
    '"owner" VARCHAR(255), '
    '"taken_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "dropfile_project_id" ON "dropfile" ("project_id")',
    'CREATE INDEX "dropfile_document_id" ON "dropfile" ("document_id")',
    'CREATE UNIQUE INDEX "dropfile_project_id_rel_path_size_mtime_ns" '
    'ON "dropfile" ("project_id", "rel_path", "size", "mtime_ns")',
    'CREATE TABLE "event" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER, '
    '"project_name" VARCHAR(255), '
    '"document_id" INTEGER, '
    '"time" REAL NOT NULL, '
    '"level" VARCHAR(255) NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, '
    '"message" TEXT NOT NULL, '
    '"data" TEXT NOT NULL, '
    '"actor" VARCHAR(255), '
    '"origin" VARCHAR(255), '
    '"prev_hash" VARCHAR(255) NOT NULL, '
    '"hash" VARCHAR(255) NOT NULL, '
    '"hashed_as" TEXT)',
    'CREATE INDEX "event_project_id" ON "event" ("project_id")',
    'CREATE INDEX "event_document_id" ON "event" ("document_id")',
    'CREATE TABLE "exportconfig" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"name" VARCHAR(255) NOT NULL, '
    '"config" TEXT NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "exportconfig_project_id" ON "exportconfig" ("project_id")',
    'CREATE UNIQUE INDEX "exportconfig_project_id_name" ON "exportconfig" ("project_id", "name")',
    'CREATE TABLE "job" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"document_id" INTEGER, '
    '"kind" VARCHAR(255) NOT NULL, '
    '"state" VARCHAR(255) NOT NULL, '
    '"priority" INTEGER NOT NULL, '
    '"attempts" INTEGER NOT NULL, '
    '"max_attempts" INTEGER NOT NULL, '
    '"lease_owner" VARCHAR(255), '
    '"lease_expires" REAL, '
    '"not_before" REAL NOT NULL, '
    '"progress_done" INTEGER NOT NULL, '
    '"progress_total" INTEGER NOT NULL, '
    '"last_error" TEXT, '
    '"payload" TEXT NOT NULL, '
    '"created_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "job_project_id" ON "job" ("project_id")',
    'CREATE INDEX "job_document_id" ON "job" ("document_id")',
    'CREATE INDEX "job_state" ON "job" ("state")',
    'CREATE INDEX "job_project_id_state_not_before" ON "job" ("project_id", "state", "not_before")',
    'CREATE TABLE "page" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"document_id" INTEGER NOT NULL, '
    '"number" INTEGER NOT NULL, '
    '"text" TEXT NOT NULL, '
    '"chars" INTEGER NOT NULL, '
    'FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "page_document_id" ON "page" ("document_id")',
    'CREATE UNIQUE INDEX "page_document_id_number" ON "page" ("document_id", "number")',
)

# Version 2: Q/A generation (core/generation): its settings, runs, the request ledger,
# every HTTP try, and the pairs.
_V2_GENERATION = (
    'CREATE TABLE "generationconfig" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"name" VARCHAR(255) NOT NULL, '
    '"config" TEXT NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "generationconfig_project_id" ON "generationconfig" ("project_id")',
    'CREATE UNIQUE INDEX "generationconfig_project_id_name" '
    'ON "generationconfig" ("project_id", "name")',
    'CREATE TABLE "generationrun" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"endpoint" TEXT NOT NULL, '
    '"model" VARCHAR(255) NOT NULL, '
    '"template" VARCHAR(255) NOT NULL, '
    '"template_version" VARCHAR(255) NOT NULL, '
    '"settings_hash" VARCHAR(255) NOT NULL, '
    '"state" VARCHAR(255) NOT NULL, '
    '"owner" VARCHAR(255), '
    '"chunks" INTEGER NOT NULL, '
    '"requests" INTEGER NOT NULL, '
    '"retries" INTEGER NOT NULL, '
    '"tokens_in" INTEGER NOT NULL, '
    '"tokens_out" INTEGER NOT NULL, '
    '"reused" INTEGER NOT NULL, '
    '"error_code" VARCHAR(255), '
    '"error_message" TEXT, '
    '"started_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    '"finished_at" REAL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "generationrun_project_id" ON "generationrun" ("project_id")',
    'CREATE TABLE "generationrequest" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"document_id" INTEGER NOT NULL, '
    '"run_id" INTEGER, '
    '"key" VARCHAR(255) NOT NULL, '
    '"kind" VARCHAR(255) NOT NULL, '
    '"chunk" INTEGER NOT NULL, '
    '"span_start" INTEGER NOT NULL, '
    '"span_end" INTEGER NOT NULL, '
    '"model" VARCHAR(255) NOT NULL, '
    '"state" VARCHAR(255) NOT NULL, '
    '"attempts" INTEGER NOT NULL, '
    '"tokens_in" INTEGER, '
    '"tokens_out" INTEGER, '
    '"response_format" VARCHAR(255), '
    '"finish_reason" VARCHAR(255), '
    '"content" TEXT, '
    '"reasoning" TEXT, '
    '"error_code" VARCHAR(255), '
    '"error_message" TEXT, '
    '"created_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    '"answered_at" REAL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("run_id") REFERENCES "generationrun" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "generationrequest_project_id" ON "generationrequest" ("project_id")',
    'CREATE INDEX "generationrequest_document_id" ON "generationrequest" ("document_id")',
    'CREATE INDEX "generationrequest_run_id" ON "generationrequest" ("run_id")',
    'CREATE UNIQUE INDEX "generationrequest_project_id_key" '
    'ON "generationrequest" ("project_id", "key")',
    'CREATE INDEX "generationrequest_project_id_state" '
    'ON "generationrequest" ("project_id", "state")',
    'CREATE TABLE "generationattempt" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"request_id" INTEGER NOT NULL, '
    '"run_id" INTEGER, '
    '"number" INTEGER NOT NULL, '
    '"status" INTEGER, '
    '"seconds" REAL NOT NULL, '
    '"tokens_in" INTEGER, '
    '"tokens_out" INTEGER, '
    '"error" VARCHAR(255), '
    '"message" TEXT, '
    '"retry_in" REAL, '
    '"response_format" VARCHAR(255) NOT NULL, '
    '"at" REAL NOT NULL, '
    'FOREIGN KEY ("request_id") REFERENCES "generationrequest" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("run_id") REFERENCES "generationrun" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "generationattempt_request_id" ON "generationattempt" ("request_id")',
    'CREATE INDEX "generationattempt_run_id" ON "generationattempt" ("run_id")',
    'CREATE TABLE "generatedpair" ('
    '"id" INTEGER NOT NULL PRIMARY KEY, '
    '"project_id" INTEGER NOT NULL, '
    '"document_id" INTEGER NOT NULL, '
    '"request_id" INTEGER, '
    '"document_sha256" VARCHAR(255) NOT NULL, '
    '"chunk" INTEGER NOT NULL, '
    '"span_start" INTEGER NOT NULL, '
    '"span_end" INTEGER NOT NULL, '
    '"pages" TEXT NOT NULL, '
    '"heading" TEXT, '
    '"question" TEXT NOT NULL, '
    '"answer" TEXT NOT NULL, '
    '"state" VARCHAR(255) NOT NULL, '
    '"reason_code" VARCHAR(255), '
    '"reason" TEXT, '
    '"support" REAL, '
    '"judge_score" REAL, '
    '"model" VARCHAR(255) NOT NULL, '
    '"template_version" VARCHAR(255) NOT NULL, '
    '"request_key" VARCHAR(255) NOT NULL, '
    '"original_question" TEXT, '
    '"original_answer" TEXT, '
    '"created_at" REAL NOT NULL, '
    '"updated_at" REAL NOT NULL, '
    'FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("request_id") REFERENCES "generationrequest" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "generatedpair_project_id" ON "generatedpair" ("project_id")',
    'CREATE INDEX "generatedpair_document_id" ON "generatedpair" ("document_id")',
    'CREATE INDEX "generatedpair_request_id" ON "generatedpair" ("request_id")',
    'CREATE INDEX "generatedpair_project_id_state" ON "generatedpair" ("project_id", "state")',
)

# Version 3: pages read by OCR say so (``extract/ocr.py``): the engine's name and its mean
# line score; both NULL for a page whose text came from the file's own text layer.
_V3_PAGE_OCR = (
    'ALTER TABLE "page" ADD COLUMN "ocr_engine" VARCHAR(255)',
    'ALTER TABLE "page" ADD COLUMN "ocr_confidence" REAL',
)

# Version 4: which engine read a page's text layer (``kinds/pdf.py``: "pypdfium2" or
# "pypdf", the other one taking over when the first fails or garbles), and on the document
# the engines of its pages, most pages first ("pypdfium2", "pypdfium2+pypdf"). NULL for
# kinds with one reader and for documents extracted before.
_V4_ENGINE = (
    'ALTER TABLE "page" ADD COLUMN "engine" VARCHAR(255)',
    'ALTER TABLE "document" ADD COLUMN "engine" VARCHAR(255)',
)

# Version 5: indexes that keep the cost of a document flat as a project grows (issue 15):
# the "same text as another document" check of every completion looked at every done
# document of the project, and every claim sorted all queued jobs for its ORDER BY.
_V5_SCALE_INDEXES = (
    'CREATE INDEX "document_project_id_text_sha256" ON "document" ("project_id", "text_sha256")',
    'CREATE INDEX "job_runnable" ON "job" ("project_id", "state", "priority" DESC, "id")',
)

# Append new steps here; never edit one that has shipped (see the docstring).
MIGRATIONS: list[tuple[str, ...]] = [
    _V1_TABLES,
    _V2_GENERATION,
    _V3_PAGE_OCR,
    _V4_ENGINE,
    _V5_SCALE_INDEXES,
]


def user_version(db: peewee.SqliteDatabase) -> int:
    """How many steps of ``MIGRATIONS`` the database has had."""
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def migrate(db: peewee.SqliteDatabase, to: int | None = None) -> int:
    """Apply the steps above the database's version, up to ``to`` (all when ``None``), in
    one transaction; return the version it is at now."""
    target = len(MIGRATIONS) if to is None else to
    with db.atomic("IMMEDIATE"):
        current = user_version(db)
        for number, step in enumerate(MIGRATIONS[:target], start=1):
            if number > current:
                for statement in step:
                    db.execute_sql(statement)
                db.execute_sql(f"PRAGMA user_version = {number}")
        return user_version(db)
