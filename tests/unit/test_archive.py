"""Archive and restore: a real round trip, and archives that must be refused whole."""

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects import archive, restore, workspace
from loratui.core.projects.documents import page_texts
from loratui.core.store import folders
from loratui.core.store.db import write_txn
from loratui.core.store.models import DatasetVersion, Document, Event, Project
from tests.unit.sample_docs import add_text_doc


def _project(tmp_path: Path, name: str = "keep") -> Project:
    p = workspace.create_project(name)
    a = add_text_doc(p, tmp_path / "src", "a.txt", "alpha page text\n")
    b = add_text_doc(p, tmp_path / "src", "b.txt", "beta page text\n")
    from loratui.core.ingest import add as ingest

    [dup] = ingest.add_paths(p, [tmp_path / "src" / "a.txt"])  # same bytes: a duplicate
    assert dup.state == "duplicate"
    vdir = folders.exports_dir(p) / "v1"
    vdir.mkdir()
    (vdir / "train.jsonl").write_text('{"text": "alpha page text"}\n')
    with write_txn():
        DatasetVersion.create(
            project=p,
            number=1,
            path=str(vdir),
            documents=[{"id": a.id, "sha256": a.sha256}, {"id": b.id, "sha256": b.sha256}],
        )
    audit.log_event(p, "export.done", "v1", data={"documents": [{"id": a.id}, {"id": b.id}]})
    return p


def _snapshot(p: Project) -> dict:
    docs = Document.select().where(Document.project == p).order_by(Document.id)
    by_id = {d.id: d.name for d in docs}
    return {
        "docs": [
            (
                d.name,
                d.sha256,
                d.state,
                d.text_sha256,
                page_texts(d),
                by_id.get(d.duplicate_of_id),
            )
            for d in docs
        ],
        "versions": [
            (
                v.number,
                Path(v.path).relative_to(folders.project_dir(p)).as_posix(),
                sorted(by_id[item["id"]] for item in v.documents),
            )
            for v in DatasetVersion.select().where(DatasetVersion.project == p)
        ],
        "store": sorted(
            (f.name, hashlib.sha256(f.read_bytes()).hexdigest())
            for f in folders.store_dir(p).rglob("*")
            if f.is_file()
        ),
        "exports": sorted(
            (f.relative_to(folders.exports_dir(p)).as_posix(), f.read_bytes())
            for f in folders.exports_dir(p).rglob("*")
            if f.is_file()
        ),
        "events": [(e.kind, e.message) for e in audit.events(p)],
    }


def test_round_trip_archive_delete_restore(home: Path, tmp_path: Path) -> None:
    p = _project(tmp_path)
    Document.update(password="hunter2-secret").where(Document.name == "b.txt").execute()
    before = _snapshot(p)
    in_progress = folders.exports_dir(p) / ".tmp-export-99-1"  # an export being written
    in_progress.mkdir()
    (in_progress / "train.jsonl").write_text("{}\n")
    out = tmp_path / "keep.tar.gz"
    summary = archive.archive_project(p, out)
    shutil.rmtree(in_progress)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert summary["rows"]["document"] == 3 and summary["rows"]["page"] == 2
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        for name, meta in manifest["files"].items():
            data = tar.extractfile(name).read()
            assert hashlib.sha256(data).hexdigest() == meta["sha256"]
    assert set(names) == {*manifest["files"], "manifest.json"}
    assert {"rows/event.jsonl", "rows/page.jsonl", "audit.jsonl"} <= set(names)
    assert "project/exports/v1/train.jsonl" in names
    assert not any(".tmp-export" in n for n in names)
    with gzip.open(out) as fh:
        assert b"hunter2-secret" not in fh.read()  # PDF passwords stay in the database
    assert any(n.startswith("text/") for n in names)

    workspace.delete_project(p)
    assert not Project.select().exists()
    restored = restore.restore_archive(out)
    after = _snapshot(restored)
    assert after["docs"] == before["docs"]
    assert after["versions"] == before["versions"]
    assert after["store"] == before["store"]
    assert after["exports"] == before["exports"] and after["exports"]
    assert after["events"][: len(before["events"])] == before["events"]
    assert after["events"][-1][0] == "project.restored"
    assert audit.verify_chain(restored) == (True, None)
    # ids changed (never reused), so the old ids the hashes cover are kept aside
    moved = [e for e in audit.events(restored) if e.hashed_as]
    assert moved and all("document_id" in e.hashed_as for e in moved if e.document_id)
    # history still follows a document to the export that included it
    a = Document.get((Document.project == restored) & (Document.name == "a.txt"))
    kinds = [e.kind for e in audit.document_history(restored, a)]
    assert kinds[0] == "document.added" and "export.done" in kinds
    for d in (folders.project_dir(restored), folders.store_dir(restored)):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in folders.project_dir(restored).rglob("*"):
        if f.is_file():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600
    # the restore itself is auditable, and a tampered restored event is still caught
    victim = audit.events(restored)[1]
    Event.update(message="edited").where(Event.id == victim.id).execute()
    assert audit.verify_chain(restored) == (False, victim.id)


