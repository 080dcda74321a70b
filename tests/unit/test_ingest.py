"""Adding files: content-addressed store, one job per queued document, duplicates, skips."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from loratui.core import audit, extract
from loratui.core.ingest import add as ingest
from loratui.core.jobs import validate
from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.db import write_txn
from loratui.core.store.models import Document, Event, Job
from tests.unit.docmakers import make_docx, make_pdf

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def _tree(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    make_pdf(root / "report.pdf", ["Annual report.", "Second page."])
    make_docx(root / "sub" / "memo.docx")
    (root / "sub" / "deeper" / "notes.md").write_text("# Notes\n\nSome text.\n")
    (root / "sub" / "copy-of-notes.md").write_text("# Notes\n\nSome text.\n")
    for name in (".hidden.txt", "~$memo.docx", "video.part", "x.tmp", "dl.crdownload"):
        (root / name).write_text("ignored")
    return root


def _by_path(results: list[ingest.AddResult]) -> dict[str, ingest.AddResult]:
    return {Path(r.path).name: r for r in results}


def test_add_folder_recursively(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("alpha")
    src = _tree(tmp_path / "src")
    results = ingest.add_paths(project, [src])
    by = _by_path(results)
    assert by["report.pdf"].state == "queued"
    assert by["memo.docx"].state == "queued"
    queued = {r for r in by if by[r].state == "queued"}
    dups = {r for r in by if by[r].state == "duplicate"}
    assert queued | dups == {"report.pdf", "memo.docx", "notes.md", "copy-of-notes.md"}
    assert len(dups) == 1  # the two notes files hold the same bytes
    skipped = {r: by[r].reason for r in by if by[r].state == "skipped"}
    assert set(skipped) == {
        ".git",
        ".hidden.txt",
        "~$memo.docx",
        "video.part",
        "x.tmp",
        "dl.crdownload",
    }
    assert "hidden" in skipped[".git"] and "temporary" in skipped["x.tmp"]
    docs = {d.name: d for d in Document.select()}
    assert docs["report.pdf"].kind == "pdf" and docs["memo.docx"].kind == "docx"
    assert docs["notes.md"].kind == "text"
    # exactly one queued extract job per queued document, none for the duplicate
    for name in queued:
        jobs = list(Job.select().where(Job.document == docs[name]))
        assert [(j.kind, j.state) for j in jobs] == [("extract", "queued")]
    dup = docs[dups.pop()]
    assert dup.state == "duplicate" and dup.duplicate_of_id is not None
    assert Job.select().where(Job.document == dup).count() == 0
    kinds = [e.kind for e in Event.select().where(Event.project_id == project.id)]
    assert kinds.count("document.added") == 3
    assert kinds.count("document.duplicate") == 1
    assert "ingest.skipped" in kinds
    # the batch's events extend the project's hash chain like any other event
    assert audit.verify_chain(project.id) == (True, None)
    added = Event.get(
        (Event.kind == "document.added") & (Event.document_id == docs["memo.docx"].id)
    )
    assert added.data["sha256"] == docs["memo.docx"].sha256 and added.origin == "cli"


def test_stored_original_is_private_and_identical(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("beta")
    src = make_pdf(tmp_path / "a.pdf", ["Private bytes."])
    (result,) = ingest.add_paths(project, [src])
    doc = Document.get_by_id(result.document_id)
    data = src.read_bytes()
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.size == len(data)
    assert doc.source_path == str(src.resolve())
    stored = ingest.stored_path(doc)
    assert stored == folders.store_dir(project) / doc.sha256[:2] / doc.sha256
    assert stored.read_bytes() == data
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    # no temporary files are left behind in the store
    assert [p.name for p in folders.store_dir(project).iterdir()] == [doc.sha256[:2]]
    # the stored copy is what extraction reads
    assert "Private bytes." in extract.extract_pages(str(stored), "pdf", 1, 1, None, {})[0][1]


def test_duplicates_are_recorded_not_requeued(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("gamma")
    a = tmp_path / "a.txt"
    a.write_text("same text\n")
    (first,) = ingest.add_paths(project, [a])
    again = ingest.add_paths(project, [a, a])
    assert [r.state for r in again] == ["duplicate", "duplicate"]
    for r in again:
        doc = Document.get_by_id(r.document_id)
        assert doc.duplicate_of_id == first.document_id
        assert str(first.document_id) in r.reason
    assert Job.select().count() == 1
    assert len(list((folders.store_dir(project)).rglob("*"))) == 2  # one dir, one file


def test_failed_detection_is_a_visible_document_without_job(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("delta")
    png = tmp_path / "holiday.txt"
    png.write_bytes(PNG)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    results = _by_path(ingest.add_paths(project, [png, empty]))
    assert results["holiday.txt"].state == "failed"
    assert results["holiday.txt"].error_code == "type_mismatch"
    doc = Document.get_by_id(results["holiday.txt"].document_id)
    assert doc.state == "failed" and doc.error_code == "type_mismatch"
    assert "holiday.txt" in doc.error_message and "PNG" in doc.error_message
    assert doc.hint
    assert Document.get_by_id(results["empty.md"].document_id).error_code == "empty"
    assert Job.select().count() == 0
    failed = Event.select().where(Event.kind == "document.failed")
    assert {e.data["code"] for e in failed} == {"type_mismatch", "empty"}


def test_too_large_is_failed_and_not_stored(home: Path, tmp_path: Path) -> None:
    project = workspace.update_settings(workspace.create_project("eps"), {"max_file_mb": 1})
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 300_000)
    (r,) = ingest.add_paths(project, [big])
    assert (r.state, r.error_code) == ("failed", "too_large")
    assert "1 MB" in r.reason
    assert not any(p.is_file() for p in folders.store_dir(project).rglob("*"))


def test_missing_path_fails_without_document(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("zeta")
    (r,) = ingest.add_paths(project, [tmp_path / "nope.pdf"])
    assert (r.state, r.error_code, r.document_id) == ("failed", "not_found", None)
    assert r.as_dict()["path"].endswith("nope.pdf")
    assert Document.select().count() == 0


def test_duplicate_text_warning(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("eta")
    (tmp_path / "unix.txt").write_bytes(b"the same words\n")
    (tmp_path / "dos.txt").write_bytes(b"the same words\r\n")  # other bytes, same text
    results = ingest.add_paths(project, [tmp_path / "unix.txt", tmp_path / "dos.txt"])
    assert [r.state for r in results] == ["queued", "queued"]
    docs = [Document.get_by_id(r.document_id) for r in results]
    digests = []
    for doc in docs:
        path = str(ingest.stored_path(doc))
        pages = [t for _, t in extract.extract_pages(path, doc.kind, 1, 1, None, {})]
        digests.append(extract.text_digest(pages))
    assert digests[0] == digests[1]
    with write_txn():
        Document.update(state="done", text_sha256=digests[0], chars=15).where(
            Document.id == docs[0].id
        ).execute()
    second = Document.get_by_id(docs[1].id)
    second.text_sha256, second.chars = digests[1], 15
    warning = validate.duplicate_text_warning(second)
    assert warning is not None and warning["code"] == "duplicate_text"
    assert "unix.txt" in warning["message"]
    assert validate.duplicate_text_warning(Document.get_by_id(docs[0].id)) is None


def test_fifo_and_system_files_are_skipped(home: Path, tmp_path: Path) -> None:
    import os

    project = workspace.create_project("theta")
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "pipe.txt")  # opening it would block forever
    (src / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    (src / "real.txt").write_text("kept\n")
    by = _by_path(ingest.add_paths(project, [src]))
    assert (by["pipe.txt"].state, by["pipe.txt"].reason) == ("skipped", "not a regular file")
    assert (by["Thumbs.db"].state, by["Thumbs.db"].reason) == ("skipped", "system file")
    assert by["real.txt"].state == "queued"
    assert [d.name for d in Document.select()] == ["real.txt"]


def test_names_that_are_not_utf8_or_hold_control_characters(home: Path, tmp_path: Path) -> None:
    """`add` used to crash (UnicodeEncodeError in the database write) on a Latin-1 name."""
    import os

    from loratui.core.store.text import path_text

    folder = tmp_path / "from-windows"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/Men\xfc 2019.txt", "wb") as fh:
        fh.write(b"Menu of the day.\n")
    (folder / "tab\there.md").write_text("# Tabbed name\n")
    project = workspace.create_project("names")
    results = ingest.add_paths(project, [folder], origin="cli")
    assert sorted(r.state for r in results) == ["queued", "queued"]
    assert sorted(Path(r.path).name for r in results) == ["Men\\xfc 2019.txt", "tab\\there.md"]
    docs = sorted(Document.select().where(Document.project == project), key=lambda d: d.name)
    assert [d.name for d in docs] == ["Men\\xfc 2019.txt", "tab\\there.md"]
    assert docs[0].source_path.endswith("from-windows/Men\\xfc 2019.txt")
    added = [e.message for e in Event.select().where(Event.kind == "document.added")]
    assert "Men\\xfc 2019.txt added (text, 17 bytes)" in added
    assert audit.verify_chain(project) == (True, None)
    # the escape is stable: applying it again changes nothing; plain names are untouched
    assert path_text(docs[0].name) == docs[0].name
    assert path_text("Rapport annuel – été 2024.pdf") == "Rapport annuel – été 2024.pdf"


def test_re_adding_a_too_large_file_replaces_its_failed_row(home: Path, tmp_path: Path) -> None:
    project = workspace.update_settings(workspace.create_project("big"), {"max_file_mb": 1})
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 300_000)
    (first,) = ingest.add_paths(project, [big])
    assert first.error_code == "too_large"
    (again,) = ingest.add_paths(project, [big])  # still too large: still one row
    assert again.document_id == first.document_id and again.error_code == "too_large"
    project = workspace.update_settings(project, {"max_file_mb": 5})
    (taken,) = ingest.add_paths(project, [big])
    assert (taken.state, taken.document_id) == ("queued", first.document_id)
    (doc,) = Document.select().where(Document.project == project)
    assert (doc.state, doc.error_code, doc.kind) == ("queued", None, "text")
    assert doc.sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    assert Job.select().where(Job.document == doc).count() == 1


def test_a_second_empty_file_is_empty_not_a_duplicate(home: Path, tmp_path: Path) -> None:
    project = workspace.create_project("hollow")
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_bytes(b"")
    results = ingest.add_paths(project, [tmp_path / "a.md", tmp_path / "b.md"])
    assert [(r.state, r.error_code) for r in results] == [("failed", "empty")] * 2
    (tmp_path / "c.md").write_bytes(b"")
    (later,) = ingest.add_paths(project, [tmp_path / "c.md"])  # another batch: same answer
    assert (later.state, later.error_code) == ("failed", "empty")
    docs = list(Document.select().where(Document.project == project))
    assert [(d.state, d.duplicate_of_id) for d in docs] == [("failed", None)] * 3


def test_the_add_summary_names_rare_kinds(home: Path, tmp_path: Path) -> None:
    from loratui.core.ingest.add_summary import taken_line

    project = workspace.create_project("stray")
    folder = tmp_path / "release"
    folder.mkdir()
    for n in range(4):
        (folder / f"note-{n}.md").write_text(f"# Note {n}\n\nThe pump {n} was checked.\n")
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge.\n")
    (folder / "manifest.json").write_text('[{"name": "pump", "id": 1}]\n')
    for n in range(5):
        (folder / f"scan-{n}.pdf").write_bytes(
            make_pdf(tmp_path / f"s{n}.pdf", [f"Scan {n}."]).read_bytes()
        )
    results = ingest.add_paths(project, [folder])
    # the notes and scans by count; the strays by name, under the kind they were taken as
    assert taken_line(results) == "taken: 5 pdf, 5 text (4 .md, LICENSE), 1 records (manifest.json)"


def _linked_folder(tmp_path: Path) -> tuple[Path, Path]:
    """An added folder with a real file, a link out to a secret file, a link out to a
    folder, a link to its own file and a dangling link; and the outside folder."""
    import os

    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (outside / "more" / "other.txt").write_text("a file in a linked folder\n")
    top = tmp_path / "docs"
    top.mkdir()
    (top / "real.txt").write_text("the real document\n")
    os.symlink(outside / "secret.txt", top / "link.txt")
    os.symlink(outside / "more", top / "linked-folder")
    os.symlink(top / "real.txt", top / "again.txt")
    os.symlink(tmp_path / "missing.txt", top / "dangling.txt")
    os.symlink(top, top / "loop")
    return top, outside


def test_links_out_of_an_added_folder_are_skipped_with_the_reason(
    home: Path, tmp_path: Path
) -> None:
    top, outside = _linked_folder(tmp_path)
    project = workspace.create_project("links")
    results = {Path(r.path).name: r for r in ingest.add_paths(project, [top])}
    assert results["real.txt"].state == "queued"
    for name in ("link.txt", "linked-folder", "again.txt", "dangling.txt", "loop"):
        assert results[name].state == "skipped", name
    assert "outside the added folder" in results["link.txt"].reason
    assert str(outside / "secret.txt") in results["link.txt"].reason
    assert "outside the added folder" in results["linked-folder"].reason
    assert "inside the added folder" in results["again.txt"].reason
    assert "does not exist" in results["dangling.txt"].reason
    names = {d.name for d in Document.select()}
    assert names == {"real.txt"}  # /etc/passwd's stand-in was neither stored nor queued


def test_follow_links_takes_links_out_but_not_loops(home: Path, tmp_path: Path) -> None:
    top, _outside = _linked_folder(tmp_path)
    project = workspace.create_project("links")
    results = ingest.add_paths(project, [top], follow_links=True)
    queued = sorted(Path(r.path).name for r in results if r.state == "queued")
    assert queued == ["link.txt", "other.txt", "real.txt"]
    skipped = {Path(r.path).name for r in results if r.state == "skipped"}
    assert skipped == {"again.txt", "dangling.txt", "loop"}
