"""Migrations: a database built at every old version and upgraded has the schema of a fresh
one and keeps its rows; the models agree with that schema; no shipped step ever changes.

How to extend this file when adding a migration: see ``loratui/core/store/migrations.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee
import pytest

from loratui.core.store import db, home, migrations, models

# sha256 of each shipped step's statements, joined by newlines. A step that has shipped is
# history: databases in the wild were made by it, so its text never changes.
STEP_SHA256 = {
    1: "18f7cac78647d410db9f5f892c7c9060621761d69a2b49cc2b67223dffde4c0e",
    2: "86cd15a026fa9816f79282a1cc496138d444dc1a4224794a0534bfce5004bb2d",
    3: "faf2328340b11e58c4ac812503ee3a5b5d312bd9bb942abcfe422bd2eca62e8e",
    4: "0e36f37a1f5d64f62879ad6c5bcbded300d487cdb617346b069c4e809d1254be",
    5: "6e9918b4462b58423404cb6f2a5b618c25ebb4723e887d9449802e7f9c32b460",
}

# Rows inserted right after a database reaches each version, in that version's schema
# (plain SQL: the models follow the newest schema, these stay as they were).
SEED: dict[int, list[str]] = {
    1: [
        """INSERT INTO "project" VALUES (1, 'Contracts', 'contracts', NULL,
        '{"workers": 2}', 0, 1700000000.0, 1700000001.0)""",
        """INSERT INTO "document" VALUES (7, 1, 'lease.pdf', '/data/lease.pdf', 'cli',
        'ab12', 2048, 'pdf', 'done', NULL, NULL, NULL, NULL, '[]', 3, 3, 900, 225,
        'cd34', 0, '["legal"]', NULL, 0.25, 1700000002.0, 1700000003.0, 1700000004.0,
        1700000005.0)""",
        """INSERT INTO "document" VALUES (8, 1, 'lease copy.pdf', NULL, 'drop', 'ab12', 2048,
        'pdf', 'duplicate', 7, NULL, NULL, NULL, '[]', NULL, 0, 0, 0, NULL, 0, '[]', NULL,
        0.0, 1700000006.0, 1700000006.0, NULL, NULL)""",
        """INSERT INTO "page" VALUES (1, 7, 1, 'Article 1. The tenant pays on time.', 35)""",
        """INSERT INTO "job" VALUES (3, 1, 7, 'extract', 'done', 0, 1, 3, NULL, NULL, 0.0,
        3, 3, NULL, '{"pages": [1, 3]}', 1700000002.0, 1700000004.0)""",
        """INSERT INTO "event" VALUES (11, 1, 'Contracts', 7, 1700000002.0, 'info',
        'document.added', 'added lease.pdf', '{}', 'ana', 'cli', '', 'e0f1', NULL)""",
        """INSERT INTO "exportconfig" VALUES (1, 1, 'default', '{"format": "chatml"}',
        1700000007.0)""",
        """INSERT INTO "datasetversion" VALUES (1, 1, 1, '/exports/v1', '{}', 'h1', 10, 2,
        4000, 9000, '[{"id": 7}]', '{}', 1700000008.0)""",
        """INSERT INTO "dropfile" VALUES (1, 1, 'inbox/lease copy.pdf', 2048, 17, 'ab12', 8,
        'duplicate', NULL, NULL, 1700000006.0)""",
        """UPDATE "sqlite_sequence" SET seq = 40 WHERE name = 'document'""",
    ],
    2: [
        """INSERT INTO "generationconfig" VALUES (1, 1, 'default', '{"model": "m"}',
        1700000009.0)""",
        """INSERT INTO "generationrun" VALUES (1, 1, 'http://127.0.0.1:8000/v1', 'm', 'qa',
        'tv', 'sh', 'done', NULL, 1, 1, 0, 120, 40, 0, NULL, NULL, 1700000010.0,
        1700000011.0, 1700000011.0)""",
        """INSERT INTO "generationrequest" VALUES (1, 1, 7, 1, 'k1', 'pairs', 0, 0, 35, 'm',
        'answered', 1, 120, 40, 'json_schema', 'stop', '{"pairs": []}', NULL, NULL, NULL,
        1700000010.0, 1700000011.0, 1700000011.0)""",
        """INSERT INTO "generationattempt" VALUES (1, 1, 1, 1, 200, 0.5, 120, 40, NULL, NULL,
        NULL, 'json_schema', 1700000011.0)""",
        """INSERT INTO "generatedpair" VALUES (1, 1, 7, 1, 'ab12', 0, 0, 35, '[1]', NULL,
        'Who pays on time?', 'The tenant pays on time.', 'kept', NULL, NULL, 0.9, NULL, 'm',
        'tv', 'k1', NULL, NULL, 1700000011.0, 1700000011.0)""",
    ],
    3: [
        """INSERT INTO "page" VALUES (2, 7, 2, 'Article 2. Scanned.', 19, 'rapidocr', 0.93)""",
    ],
    4: [
        """INSERT INTO "page" VALUES (3, 7, 3, 'Article 3. Read.', 16, NULL, NULL, 'pypdf')""",
    ],
}

LATEST = len(migrations.MIGRATIONS)


def open_db(path: Path) -> peewee.SqliteDatabase:
    database = peewee.SqliteDatabase(str(path), pragmas=db.PRAGMAS)
    database.connect()
    return database


def build_at(path: Path, version: int) -> peewee.SqliteDatabase:
    """A database taken to ``version`` by the frozen steps, with each version's rows."""
    database = open_db(path)
    for number in range(1, version + 1):
        assert migrations.migrate(database, to=number) == number
        for statement in SEED.get(number, []):
            database.execute_sql(statement)
    return database