def test_archive_is_not_written_inside_its_own_project(home: Path, tmp_path: Path) -> None:
    p = workspace.create_project("self")
    with pytest.raises(LoratuiError) as err:
        archive.archive_project(p, folders.exports_dir(p) / "x.tar.gz")
    assert err.value.code == "invalid"
    assert list(folders.exports_dir(p).iterdir()) == []


def test_restore_under_another_name_beside_the_original(home: Path, tmp_path: Path) -> None:
    p = _project(tmp_path)
    out = tmp_path / "keep.tar.gz"
    archive.archive_project(p, out)
    with pytest.raises(LoratuiError) as err:
        restore.restore_archive(out)
    assert err.value.code == "exists" and "--as" in err.value.hint
    copy = restore.restore_archive(out, as_name="keep copy")
    assert copy.name == "keep copy" and copy.id != p.id
    assert folders.project_dir(copy) != folders.project_dir(p)
    assert _snapshot(copy)["docs"] == _snapshot(p)["docs"]
    assert audit.verify_chain(copy) == (True, None)
    assert audit.verify_chain(p) == (True, None)
    assert all(e.project_name == "keep copy" for e in audit.events(copy))


# ------------------------------------------------------------------ refusals


def _state(home: Path) -> tuple:
    return (
        [p.name for p in Project.select()],
        Event.select().count(),
        sorted(os.listdir(home / "projects")),
    )


def _rewrite(src: Path, dst: Path, change) -> None:  # noqa: ANN001
    """Copy the archive member by member; ``change(members)`` edits the list in place."""
    members = []
    with tarfile.open(src) as tar:
        for m in tar.getmembers():
            members.append((m, tar.extractfile(m).read() if m.isfile() else None))
    change(members)
    with tarfile.open(dst, "w:gz") as tar:
        for m, data in members:
            if data is not None:
                m.size = len(data)
            tar.addfile(m, io.BytesIO(data) if data is not None else None)


def _member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"x", link: str = ""):
    m = tarfile.TarInfo(name)
    m.type = kind
    m.linkname = link
    return m, data if kind == tarfile.REGTYPE else None


@pytest.fixture
def good_archive(home: Path, tmp_path: Path) -> Path:
    p = _project(tmp_path, "source")
    out = tmp_path / "good.tar.gz"
    archive.archive_project(p, out)
    workspace.delete_project(p)
    return out


