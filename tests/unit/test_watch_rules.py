"""The drop folder's rules on their own: junk names, what a path is, when a file is complete."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from loratui.core.watch.rules import (
    SettleTracker,
    after_folder,
    is_ignored,
    is_junk_name,
    probe,
    relative_to_root,
    unique_destination,
)


@pytest.mark.parametrize(
    "name",
    [
        ".DS_Store",
        ".report.pdf.Xy12Ab",  # rsync's temp name
        ".stfolder",
        "~$report.docx",
        "movie.part",
        "notes.TMP",
        "big.pdf.crdownload",
        ".notes.txt.swp",
        "notes.txt.swp",
        "Thumbs.db",
        "desktop.ini",
        "__MACOSX",
        "draft.txt~",
        ".done",
    ],
)
def test_junk_names(name: str) -> None:
    assert is_junk_name(name)


@pytest.mark.parametrize(
    "name", ["report.pdf", "notes.txt", "a.tmp.pdf", "partial.docx", "thumbs.db.txt", "~report"]
)
def test_real_names(name: str) -> None:
    assert not is_junk_name(name)


def test_ignored_when_any_folder_is_junk() -> None:
    assert is_ignored("__MACOSX/contract.pdf")
    assert is_ignored(".stfolder/a.txt")
    assert is_ignored("sub/.hidden/a.txt")
    assert is_ignored(".failed/sub/a.txt")
    assert not is_ignored("2026/q1/contract.pdf")


def test_relative_to_root(tmp_path: Path) -> None:
    assert relative_to_root(tmp_path / "a" / "b.txt", tmp_path) == "a/b.txt"
    assert relative_to_root(tmp_path, tmp_path) is None
    assert relative_to_root(tmp_path.parent / "x.txt", tmp_path) is None
    assert relative_to_root(str(tmp_path / "a" / ".." / "c.txt"), tmp_path) == "c.txt"


def test_probe_kinds(tmp_path: Path) -> None:
    root = tmp_path / "drop"
    root.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the drop folder")
    (root / "doc.txt").write_text("twelve bytes")
    (root / "sub").mkdir()
    os.symlink(outside, root / "out.txt")
    os.symlink(root / "doc.txt", root / "in.txt")
    os.symlink(tmp_path / "missing", root / "dangling.txt")
    os.symlink(tmp_path, root / "up")
    os.mkfifo(root / "pipe")

    f = probe(root / "doc.txt", root)
    st = os.stat(root / "doc.txt")
    assert (f.kind, f.size, f.mtime_ns) == ("file", 12, st.st_mtime_ns)
    assert probe(root / "sub", root).kind == "dir"
    assert probe(root / "nope.txt", root).kind == "gone"
    out = probe(root / "out.txt", root)
    assert out.kind == "link_outside" and out.target == str(outside)
    assert probe(root / "in.txt", root).kind == "link_inside"
    assert probe(root / "dangling.txt", root).kind == "link_outside"
    assert probe(root / "up", root).kind == "link_outside"
    assert probe(root / "pipe", root).kind == "special"
    sock_path = root / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        assert probe(sock_path, root).kind == "special"


def test_settle_waits_for_quiet_then_two_equal_checks() -> None:
    t = SettleTracker(settle_s=2.0)
    t.touch("a.pdf", 0.0)
    assert t.due(1.9) == []
    assert t.due(2.0) == ["a.pdf"]
    assert t.observe("a.pdf", (100, 1), 2.0) is False  # first check only records
    assert t.due(2.5) == []  # the second check comes check_gap_s later
    assert t.due(3.0) == ["a.pdf"]
    assert t.observe("a.pdf", (100, 1), 3.0) is True
    assert "a.pdf" not in t.pending


def test_settle_restarts_on_events_and_on_growth() -> None:
    t = SettleTracker(settle_s=2.0)
    t.touch("slow.pdf", 0.0)
    t.touch("slow.pdf", 1.5)  # still being written
    assert t.due(2.0) == []
    assert t.due(3.5) == ["slow.pdf"]
    assert not t.observe("slow.pdf", (10, 1), 3.5)
    # It grew without an event (polling, missed events): a whole new quiet period.
    assert not t.observe("slow.pdf", (20, 2), 4.5)
    assert t.due(5.0) == []
    assert t.due(6.5) == ["slow.pdf"]
    assert t.observe("slow.pdf", (20, 2), 6.5)


def test_settle_forget_and_wakeup() -> None:
    t = SettleTracker(settle_s=1.0)
    assert t.next_wakeup(0.0) is None
    t.touch("a", 0.0)
    t.touch("b", 0.5)
    assert t.next_wakeup(0.2) == pytest.approx(0.8)
    t.forget("a")
    assert t.due(10.0) == ["b"]
    assert t.observe("gone", (1, 1), 10.0) is False


def test_after_store_destinations(tmp_path: Path) -> None:
    assert after_folder("queued") == ".done" and after_folder("duplicate") == ".done"
    assert after_folder("failed") == ".failed" and after_folder("skipped") == ".failed"
    dest = tmp_path / "a.pdf"
    assert unique_destination(dest) == dest
    dest.write_text("x")
    (tmp_path / "a (2).pdf").write_text("x")
    assert unique_destination(dest) == tmp_path / "a (3).pdf"
