"""The demo project: a few small sample documents shipped in loratui/samples/.

``loratui demo`` uses it so a fresh install shows a working app at once. The samples include an
encrypted PDF (password ``demo``) so the failure and unlock path is visible too.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from loratui.core.errors import LoratuiError
from loratui.core.ingest import add as ingest
from loratui.core.projects import workspace
from loratui.core.store.models import FAILED, Document, Project

DEMO_NAME = "demo"
DEMO_PASSWORD = "demo"
LOCKED_SAMPLE = "payroll-calendar-protected.pdf"  # the sample that needs DEMO_PASSWORD


def samples_dir() -> Path:
    """The folder of sample documents inside the installed package."""
    return Path(str(resources.files("loratui") / "samples"))


def sample_files() -> list[Path]:
    return sorted(p for p in samples_dir().iterdir() if p.is_file() and not p.name.startswith("."))


def create_demo(name: str = DEMO_NAME) -> tuple[Project, list[ingest.AddResult]]:
    """Create (or reuse) the demo project and add the samples; re-adding reports duplicates."""
    try:
        project = workspace.get_project(name)
    except LoratuiError:
        project = workspace.create_project(name)
    results = ingest.add_paths(project, [str(p) for p in sample_files()], origin="cli")
    return project, results


@functools.cache
def _locked_sample_sha() -> str:
    return hashlib.sha256((samples_dir() / LOCKED_SAMPLE).read_bytes()).hexdigest()


def password_note(project_id: int) -> str | None:
    """The demo's password, said where it is needed: while a project holds the locked
    sample (found by its bytes, whatever it is called) and it still waits for a password.
    ``loratui demo`` printed it on the terminal, where the app then covered it."""
    sha = _locked_sample_sha()
    doc = (
        Document.select(Document.name)
        .where(
            (Document.project == project_id)
            & (Document.sha256 == sha)
            & (Document.state == FAILED)
            & (Document.error_code.in_(("encrypted", "wrong_password")))
        )
        .first()
    )
    if doc is None:
        return None
    return (
        f"Demo: {doc.name} is locked on purpose; its password is {DEMO_PASSWORD!r} "
        "(open it from Files, then press p in its preview)."
    )