def master(database: peewee.SqliteDatabase) -> list[tuple[str, str, str, str]]:
    """The schema as SQLite keeps it: every table and index with its SQL text."""
    return database.execute_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()


def shape(database: peewee.SqliteDatabase) -> dict[str, Any]:
    """Columns (in order), indexes and foreign keys of every table: what the models and the
    migrations must agree on, whatever SQL text each wrote it with."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return database.execute_sql(sql).fetchall()

    out: dict[str, Any] = {}
    names = rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    for (table,) in names:
        if table.startswith("sqlite_"):
            continue
        indexes = {}
        for _seq, name, unique, origin, _partial in rows(f'PRAGMA index_list("{table}")'):
            if origin == "pk":
                continue
            cols = [c for _n, _cid, c in rows(f'PRAGMA index_info("{name}")')]
            indexes[name] = (unique, cols)
        out[table] = {
            "columns": [
                (name, type_, notnull, pk)
                for _cid, name, type_, notnull, _default, pk in rows(
                    f'PRAGMA table_info("{table}")'
                )
            ],
            "indexes": indexes,
            "foreign_keys": sorted(
                (fk[2], fk[3], fk[4], fk[5], fk[6])
                for fk in rows(f'PRAGMA foreign_key_list("{table}")')
            ),
        }
    return out


def contents(database: peewee.SqliteDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as {column: value}."""
    out = {}
    for (table,) in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall():
        cursor = database.execute_sql(f'SELECT * FROM "{table}" ORDER BY rowid')
        cols = [d[0] for d in cursor.description]
        out[table] = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
    return out


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[peewee.SqliteDatabase]:
    database = build_at(tmp_path / "fresh.db", 0)
    migrations.migrate(database)
    yield database
    database.close()


def test_every_shipped_step_is_unchanged() -> None:
    got = {
        number: hashlib.sha256("\n".join(step).encode()).hexdigest()
        for number, step in enumerate(migrations.MIGRATIONS, start=1)
    }
    assert got == STEP_SHA256, "a shipped migration changed, or a new one has no hash here"


@pytest.mark.parametrize("version", range(LATEST + 1))
def test_a_database_at_every_old_version_upgrades_to_the_fresh_schema(
    tmp_path: Path, fresh: peewee.SqliteDatabase, version: int
) -> None:
    database = build_at(tmp_path / "old.db", version)
    assert migrations.user_version(database) == version
    before = contents(database)

    assert migrations.migrate(database) == LATEST

    assert master(database) == master(fresh)
    after = contents(database)
    for table, rows in before.items():
        kept = [{k: row[k] for k in old} for row, old in zip(after[table], rows, strict=True)]
        assert kept == rows, f"rows of {table} changed in the upgrade from v{version}"
    if version >= 1:
        assert after["document"][0]["name"] == "lease.pdf"  # the seed really was there
    database.close()


@pytest.mark.parametrize("version", range(LATEST + 1))
def test_opening_a_home_upgrades_its_database(
    tmp_path: Path, fresh: peewee.SqliteDatabase, version: int
) -> None:
    path = tmp_path / "home"
    path.mkdir()
    build_at(path / home.DB_NAME, version).close()
    try:
        home.open_home(path)
        assert migrations.user_version(db.database.obj) == LATEST
        assert master(db.database.obj) == master(fresh)
        if version >= 1:
            doc = models.Document.get_by_id(7)
            assert (doc.name, doc.tags, doc.project.settings) == (
                "lease.pdf",
                ["legal"],
                {"workers": 2},
            )
    finally:
        home.close_home()


def test_the_models_agree_with_the_migrated_schema(
    tmp_path: Path, fresh: peewee.SqliteDatabase
) -> None:
    """A field added to a model without its migration (or the reverse) fails here."""
    from_models = open_db(tmp_path / "models.db")
    models.database.initialize(from_models)
    try:
        from_models.create_tables(models.ALL_MODELS)
        assert shape(fresh) == shape(from_models)
    finally:
        from_models.close()


def test_migrating_twice_changes_nothing(fresh: peewee.SqliteDatabase) -> None:
    schema = master(fresh)
    assert migrations.migrate(fresh) == LATEST
    assert master(fresh) == schema
