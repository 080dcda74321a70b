"""Projects: create, find, rename, delete; private folders; the audit of each step."""

import stat
from pathlib import Path

import pytest

from loratui.core import projects
from loratui.core.errors import LoratuiError
from loratui.core.models import Event, Project


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_create_makes_private_folders(home: Path) -> None:
    p = projects.create_project("Contracts 2026")
    base = projects.project_dir(p)
    assert base.parent.parent == home
    assert mode(home) == 0o700
    for d in (base, projects.store_dir(p), projects.exports_dir(p), projects.drop_dir(p)):
        assert d.is_dir() and mode(d) == 0o700
    assert mode(home / "loratui.db") == 0o600
    assert [e.kind for e in Event.select().where(Event.project_id == p.id)] == ["project.created"]


def test_names_are_validated_and_unique(home: Path) -> None:
    projects.create_project("alpha")
    with pytest.raises(LoratuiError) as err:
        projects.create_project("alpha")
    assert err.value.code == "exists"
    for bad in ("", "  ", "../etc", "a/b", "x" * 65):
        with pytest.raises(LoratuiError) as err:
            projects.create_project(bad)
        assert err.value.code == "invalid" and err.value.hint


def test_get_by_name_or_id_and_rename(home: Path) -> None:
    p = projects.create_project("alpha")
    assert projects.get_project("alpha").id == p.id
    assert projects.get_project(str(p.id)).name == "alpha"
    projects.rename_project(p, "beta")
    assert projects.get_project("beta").id == p.id
    with pytest.raises(LoratuiError) as err:
        projects.get_project("alpha")
    assert err.value.code == "not_found" and "beta" in err.value.hint


def test_delete_removes_folder_rows_and_keeps_one_audit_event(home: Path) -> None:
    p = projects.create_project("gone")
    folder = projects.project_dir(p)
    pid = p.id
    projects.delete_project(p)
    assert not folder.exists()
    assert Project.select().count() == 0
    assert Event.select().where(Event.project_id == pid).count() == 0
    home_events = list(Event.select().where(Event.project_id.is_null()))
    assert [e.kind for e in home_events] == ["project.deleted"]
    assert home_events[0].data["name"] == "gone"