UNSAFE = {
    "absolute": _member("/tmp/evil.txt"),
    "dotdot": _member("project/../../evil.txt"),
    "symlink": _member("project/link", tarfile.SYMTYPE, link="/etc/passwd"),
    "hardlink": _member("project/hard", tarfile.LNKTYPE, link="manifest.json"),
    "device": _member("project/dev", tarfile.CHRTYPE),
    "fifo": _member("project/fifo", tarfile.FIFOTYPE),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_entries_are_refused_whole(
    case: str, good_archive: Path, home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / f"{case}.tar.gz"
    _rewrite(good_archive, bad, lambda ms: ms.append(UNSAFE[case]))
    before = _state(home)
    with pytest.raises(LoratuiError) as err:
        restore.restore_archive(bad)
    assert err.value.code == "archive_unsafe", err.value.message
    assert _state(home) == before
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def _edit_text(members: list) -> None:
    for i, (m, data) in enumerate(members):
        if m.name.startswith("text/"):
            members[i] = (m, data.replace(b"alpha", b"ALPHA"))


def _add_unlisted(members: list) -> None:
    members.append(_member("project/stowaway.txt", data=b"not in the manifest"))


def _edit_event_and_manifest(members: list) -> None:
    files = dict((m.name, i) for i, (m, _) in enumerate(members))
    m, data = members[files["rows/event.jsonl"]]
    data = data.replace(b"project 'source' created", b"project 'other' created")
    members[files["rows/event.jsonl"]] = (m, data)
    mi, mdata = members[files["manifest.json"]]
    manifest = json.loads(mdata)
    manifest["files"]["rows/event.jsonl"]["sha256"] = hashlib.sha256(data).hexdigest()
    members[files["manifest.json"]] = (mi, json.dumps(manifest).encode())


def _break_rows_and_manifest(members: list) -> None:
    files = dict((m.name, i) for i, (m, _) in enumerate(members))
    m, _data = members[files["rows/page.jsonl"]]
    data = b'{"text": "a page with no document"}\n'
    members[files["rows/page.jsonl"]] = (m, data)
    mi, mdata = members[files["manifest.json"]]
    manifest = json.loads(mdata)
    manifest["files"]["rows/page.jsonl"]["sha256"] = hashlib.sha256(data).hexdigest()
    members[files["manifest.json"]] = (mi, json.dumps(manifest).encode())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_edit_text, "does not match the manifest"),
        (_add_unlisted, "not in its manifest"),
        (_edit_event_and_manifest, "audit trail does not verify"),
        (_break_rows_and_manifest, "rows are malformed"),
    ],
)
def test_mismatches_are_refused_whole(
    change, words: str, good_archive: Path, home: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.tar.gz"
    _rewrite(good_archive, bad, change)
    before = _state(home)
    with pytest.raises(LoratuiError) as err:
        restore.restore_archive(bad)
    assert err.value.code == "archive_corrupt" and words in err.value.message
    assert _state(home) == before


def test_garbage_and_missing_archives(home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b not really gzip at all")
    with pytest.raises(LoratuiError) as err:
        restore.restore_archive(junk)
    assert err.value.code == "archive_corrupt"
    with pytest.raises(LoratuiError) as err:
        restore.restore_archive(tmp_path / "nope.tar.gz")
    assert err.value.code == "not_found"
    assert os.listdir(home / "projects") == []


def test_a_restored_copy_names_no_file_its_drop_folder_never_took(
    home: Path, tmp_path: Path
) -> None:
    """The copy watches a new inbox: the original's drop-folder claims are not its own
    (the dashboard's "last taken" named the original's file)."""
    from loratui.core.projects import overview
    from loratui.core.store.models import DropFile

    p = _project(tmp_path)
    with write_txn():
        DropFile.create(
            project=p,
            rel_path="from-the-original.txt",
            size=5,
            mtime_ns=1,
            state="queued",
            taken_at=1.0,
        )
    assert overview.last_taken(p) == "from-the-original.txt"
    out = tmp_path / "keep.tar.gz"
    archive.archive_project(p, out)
    copy = restore.restore_archive(out, as_name="keep copy")
    assert folders.drop_dir(copy) != folders.drop_dir(p)
    assert overview.last_taken(copy) is None
    assert overview.overview(copy).last_taken is None
    assert overview.last_taken(p) == "from-the-original.txt"


def test_a_project_restored_onto_its_own_drop_folder_keeps_its_claims(
    home: Path, tmp_path: Path
) -> None:
    """Restored in place of the original with the same (custom) drop folder, the claims
    still describe that folder's files: they keep those files from being taken twice."""
    from loratui.core.projects import overview
    from loratui.core.store.models import DropFile

    drop = tmp_path / "shared-drop"
    p = workspace.create_project("watched", drop_folder=drop)
    with write_txn():
        DropFile.create(
            project=p, rel_path="in.txt", size=5, mtime_ns=1, state="queued", taken_at=1.0
        )
    out = tmp_path / "watched.tar.gz"
    archive.archive_project(p, out)
    workspace.delete_project(p)
    back = restore.restore_archive(out)
    assert folders.drop_dir(back) == folders.drop_dir(p)
    assert overview.last_taken(back) == "in.txt"
