"""The run record: a ``process`` or ``export`` command at work on the Ray engine.

The TUI holds no state of its own and the command may run in another process (a
``loratui process --engine ray`` in a terminal while the TUI is open), so the engine and
the cluster's size are written where every reader looks: a ``run`` row of the job table,
``running`` while the command runs, owned (``host:pid:token``) by its process so a reader
can tell a live run from one whose command was killed (``projects.overview.active_runs``).
A record left running by a killed command is closed by the next run of the project.
"""

from __future__ import annotations

from typing import Any

from loratui.core.audit import log_event
from loratui.core.store.db import write_txn
from loratui.core.store.models import JOB_DONE, JOB_FAILED, JOB_RUN, JOB_RUNNING, Job, now
from loratui.core.store.owners import new_owner, owner_is_dead


def _close_dead(project_id: int) -> None:
    """Close the run records of this project whose command is gone (in the caller's txn)."""
    rows = Job.select(Job.id, Job.lease_owner).where(
        (Job.project == project_id) & (Job.kind == JOB_RUN) & (Job.state == JOB_RUNNING)
    )
    dead = [row.id for row in rows if owner_is_dead(row.lease_owner)]
    if dead:
        Job.update(
            state=JOB_FAILED,
            lease_owner=None,
            last_error="the command stopped without finishing (killed)",
            updated_at=now(),
        ).where(Job.id.in_(dead)).execute()


def start(project_id: int, command: str, details: dict[str, Any]) -> int:
    """Record that ``command`` runs now on the engine ``details`` describe; its id."""
    with write_txn():
        _close_dead(project_id)
        job = Job.create(
            project=project_id,
            kind=JOB_RUN,
            state=JOB_RUNNING,
            lease_owner=new_owner("run"),
            payload={"command": command, **details},
            max_attempts=1,
            attempts=1,
        )
        log_event(
            project_id,
            "run.started",
            f"{command} on the {details.get('engine')} engine: {details.get('cpus')} CPUs on "
            f"{details.get('nodes')} node(s) ({details.get('address')})",
            data={"run": job.id, "command": command, **details},
        )
    return int(job.id)


def finish(project_id: int, run_id: int, error: BaseException | None = None) -> None:
    """Close the record: done, or failed with ``error``."""
    message = None if error is None else (str(error) or type(error).__name__)
    with write_txn():
        Job.update(
            state=JOB_DONE if error is None else JOB_FAILED,
            lease_owner=None,
            last_error=message,
            updated_at=now(),
        ).where(Job.id == run_id).execute()
        log_event(
            project_id,
            "run.finished",
            "run finished" if error is None else f"run ended: {message}",
            level="info" if error is None else "warning",
            data={"run": run_id, "error": message},
        )
