"""The audit trail: the hash chain catches edits, removals and insertions; queries;
one document's history from arrival to the exports it is in."""

from pathlib import Path

import pytest

from loratui.core import audit
from loratui.core.errors import LoratuiError
from loratui.core.projects import workspace
from loratui.core.store.db import database
from loratui.core.store.models import Event
from tests.unit.sample_docs import add_text_doc


def _project_with_docs(tmp_path: Path):
    p = workspace.create_project("audited")
    a = add_text_doc(p, tmp_path / "src", "a.txt", "alpha text\n")
    b = add_text_doc(p, tmp_path / "src", "b.txt", "beta text\n")
    return p, a, b


def test_chain_verifies_and_every_event_says_who_and_where(home: Path, tmp_path: Path) -> None:
    p, _, _ = _project_with_docs(tmp_path)
    rows = audit.events(p)
    assert [e.kind for e in rows][:2] == ["project.created", "document.added"]
    assert all(e.actor and e.origin == "cli" for e in rows)
    added = rows[1].data  # who (actor), from where (origin) and which file
    assert added["source_path"] == str((tmp_path / "src" / "a.txt").resolve())
    assert rows[0].prev_hash == "" and rows[1].prev_hash == rows[0].hash
    assert audit.verify_chain(p) == (True, None)
    assert audit.verify_chain(p.id) == (True, None)


def test_an_edited_event_is_named(home: Path, tmp_path: Path) -> None:
    p, _, _ = _project_with_docs(tmp_path)
    victim = audit.events(p)[2]
    database.execute_sql("UPDATE event SET message = 'nothing happened' WHERE id = ?", (victim.id,))
    ok, broken = audit.verify_chain(p)
    assert (ok, broken) == (False, victim.id)
    assert "edited" in audit.verify_report(p)["reason"]


def test_a_removed_or_inserted_event_breaks_the_chain_at_the_next(
    home: Path, tmp_path: Path
) -> None:
    p, _, _ = _project_with_docs(tmp_path)
    rows = audit.events(p)
    Event.delete().where(Event.id == rows[1].id).execute()
    assert audit.verify_chain(p) == (False, rows[2].id)

    q = workspace.create_project("other")
    audit.log_event(q, "one", "first")
    second = audit.log_event(q, "two", "second")
    forged = Event.create(
        project_id=q.id, kind="forged", message="x", prev_hash=second.hash, hash="0" * 64
    )
    assert audit.verify_chain(q) == (False, forged.id)


def test_data_that_is_not_plain_json_still_verifies(home: Path) -> None:
    p = workspace.create_project("odd")
    audit.log_event(p, "odd.data", data={10: "ten", 9: "nine", "path": Path("/x/y"), "t": (1, 2)})
    ev = audit.events(p)[-1]
    assert ev.data == {"10": "ten", "9": "nine", "path": "/x/y", "t": [1, 2]}
    assert audit.verify_chain(p) == (True, None)


def test_home_chain_holds_project_deletions(home: Path) -> None:
    p = workspace.create_project("short-lived")
    workspace.delete_project(p)
    rows = audit.events(None)
    assert [e.kind for e in rows] == ["project.deleted"]
    assert audit.verify_chain(None) == (True, None)
    database.execute_sql("UPDATE event SET data = '{}' WHERE project_id IS NULL")
    assert audit.verify_chain(None) == (False, rows[0].id)


def test_events_filters(home: Path, tmp_path: Path) -> None:
    p, a, b = _project_with_docs(tmp_path)
    audit.log_event(p, "something.odd", "careful", level="warning", document=a)
    audit.log_event(p, "something.bad", "broken", level="error")
    assert [e.kind for e in audit.events(p, level="warning")] == ["something.odd", "something.bad"]
    assert [e.kind for e in audit.events(p, level="error")] == ["something.bad"]
    assert {e.document_id for e in audit.events(p, document_id=a.id)} == {a.id}
    everything = audit.events(p)
    assert [e.id for e in audit.events(p, limit=2)] == [e.id for e in everything[-2:]]
    mid = everything[2].id
    assert [e.id for e in audit.events(p, since_id=mid)] == [e.id for e in everything[3:]]
    assert [e.id for e in audit.events(p, since_id=mid, limit=1)] == [everything[3].id]
    with pytest.raises(LoratuiError) as err:
        audit.events(p, level="loud")
    assert err.value.code == "invalid"


def test_document_history_runs_to_the_exports_that_include_it(home: Path, tmp_path: Path) -> None:
    p, a, b = _project_with_docs(tmp_path)
    v1 = audit.log_event(
        p, "export.done", "v1", data={"documents": [{"id": a.id, "sha256": a.sha256}]}
    )
    v2 = audit.log_event(p, "export.done", "v2", data={"documents": [b.id]})
    v3 = audit.log_event(p, "export.done", "v3", data={"documents": [{"sha256": a.sha256}]})
    hist = audit.document_history(p, a)
    kinds = [e.kind for e in hist]
    assert kinds[:2] == ["document.added", "task.done"]
    assert [e.id for e in hist if e.kind == "export.done"] == [v1.id, v3.id]
    assert v2.id in [e.id for e in audit.document_history(p, b)]
    # by id alone (as for a purged document), sha256 matches are not possible
    assert [e.id for e in audit.document_history(p, a.id) if e.kind == "export.done"] == [v1.id]
