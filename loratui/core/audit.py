"""The activity log and audit trail: append-only events, hash-chained per project.

Each event's ``hash`` is sha256 over the previous event's hash and the event's own
fields, so editing or deleting any row breaks the chain from there on.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from typing import Any

from loratui.core.db import write_txn
from loratui.core.models import Event, now

_origin = "cli"


def set_origin(origin: str) -> None:
    """Where this process's actions come from by default: cli, tui, drop or worker."""
    global _origin
    _origin = origin


def actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def event_payload(ev: Event) -> dict[str, Any]:
    """The fields an event's hash covers."""
    return {
        "project_id": ev.project_id,
        "project_name": ev.project_name,
        "document_id": ev.document_id,
        "time": ev.time,
        "level": ev.level,
        "kind": ev.kind,
        "message": ev.message,
        "data": ev.data or {},
        "actor": ev.actor,
        "origin": ev.origin,
    }


def compute_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def last_hash(project_id: int | None) -> str:
    q = Event.select(Event.hash).where(
        Event.project_id.is_null() if project_id is None else Event.project_id == project_id
    )
    row = q.order_by(Event.id.desc()).first()
    return row.hash if row else ""


def log_event(
    project: Any,
    kind: str,
    message: str = "",
    *,
    level: str = "info",
    document: Any = None,
    data: dict[str, Any] | None = None,
    origin: str | None = None,
) -> Event:
    """Append one event to ``project``'s chain (``None``: the home's own chain).

    ``project`` and ``document`` may be model instances or ids.
    """
    project_id = getattr(project, "id", project)
    project_name = getattr(project, "name", None)
    document_id = getattr(document, "id", document)
    with write_txn():
        if project_name is None and project_id is not None:
            from loratui.core.models import Project

            p = Project.get_or_none(Project.id == project_id)
            project_name = p.name if p else None
        ev = Event(
            project_id=project_id,
            project_name=project_name,
            document_id=document_id,
            time=now(),
            level=level,
            kind=kind,
            message=message,
            data=data or {},
            actor=actor(),
            origin=origin or _origin,
        )
        ev.prev_hash = last_hash(project_id)
        ev.hash = compute_hash(ev.prev_hash, event_payload(ev))
        ev.save(force_insert=True)
    return ev
