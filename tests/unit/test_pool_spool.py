"""Large extraction results come back through private spool files (not one long pipe
message a killed worker could leave half-written); small ones through the pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loratui.core import extract
from loratui.core.jobs import spool as pool_spool
from loratui.core.jobs.pool import ExtractionPool, extract_range


async def test_large_and_small_results_round_trip_and_leave_no_file(
    home: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    pages = [f"Page {n}: " + "lorem ipsum dolor sit amet " * 400 for n in range(1, 6)]
    big.write_text("\f".join(pages))
    small = tmp_path / "small.txt"
    small.write_text("a short note")
    pool = ExtractionPool(1, task_timeout_s=60.0, max_memory_mb=0)
    seen_in_spool: list[list[str]] = []
    try:
        got = await pool.run(extract_range, str(big), "text", 1, 5, None, {})
        assert pool._spool is not None
        seen_in_spool.append(sorted(p.name for p in pool._spool.iterdir()))
        tiny = await pool.run(extract_range, str(small), "text", 1, 1, None, {})
        spool = pool._spool
        assert spool.parent == home / "tmp" and (spool.stat().st_mode & 0o777) == 0o700
    finally:
        pool.close(kill=True)
    assert got == extract.extract_pages(str(big), "text", 1, 5, None, {})
    assert len("".join(t for _, t in got)) > 50_000, "big enough to be spooled"
    assert tiny == [(1, "a short note")]
    assert seen_in_spool == [[]], "the spool file is removed once read"
    assert not spool.exists(), "close() removes the pool's folder"


def test_spooled_call_uses_a_file_only_for_large_results(tmp_path: Path) -> None:
    small = pool_spool.spooled_call(str.upper, ("abc",), str(tmp_path))
    assert small[0] is False and pool_spool.result_of(small) == "ABC"
    large = pool_spool.spooled_call(str.__mul__, ("xy", 5000), str(tmp_path))
    assert large[0] is True and Path(large[1]).parent == tmp_path
    assert (Path(large[1]).stat().st_mode & 0o777) == 0o600
    assert pool_spool.result_of(large) == "xy" * 5000
    assert list(tmp_path.iterdir()) == []


def test_a_new_pool_removes_the_spool_of_a_process_that_died(home: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)  # that process has exited
    stale = home / "tmp" / f"pool-{pid}-abc"
    stale.mkdir(parents=True)
    (stale / "left.pickle").write_bytes(b"page text of a killed run")
    mine = home / "tmp" / f"pool-{os.getpid()}-keep"
    mine.mkdir()
    folder = pool_spool.new_folder()
    assert not stale.exists() and mine.exists() and folder.exists()
    assert folder.name.startswith(f"pool-{os.getpid()}-")


def test_a_result_that_cannot_be_spooled_comes_through_the_pipe(tmp_path: Path) -> None:
    """With the spool folder unwritable (a full disk), the result is not lost."""
    big = "page text " * 1000
    gone = tmp_path / "no-such-folder"
    spooled, value, notes = pool_spool.spooled_call(str.upper, (big,), str(gone))
    assert spooled is False and notes == []
    assert pool_spool.result_of((spooled, value, notes)) == big.upper()
    assert not gone.exists()


def test_a_failed_commit_raises_its_own_error_not_the_failed_rollback(home: Path) -> None:
    """SQLite rolls back by itself when the disk is full; Peewee's rollback then failed with
    "cannot rollback - no transaction is active", which hid the cause (and read as a damaged
    database). Here the database may not grow (max_page_count), as on a full disk."""
    import peewee
    import pytest

    from loratui.core.store import db
    from loratui.core.store.models import Event

    pages = db.database.execute_sql("PRAGMA page_count").fetchone()[0]
    db.database.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(peewee.DatabaseError) as info, db.write_txn():
        Event.insert(kind="x", message="m" * 200_000, level="info", time=0, data={}).execute()
    assert "full" in str(info.value)
    assert db.explain(info.value).code == "io_error"
    assert not db.database.in_transaction()


def _log_then(outcome: str) -> str:
    """In a worker: what a library does on an odd file (log, warn), then succeed or fail."""
    import logging
    import warnings

    from loratui.core.errors import LoratuiError

    for _ in range(3):
        logging.getLogger("pypdf._cmap").error("Advanced encoding /Winng not implemented yet")
    warnings.warn("a library's own warning", UserWarning, stacklevel=1)
    if outcome == "fail":
        raise LoratuiError("corrupt", "page 2 is damaged")
    return outcome


async def test_library_logging_comes_back_with_the_result_or_the_failure() -> None:
    import pytest

    from loratui.core.errors import LoratuiError

    pool = ExtractionPool(1, task_timeout_s=60.0, max_memory_mb=0)
    try:
        notes: list = []
        assert await pool.run(_log_then, "ok", notes=notes) == "ok"
        assert ("error", "pypdf._cmap", "Advanced encoding /Winng not implemented yet", 3) in notes
        assert any(n[1] == "UserWarning" and "own warning" in n[2] for n in notes)
        failed: list = []
        with pytest.raises(LoratuiError) as err:
            await pool.run(_log_then, "fail", notes=failed)
        assert err.value.code == "corrupt"
        assert [n[2:] for n in failed if n[1] == "pypdf._cmap"] == [
            ("Advanced encoding /Winng not implemented yet", 3)
        ]
        assert not hasattr(err.value, "library_notes")  # handed over once, not twice
    finally:
        pool.close(kill=True)
