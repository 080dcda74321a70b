"""Where a project's files live in the home: its folder, ``store/``, ``exports/``, ``inbox/``."""

from __future__ import annotations

from pathlib import Path

from loratui.core.store import home as home_mod
from loratui.core.store.models import Project


def project_dir(project: Project) -> Path:
    return home_mod.current() / home_mod.PROJECTS_DIR / project.folder


def store_dir(project: Project) -> Path:
    """Originals, content-addressed by sha256."""
    return project_dir(project) / "store"


def exports_dir(project: Project) -> Path:
    return project_dir(project) / "exports"


def drop_dir(project: Project) -> Path:
    return Path(project.drop_folder) if project.drop_folder else project_dir(project) / "inbox"
