"""Leftovers of exports whose process died: hidden temporary folders and running job rows.

An export writes into ``PROJECT_DIR/exports/.tmp-export-<pid>-<ns>`` and renames it to
``vN`` only when complete, so a killed export leaves such a folder and a job still marked
running. The next export removes both (only for processes that are gone).
"""

from __future__ import annotations

import os
import shutil
import socket

from loratui.core import projects
from loratui.core.db import write_txn
from loratui.core.models import JOB_FAILED, JOB_QUEUED, JOB_RUNNING, Job, Project, now

TMP_PREFIX = ".tmp-export-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(project: Project) -> int:
    """Remove temporary folders of exports whose process is gone; fail their job rows."""
    removed = 0
    base = projects.exports_dir(project)
    if base.is_dir():
        for p in base.iterdir():
            if not p.name.startswith(TMP_PREFIX):
                continue
            pid = p.name[len(TMP_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed += 1
    host = socket.gethostname()
    with write_txn():
        for job in Job.select().where(
            (Job.project == project)
            & (Job.kind == "export")
            & (Job.state.in_([JOB_RUNNING, JOB_QUEUED]))
        ):
            parts = (job.lease_owner or "").split(":")
            dead = len(parts) < 2 or (
                parts[0] == host and parts[1].isdigit() and not _pid_alive(int(parts[1]))
            )
            if dead:
                job.state = JOB_FAILED
                job.last_error = "the export process stopped before it finished"
                job.updated_at = now()
                job.save()
    return removed
