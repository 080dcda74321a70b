"""Projects (workspaces): create, list, find, rename, delete, change settings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from loratui.core.audit import log_event
from loratui.core.errors import LoratuiError
from loratui.core.store import home as home_mod
from loratui.core.store.db import write_txn
from loratui.core.store.folders import drop_dir, exports_dir, project_dir, store_dir
from loratui.core.store.models import Event, Project, now

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


def validate_name(name: str) -> str:
    """Return the trimmed name or raise ``invalid`` with what is wrong."""
    name = (name or "").strip()
    if not name:
        raise LoratuiError("invalid", "a project needs a name")
    if not NAME_RE.match(name):
        raise LoratuiError(
            "invalid",
            f"{name!r} is not a valid project name",
            "use 1-64 letters, digits, spaces, dots, dashes or underscores, "
            "starting with a letter or digit",
        )
    return name


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"


def create_project(name: str, drop_folder: str | Path | None = None) -> Project:
    """Create a project row and its private folders; log ``project.created``."""
    name = validate_name(name)
    drop = str(Path(drop_folder).expanduser().resolve()) if drop_folder else None
    with write_txn():
        if Project.get_or_none(Project.name == name):
            raise LoratuiError(
                "exists", f"a project named {name!r} already exists", "choose another name"
            )
        project = Project.create(name=name, folder=f"tmp-{now()}")
        project.folder = f"{project.id:04d}-{_slug(name)}"
        project.drop_folder = drop
        project.save()
    base = project_dir(project)
    for sub in (base, store_dir(project), exports_dir(project)):
        home_mod.ensure_private_dir(sub)
    from loratui.core.projects.privacy import apply_drop_mode

    apply_drop_mode(project)  # 0700, or 0770 when drop_group_writable is set
    log_event(
        project,
        "project.created",
        f"project {name!r} created",
        data={"folder": str(base), "drop_folder": str(drop_dir(project))},
    )
    return project


def name_taken(name: str, exclude_id: int | None = None) -> bool:
    """Whether another project (not ``exclude_id``) already has this name."""
    other = Project.get_or_none(Project.name == name.strip())
    return other is not None and other.id != exclude_id


def list_projects() -> list[Project]:
    return list(Project.select().order_by(Project.name))


def get_project(ref: str | int) -> Project:
    """Find a project by name or id; raise ``not_found`` with the names that exist."""
    project = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        project = Project.get_or_none(Project.id == int(ref))
    if project is None:
        project = Project.get_or_none(Project.name == str(ref))
    if project is None:
        names = ", ".join(p.name for p in list_projects()) or "none yet"
        raise LoratuiError(
            "not_found",
            f"no project named {ref!r}",
            f"projects: {names}; create one with `loratui new NAME`",
            f"projects: {names}; open one from the list, or press `n` there for a new one",
        )
    return project


def rename_project(project: Project, new_name: str) -> Project:
    new_name = validate_name(new_name)
    old = project.name
    with write_txn():
        if Project.get_or_none((Project.name == new_name) & (Project.id != project.id)):
            raise LoratuiError("exists", f"a project named {new_name!r} already exists")
        project.name = new_name
        project.updated_at = now()
        project.save()
    log_event(
        project,
        "project.renamed",
        f"project {old!r} renamed to {new_name!r}",
        data={"old": old, "new": new_name},
    )
    return project


def delete_project(project: Project) -> dict[str, object]:
    """Remove the project's folder and every row; keep one home-level audit event of it."""
    folder = project_dir(project)
    summary = {
        "name": project.name,
        "folder": str(folder),
        "documents": project.documents.count(),
        "versions": project.versions.count(),
    }
    with write_txn():
        Event.delete().where(Event.project_id == project.id).execute()
        project.delete_instance(recursive=True)
    shutil.rmtree(folder, ignore_errors=True)
    log_event(None, "project.deleted", f"project {summary['name']!r} deleted", data=summary)
    from loratui.core.projects.purge import compact_database

    compact_database()  # no byte of the deleted rows stays in the database file
    return summary


def update_settings(project: Project, changes: dict[str, object]) -> Project:
    with write_txn():
        fresh = Project.get_by_id(project.id)
        merged = dict(fresh.settings or {})
        merged.update(changes)
        fresh.settings = merged
        fresh.updated_at = now()
        fresh.save()
    log_event(fresh, "project.settings", "settings changed", data={"changes": changes})
    if "drop_group_writable" in changes:
        from loratui.core.projects.privacy import apply_drop_mode

        apply_drop_mode(fresh)
    return fresh
