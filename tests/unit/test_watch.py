"""DropWatcher in-process on a real tmp home: what it takes, what it never takes twice."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import Document, DropFile, Event, Job, Project
from loratui.core.watch import claims as watch_claims
from loratui.core.watch import observer as watch_observer
from loratui.core.watch.watcher import DropWatcher, TakenFile

SETTLE = 0.3


def wait_for(cond: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or cond}")


def events(project: Project, kind: str) -> list[Event]:
    return list(Event.select().where((Event.project_id == project.id) & (Event.kind == kind)))


@pytest.fixture
def project(home: Path) -> Project:
    return workspace.create_project("drop")


@pytest.fixture
def drop(project: Project) -> Path:
    return folders.drop_dir(project)


class Run:
    """A started watcher and the files it reported."""

    def __init__(self, project: Project, **kw: object) -> None:
        self.taken: list[TakenFile] = []
        self.notices: list[tuple[str, str]] = []
        kw.setdefault("settle_s", SETTLE)
        kw.setdefault("rescan_s", 0)
        self.w = DropWatcher(
            project.id,
            on_taken=self.taken.append,
            on_notice=lambda lvl, msg: self.notices.append((lvl, msg)),
            **kw,
        )

    def names(self) -> list[str]:
        return [t.rel_path for t in self.taken]

    def wait_taken(self, n: int) -> None:
        wait_for(lambda: len(self.taken) >= n, what=f"{n} taken, have {self.names()}")


@pytest.fixture
def run(project: Project) -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def make(**kw: object) -> Run:
        r = Run(project, **kw)
        r.w.start()
        started.append(r)
        return r

    yield make
    for r in started:
        r.w.stop()


def test_file_present_at_start_and_one_the_observer_missed(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    (drop / "before.txt").write_text("here before the watcher started\n")
    r = run()
    assert r.w.status["mode"] == "watching"
    r.wait_taken(1)
    assert r.names() == ["before.txt"]
    # Simulate lost events: the observer stops reporting anything.
    r.w._folder._observer.unschedule_all()
    (drop / "sub").mkdir()
    (drop / "sub" / "missed.txt").write_text("never reported by inotify\n")
    time.sleep(SETTLE * 6)
    assert r.names() == ["before.txt"] and r.w.status["pending"] == 0
    assert r.w.rescan() == 1
    r.wait_taken(2)
    assert r.names() == ["before.txt", "sub/missed.txt"]
    docs = {d.name: d for d in Document.select().where(Document.project == project)}
    assert set(docs) == {"before.txt", "missed.txt"}
    assert all(d.origin == "drop" and d.state == "queued" for d in docs.values())
    assert Job.select().count() == 2
    st = r.w.status
    assert st["taken"] == 2 and st["last_taken"] == "sub/missed.txt" and st["last_taken_at"]
    assert r.w.rescan() == 0  # nothing new; nothing taken twice


def test_changed_file_is_a_new_version_touch_is_not(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    r = run()
    f = drop / "notes.txt"
    f.write_text("first version\n")
    r.wait_taken(1)
    f.write_text("second version, longer\n")
    r.wait_taken(2)
    assert [t.new_version for t in r.taken] == [False, True]
    assert r.taken[1].document_id != r.taken[0].document_id
    new_version = events(project, "drop.new_version")
    assert len(new_version) == 1 and "changed since it was taken" in new_version[0].message
    assert new_version[0].data["previous_document_id"] == r.taken[0].document_id
    # Only the mtime changes: recorded, not added again.
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    wait_for(lambda: DropFile.select().where(DropFile.state == "unchanged").count() == 1)
    assert len(r.taken) == 2
    assert Document.select().where(Document.project == project).count() == 2


def test_same_bytes_under_another_name_are_not_enqueued_twice(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    r = run()
    (drop / "a.md").write_text("# the same bytes\n")
    r.wait_taken(1)
    (drop / "copy of a.md").write_text("# the same bytes\n")
    r.wait_taken(2)
    assert [t.state for t in r.taken] == ["queued", "duplicate"]
    assert Job.select().count() == 1
    assert r.w.status["duplicates"] == 1


def test_names_that_are_not_utf8_or_hold_a_newline_are_taken_once(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    """A file copied from another system can have a name in Latin-1 bytes; the database
    refused it (the watcher kept failing on it). Names are stored with escapes."""
    raw = os.fsencode(drop) + b"/caf\xe9-notes.txt"
    with open(raw, "wb") as fh:
        fh.write(b"Notes written on an old machine.\n")
    (drop / "two\nlines.txt").write_text("A newline in the name.\n")
    r = run()
    r.wait_taken(2)
    assert sorted(r.names()) == ["caf\\xe9-notes.txt", "two\\nlines.txt"]
    names = sorted(d.name for d in Document.select().where(Document.project == project))
    assert names == ["caf\\xe9-notes.txt", "two\\nlines.txt"]
    assert all(t.state == "queued" for t in r.taken)
    r.w.stop()
    again = run()  # a restart knows both versions: nothing is taken twice
    time.sleep(SETTLE * 3)
    assert again.w.rescan() == 0 and again.names() == []
    # watch_after=move moves such a file to .done/ under its real name
    workspace.update_settings(project, {"watch_after": "move"})
    with open(os.fsencode(drop) + b"/r\xe9sum\xe9.txt", "wb") as fh:
        fh.write(b"A third file.\n")
    again.wait_taken(1)
    wait_for(lambda: os.path.exists(os.fsencode(drop) + b"/.done/r\xe9sum\xe9.txt"))
    assert not os.path.exists(os.fsencode(drop) + b"/r\xe9sum\xe9.txt")


def test_move_after_store_to_done_and_failed(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    workspace.update_settings(project, {"watch_after": "move"})
    r = run()
    (drop / "sub").mkdir()
    (drop / "sub" / "good.txt").write_text("a fine document\n")
    (drop / "empty.txt").write_bytes(b"")
    r.wait_taken(2)
    wait_for(lambda: (drop / ".failed" / "empty.txt").exists())
    wait_for(lambda: (drop / ".done" / "sub" / "good.txt").exists())
    assert not (drop / "sub" / "good.txt").exists() and not (drop / "empty.txt").exists()
    assert sorted(t.state for t in r.taken) == ["failed", "queued"]
    time.sleep(SETTLE * 4)
    assert r.w.rescan() == 0 and len(r.taken) == 2  # .done/.failed are never taken


def test_symlink_out_and_fifo_skipped_with_one_warning(
    project: Project, drop: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the dataset\n")
    os.symlink(secret, drop / "link.txt")
    os.mkfifo(drop / "pipe.txt")
    (drop / "real.txt").write_text("real\n")
    r = run()
    r.wait_taken(1)
    wait_for(lambda: len(events(project, "drop.skipped")) == 2)
    assert r.names() == ["real.txt"]
    warned = {e.data["path"]: e for e in events(project, "drop.skipped")}
    assert set(warned) == {"link.txt", "pipe.txt"}
    assert all(e.level == "warning" for e in warned.values())
    assert str(secret) in warned["link.txt"].message
    assert any("link.txt" in m for _, m in r.notices)
    r.w.stop()
    r2 = run()
    time.sleep(SETTLE * 4)
    assert r2.w.rescan() == 0
    assert len(events(project, "drop.skipped")) == 2  # remembered, not warned again
    assert [d.name for d in Document.select()] == ["real.txt"]


def test_falls_back_to_polling_when_inotify_limit_is_hit(
    project: Project, drop: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_inotify() -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watch_observer, "native_observer", no_inotify)
    r = run()
    st = r.w.status
    assert st["mode"] == "polling" and "watch limit" in st["reason"]
    (drop / "polled.txt").write_text("found by polling\n")
    r.wait_taken(1)
    wait_for(lambda: events(project, "drop.watching"))
    ev = events(project, "drop.watching")[0]
    assert ev.level == "warning" and "polling" in ev.message
    assert "max_user_watches" in ev.data["reason"]


def test_poll_forced(project: Project, drop: Path, run: Callable[..., Run]) -> None:
    r = run(poll=True)
    assert r.w.status["mode"] == "polling"
    (drop / "p.txt").write_text("polled\n")
    r.wait_taken(1)
    r.w.stop()
    assert r.w.status["mode"] == "off"


def _key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def test_claims_of_live_watchers_are_respected_dead_ones_recovered(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    held = drop / "held.txt"
    held.write_text("another live watcher is adding this one\n")
    orphan = drop / "orphan.txt"
    orphan.write_text("a killed watcher claimed this one and died\n")
    live = watch_claims.new_owner()  # a live watcher in this process
    dead_proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = f"{socket.gethostname()}:{dead_proc.stdout.strip()}:dead"
    for path, owner in ((held, live), (orphan, dead)):
        size, mtime = _key(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        assert watch_claims.claim(project.id, path.name, size, mtime, sha, owner) is not None
    r = run()
    r.wait_taken(1)
    time.sleep(SETTLE * 4)
    assert r.names() == ["orphan.txt"]
    rows = {d.rel_path: d for d in DropFile.select()}
    assert rows["held.txt"].state == "claimed" and rows["held.txt"].owner == live
    assert rows["orphan.txt"].state == "queued" and rows["orphan.txt"].document_id
    watch_claims.retire_owner(live)


def test_inotify_that_keeps_missing_files_gives_way_to_polling(
    project: Project, drop: Path, run: Callable[..., Run]
) -> None:
    r = run(rescan_s=2.5)  # each file is over MISSED_AGE_S old when a rescan finds it
    assert r.w.status["mode"] == "watching"
    wait_for(lambda: r.w.status["last_rescan_at"], what="the start-up scan")
    r.w._folder._observer.unschedule_all()  # from now on inotify reports nothing
    (drop / "one.txt").write_text("missed once\n")
    r.wait_taken(1)
    wait_for(lambda: events(project, "drop.missed"))
    assert events(project, "drop.missed")[0].data["paths"] == ["one.txt"]
    assert r.w.status["mode"] == "watching"  # one miss is not enough to give up
    (drop / "two.txt").write_text("missed twice\n")
    wait_for(lambda: r.w.status["mode"] == "polling", what="switch to polling")
    r.wait_taken(2)
    ev = events(project, "drop.polling")
    assert len(ev) == 1 and ev[0].level == "warning" and "keeps missing" in ev[0].message
    (drop / "three.txt").write_text("found by the poller\n")
    r.wait_taken(3)
    assert sorted(r.names()) == ["one.txt", "three.txt", "two.txt"]


def test_a_transfer_that_pauses_past_the_settle_time_leaves_one_good_document(
    project: Project, drop: Path, run: Callable[..., Run], tmp_path: Path
) -> None:
    """Half a PDF, a pause longer than the settle time, then the rest: the half is taken
    and fails (corrupt); the whole file replaces it. One document, not a false failure
    beside a good one; the failure stays in the audit trail."""
    import asyncio

    from loratui.core.jobs.worker import Worker
    from tests.unit.docmakers import make_pdf

    whole = make_pdf(tmp_path / "manual.pdf", ["Check the valve and log it. " * 40] * 6)
    data = whole.read_bytes()
    r = run()
    target = drop / "manual.pdf"
    target.write_bytes(data[: len(data) // 2])
    r.wait_taken(1)
    asyncio.run(Worker(project.id, workers=1).run_until_idle())
    (half,) = Document.select().where(Document.project == project)
    assert (half.state, half.error_code) == ("failed", "corrupt")
    with open(target, "ab") as fh:  # the transfer goes on
        fh.write(data[len(data) // 2 :])
    r.wait_taken(2)
    wait_for(lambda: events(project, "drop.replaced"), what="drop.replaced")
    asyncio.run(Worker(project.id, workers=1).run_until_idle())
    (doc,) = Document.select().where(Document.project == project)
    assert doc.id == r.taken[1].document_id and doc.state == "done" and doc.pages == 6
    (replaced,) = events(project, "drop.replaced")
    assert replaced.document_id == doc.id
    assert replaced.data["previous_document_id"] == half.id
    assert replaced.data["previous_error_code"] == "corrupt"
    history = Event.select().where(Event.document_id == half.id)
    assert {"document.purged"} <= {e.kind for e in history}


def test_a_file_that_failed_detection_is_replaced_when_it_changes(
    project: Project, drop: Path, run: Callable[..., Run], tmp_path: Path
) -> None:
    """Half a DOCX fails when it is added (a zip without its directory); the whole file,
    arriving later, replaces that failed document instead of joining it."""
    from tests.unit.docmakers import make_docx

    data = make_docx(tmp_path / "report.docx").read_bytes()
    r = run()
    target = drop / "report.docx"
    target.write_bytes(data[: len(data) // 2])
    r.wait_taken(1)
    assert r.taken[0].state == "failed"
    (half,) = Document.select().where(Document.project == project)
    with open(target, "ab") as fh:
        fh.write(data[len(data) // 2 :])
    r.wait_taken(2)
    wait_for(lambda: events(project, "drop.replaced"), what="drop.replaced")
    (doc,) = Document.select().where(Document.project == project)
    assert doc.id != half.id and doc.state == "queued" and doc.kind == "docx"
