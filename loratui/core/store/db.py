"""The one SQLite database of a loratui home, opened through Peewee.

WAL so readers (the TUI) never wait on the writer (the worker), a busy timeout so two
processes on one project queue up instead of failing, foreign keys on. Its schema is
brought up to date by ``migrations.py`` when the home is opened (``home.open_home``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import peewee

from loratui.core.errors import LoratuiError

database = peewee.DatabaseProxy()

BUSY_TIMEOUT_S = 30.0
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": int(BUSY_TIMEOUT_S * 1000),
    "cache_size": -16000,
}


class JSONText(peewee.TextField):
    """JSON stored as text: readable with the sqlite3 shell, no extension needed."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


def connect(path: Path) -> peewee.SqliteDatabase:
    """Open (creating if needed) the database at ``path`` as this process's ``database``.

    Its schema is left as it is: ``home.open_home`` migrates it; an export worker process
    opens a database its parent has opened already."""
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=BUSY_TIMEOUT_S)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    return db


def is_busy(exc: Exception) -> bool:
    """Whether a database failure is another process's lock (worth waiting out), not a full
    disk or a damaged file (which waiting does not cure)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def explain(exc: Exception) -> LoratuiError:
    """A database failure (``peewee.DatabaseError`` or ``sqlite3.DatabaseError``) as an error
    a person can act on: a damaged file, a lock held too long, a full disk."""
    text = str(exc).strip() or type(exc).__name__
    where = database.obj.database if database.obj is not None else "loratui.db"
    lowered = text.lower()
    if is_busy(exc):
        return LoratuiError("db_busy", f"the database {where} stayed locked ({text})")
    if "disk is full" in lowered or "disk i/o" in lowered:
        return LoratuiError(
            "io_error",
            f"could not write the database {where} ({text})",
            "free some disk space (`df -h`), then run the command again",
        )
    return LoratuiError("db_damaged", f"the database {where} is damaged or unreadable ({text})")


def close() -> None:
    """Close this thread's connection, if any (tests open many homes in one process)."""
    obj = database.obj
    if obj is not None and not obj.is_closed():
        obj.close()


@contextmanager
def write_txn() -> Iterator[None]:
    """A short write transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    Starting deferred and upgrading later can fail at once with SQLITE_BUSY in WAL mode
    when another process committed in between; taking the lock first lets the busy
    timeout do its job. Nested calls become savepoints.

    When SQLite has already rolled the transaction back itself (a full disk, an I/O error),
    Peewee's own rollback fails with "cannot rollback - no transaction is active"; the
    original error is the one raised, since it says what happened.
    """
    txn = database.atomic("IMMEDIATE")
    txn.__enter__()
    try:
        yield
    except BaseException as exc:
        try:
            txn.__exit__(type(exc), exc, exc.__traceback__)
        except peewee.DatabaseError:
            pass  # the rollback failed because there was nothing left to roll back
        raise
    try:
        txn.__exit__(None, None, None)  # commit
    except peewee.DatabaseError as exc:
        # a failed commit, then a failed rollback: raise the commit's error
        cause: BaseException | None = exc
        while cause is not None and "no transaction is active" in str(cause):
            cause = cause.__context__
        if cause is not None and cause is not exc and isinstance(cause, peewee.DatabaseError):
            raise cause from None
        raise
