"""Projects: create, find, rename, delete; private folders; the audit of each step."""

import stat
from pathlib import Path

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.projects import workspace
from loratui.core.store import folders
from loratui.core.store.models import Event, Project


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_create_makes_private_folders(home: Path) -> None:
    p = workspace.create_project("Contracts 2026")
    base = folders.project_dir(p)
    assert base.parent.parent == home
    assert mode(home) == 0o700
    for d in (base, folders.store_dir(p), folders.exports_dir(p), folders.drop_dir(p)):
        assert d.is_dir() and mode(d) == 0o700
    assert mode(home / "loratui.db") == 0o600
    assert [e.kind for e in Event.select().where(Event.project_id == p.id)] == ["project.created"]


def test_names_are_validated_and_unique(home: Path) -> None:
    workspace.create_project("alpha")
    with pytest.raises(LoratuiError) as err:
        workspace.create_project("alpha")
    assert err.value.code == "exists"
    for bad in ("", "  ", "../etc", "a/b", "x" * 65):
        with pytest.raises(LoratuiError) as err:
            workspace.create_project(bad)
        assert err.value.code == "invalid" and err.value.hint


def test_get_by_name_or_id_and_rename(home: Path) -> None:
    p = workspace.create_project("alpha")
    assert workspace.get_project("alpha").id == p.id
    assert workspace.get_project(str(p.id)).name == "alpha"
    workspace.rename_project(p, "beta")
    assert workspace.get_project("beta").id == p.id
    with pytest.raises(LoratuiError) as err:
        workspace.get_project("alpha")
    assert err.value.code == "not_found" and "beta" in err.value.hint


def test_delete_removes_folder_rows_and_keeps_one_audit_event(home: Path) -> None:
    p = workspace.create_project("gone")
    folder = folders.project_dir(p)
    pid = p.id
    workspace.delete_project(p)
    assert not folder.exists()
    assert Project.select().count() == 0
    assert Event.select().where(Event.project_id == pid).count() == 0
    home_events = list(Event.select().where(Event.project_id.is_null()))
    assert [e.kind for e in home_events] == ["project.deleted"]
    assert home_events[0].data["name"] == "gone"
