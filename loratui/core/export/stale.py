"""Leftovers of exports whose process died: hidden temporary folders and running job rows.

An export writes into ``PROJECT_DIR/exports/.tmp-export-<pid>-<ns>`` and renames it to
``vN`` only when complete, so a killed export leaves such a folder and a job still marked
running. The next export removes both (only for processes that are gone) and records
``export.interrupted`` in the audit trail, so the trail says what became of that export.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from loratui.core.audit import log_event
from loratui.core.store import folders
from loratui.core.store.db import write_txn
from loratui.core.store.models import JOB_FAILED, JOB_QUEUED, JOB_RUNNING, Job, Project, now
from loratui.core.store.owners import owner_is_dead, pid_alive

TMP_PREFIX = ".tmp-export-"


def clean_stale(project: Project) -> int:
    """Remove temporary folders of exports whose process is gone; fail their job rows."""
    removed = 0
    base = folders.exports_dir(project)
    if base.is_dir():
        for p in base.iterdir():
            if not p.name.startswith(TMP_PREFIX):
                continue
            pid = p.name[len(TMP_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed += 1
    with write_txn():
        for job in Job.select().where(
            (Job.project == project)
            & (Job.kind == "export")
            & (Job.state.in_([JOB_RUNNING, JOB_QUEUED]))
        ):
            owner = job.lease_owner or ""
            # an id without host:pid was not written by run_export: nobody to wait for
            if ":" not in owner or owner_is_dead(owner):
                job.state = JOB_FAILED
                job.last_error = "the export process stopped before it finished"
                job.updated_at = now()
                job.save()
                log_event(
                    project,
                    "export.interrupted",
                    f"an export started {_when(job.created_at)} stopped before it finished "
                    "(its process was killed or the session closed); no version was written",
                    level="warning",
                    data={"job_id": job.id, "owner": owner},
                )
    return removed


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
