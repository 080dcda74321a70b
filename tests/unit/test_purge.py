"""Purge deletes a document for good: no byte of it stays anywhere under the home."""

import asyncio
from pathlib import Path

import pytest

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.ingest import add as ingest
from loratui.core.jobs.worker import Worker
from loratui.core.projects import purge, workspace
from loratui.core.store import folders
from loratui.core.store.db import write_txn
from loratui.core.store.models import DatasetVersion, Document, Job, Page
from tests.unit.sample_docs import add_text_doc

SECRET = "ZQX-7731-confidential-clause-purple-walrus"
KEEP = "KEEP-4410-harmless-public-paragraph"


def _files_containing(root: Path, needle: str) -> list[str]:
    """Every file under ``root`` whose bytes contain ``needle`` (UTF-8 or UTF-16)."""
    patterns = [needle.encode("utf-8"), needle.encode("utf-16-le")]
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(p in data for p in patterns):
                hits.append(str(path.relative_to(root)))
    return hits


def test_no_byte_of_a_purged_document_remains_under_the_home(home: Path, tmp_path: Path) -> None:
    p = workspace.create_project("secrets")
    src = tmp_path / "src"
    src.mkdir()
    body = "\n".join(f"Paragraph {i}: {SECRET} appears in this contract." for i in range(200))
    (src / "contract.txt").write_text(body, encoding="utf-8")
    (src / "public.txt").write_text(f"{KEEP}\n" * 50, encoding="utf-8")
    ingest.add_paths(p, [src])
    asyncio.run(Worker(p.id, workers=1).run_until_idle())
    docs = {d.name: d for d in Document.select().where(Document.project == p)}
    assert {d.state for d in docs.values()} == {"done"}, [d.error_message for d in docs.values()]
    secret_doc = docs["contract.txt"]
    # the scan can see text where it lives: before the purge both strings are found
    hits = _files_containing(home, SECRET)
    assert any(h.startswith("loratui.db") for h in hits) and any("store" in h for h in hits)
    assert _files_containing(home, KEEP)

    result = purge.purge_documents(p, [secret_doc])
    assert result["compact"]["wal_truncated"] is True
    assert [d["name"] for d in result["purged"]] == ["contract.txt"]
    assert _files_containing(home, SECRET) == []
    assert _files_containing(home, KEEP)  # the other document is untouched
    # what stays: a tombstone with name and sha256, and a chain that still verifies
    tomb = [e for e in audit.events(p) if e.kind == "document.purged"]
    assert len(tomb) == 1
    assert tomb[0].data["name"] == "contract.txt"
    assert tomb[0].data["sha256"] == secret_doc.sha256
    assert tomb[0].document_id == secret_doc.id
    assert audit.verify_chain(p) == (True, None)
    assert "document.purged" in [e.kind for e in audit.document_history(p, secret_doc.id)]

    workspace.delete_project(p)
    assert _files_containing(home, KEEP) == []
    assert _files_containing(home, "contract.txt") == []
    assert [e.kind for e in audit.events(None)] == ["project.deleted"]


def test_purge_removes_rows_jobs_and_original_and_lists_versions(
    home: Path, tmp_path: Path
) -> None:
    p = workspace.create_project("p")
    a = add_text_doc(p, tmp_path / "src", "a.txt", "alpha\n")
    b = add_text_doc(p, tmp_path / "src", "b.txt", "beta\n")
    stored_a = ingest.stored_path(a)
    assert stored_a.exists()
    with write_txn():
        Job.create(project=p, document=a, kind="extract")  # a queued re-run
        DatasetVersion.create(
            project=p, number=1, path="/x/v1", documents=[{"id": a.id, "sha256": a.sha256}]
        )
        DatasetVersion.create(project=p, number=2, path="/x/v2", documents=[b.id])
    result = purge.purge_documents(p, ["a.txt"])
    assert result["versions"] == [{"version": 1, "path": "/x/v1", "documents": ["a.txt"]}]
    assert result["files_removed"] == [str(stored_a)] and not stored_a.exists()
    assert Document.get_or_none(Document.id == a.id) is None
    assert Page.select().join(Document).where(Document.id == a.id).count() == 0
    assert Job.select().where(Job.document == a.id).count() == 0
    assert Document.get_by_id(b.id).state == "done" and ingest.stored_path(b).exists()
    # a document being extracted right now is refused until it is cancelled
    with write_txn():
        Job.update(state="running", lease_owner="elsewhere").where(Job.document == b).execute()
    with pytest.raises(LoratuiError) as err:
        purge.purge_documents(p, [b])
    assert err.value.code == "invalid" and "cancel" in err.value.hint
    assert Document.get_or_none(Document.id == b.id) is not None
    # a later document never takes the purged one's id (its tombstone keeps it)
    c = add_text_doc(p, tmp_path / "src", "c.txt", "gamma\n")
    assert c.id > b.id > a.id


def test_shared_bytes_keep_the_original_and_drop_copies_go(home: Path, tmp_path: Path) -> None:
    p = workspace.create_project("dup")
    a = add_text_doc(p, tmp_path / "src", "a.txt", "same bytes\n")
    [dup] = ingest.add_paths(p, [tmp_path / "src" / "a.txt"])
    result = purge.purge_documents(p, [a])
    assert result["files_removed"] == []
    assert result["files_kept"][0]["used_by"] == [f"{dup.document_id}:a.txt"]
    assert ingest.stored_path(Document.get_by_id(dup.document_id)).exists()
    assert Document.get_by_id(dup.document_id).duplicate_of is None

    dropped = folders.drop_dir(p) / "dropped.txt"
    dropped.write_text("from the drop folder\n")
    [res] = ingest.add_paths(p, [dropped], origin="drop")
    moved = folders.drop_dir(p) / ".done" / "sub" / "renamed.txt"  # watch_after=move
    moved.parent.mkdir(parents=True)
    moved.write_bytes(dropped.read_bytes())
    other = folders.drop_dir(p) / "other.txt"
    other.write_text("from the drop folDER\n")  # same size, other bytes: stays
    result = purge.purge_documents(p, [res.document_id])
    assert str(dropped) in result["files_removed"] and not dropped.exists()
    assert str(moved) in result["files_removed"] and not moved.exists()
    assert other.exists()
