"""The activity log and audit trail: append-only events, hash-chained per project.

Each event's ``hash`` is sha256 over the previous event's hash and the event's own
fields, so editing or deleting any row breaks the chain from there on.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import hashlib
import json
from typing import Any

from loratui.core.store.db import database, write_txn
from loratui.core.store.models import Event, now
from loratui.core.store.text import storable

_origin = "cli"


def set_origin(origin: str) -> None:
    """Where this process's actions come from by default: cli, tui, drop or worker."""
    global _origin
    _origin = origin


@functools.cache
def actor() -> str:
    """The user this process acts for (read once: ``getpass`` asks the password database
    when no LOGNAME/USER is set, and every event of every document records it)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def event_payload(ev: Event) -> dict[str, Any]:
    """The fields an event's hash covers.

    A restored event carries ``hashed_as``: the ids and project name it had when its
    hash was computed (restore gives rows new ids); those values are hashed instead.
    This field list is part of every stored chain, so it is spelled out here and not
    shared with ``event_dict`` (what ``log --json`` shows may grow; this must not).
    """
    payload = {
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
    for key in HASHED_AS_KEYS:
        if ev.hashed_as and key in ev.hashed_as:
            payload[key] = ev.hashed_as[key]
    return payload


HASHED_AS_KEYS = ("project_id", "project_name", "document_id")


def plain_json(data: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` as it reads back from the database (str keys, lists, no Paths).

    Hashing the round-tripped form keeps the chain verifiable whatever callers pass.
    """
    return _texts(json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)))


def _texts(value: Any) -> Any:
    """File names that are not UTF-8 (lone surrogates) as ``\\xNN`` escapes, everywhere."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k): _texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_texts(v) for v in value]
    return value


def compute_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


_HEAD_SQL = "SELECT hash FROM event WHERE project_id = ? ORDER BY id DESC LIMIT 1"
_HOME_HEAD_SQL = "SELECT hash FROM event WHERE project_id IS NULL ORDER BY id DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO event (project_id, project_name, document_id, time, level, kind, message, "
    "data, actor, origin, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def last_hash(project_id: int | None) -> str:
    """The hash at the head of the chain (one indexed query; the caller holds the write
    lock when it appends after it)."""
    if project_id is None:
        row = database.execute_sql(_HOME_HEAD_SQL).fetchone()
    else:
        row = database.execute_sql(_HEAD_SQL, (project_id,)).fetchone()
    return row[0] if row else ""


def _append(ev: Event) -> None:
    """Chain ``ev`` after the head and insert it, as prepared SQL (this runs for every
    state change, so building the statements with the ORM each time would dominate)."""
    ev.prev_hash = last_hash(ev.project_id)
    ev.hash = compute_hash(ev.prev_hash, event_payload(ev))
    cursor = database.execute_sql(
        _INSERT_SQL,
        (
            Event.project_id.db_value(ev.project_id),
            ev.project_name,
            Event.document_id.db_value(ev.document_id),
            Event.time.db_value(ev.time),
            ev.level,
            ev.kind,
            ev.message,
            json.dumps(ev.data, sort_keys=True, ensure_ascii=False),  # as JSONText stores it
            ev.actor,
            ev.origin,
            ev.prev_hash,
            ev.hash,
        ),
    )
    ev.id = cursor.lastrowid
    ev._dirty.clear()


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
    # Inside a caller's write transaction the head read and the insert are already
    # atomic (one statement appends, so no savepoint is needed); alone, take the lock.
    with contextlib.nullcontext() if database.in_transaction() else write_txn():
        if project_name is None and project_id is not None:
            row = database.execute_sql(
                "SELECT name FROM project WHERE id = ?", (project_id,)
            ).fetchone()
            project_name = row[0] if row else None
        ev = Event(
            project_id=project_id,
            project_name=project_name,
            document_id=document_id,
            time=now(),
            level=level,
            kind=kind,
            message=storable(message),
            data=plain_json(data),
            actor=actor(),
            origin=origin or _origin,
        )
        _append(ev)
    return ev


LEVELS = ("debug", "info", "warning", "error")


def _chain_filter(project_id: int | None):  # noqa: ANN202 - a peewee expression
    return Event.project_id.is_null() if project_id is None else Event.project_id == project_id


def verify_chain(project: Any) -> tuple[bool, int | None]:
    """Recompute ``project``'s chain (``None``: the home's); ``(ok, first broken event id)``.

    An event is broken when its ``prev_hash`` is not the hash of the event before it
    (one was deleted or inserted) or its ``hash`` does not match its fields (edited).
    """
    report = verify_report(project)
    return report["ok"], report["first_broken_event_id"]


def verify_report(project: Any) -> dict[str, Any]:
    """What ``verify_chain`` finds, with the event count and why the first break broke."""
    project_id = getattr(project, "id", project)
    prev = ""
    count = 0
    query = Event.select().where(_chain_filter(project_id)).order_by(Event.id)
    for ev in query.iterator():
        count += 1
        reason = None
        if ev.prev_hash != prev:
            reason = "prev_hash does not match the event before it (an event was removed or added)"
        elif compute_hash(prev, event_payload(ev)) != ev.hash:
            reason = "hash does not match the event's contents (the event was edited)"
        if reason:
            return {
                "ok": False,
                "events": count,
                "first_broken_event_id": ev.id,
                "reason": reason,
            }
        prev = ev.hash
    return {"ok": True, "events": count, "first_broken_event_id": None, "reason": None}


def _level_at_least(level: str) -> list[str]:
    if level not in LEVELS:
        from loratui.core.errors import LoratuiError

        raise LoratuiError("invalid", f"unknown level {level!r}", "levels: " + ", ".join(LEVELS))
    return list(LEVELS[LEVELS.index(level) :])


def events(
    project: Any,
    level: str | None = None,
    document_id: int | None = None,
    since_id: int | None = None,
    limit: int | None = None,
) -> list[Event]:
    """Events of ``project`` (``None``: the home's own) in order, oldest first.

    ``level`` keeps that level and above (debug < info < warning < error);
    ``since_id`` keeps events after that id (for following the log); ``limit`` keeps
    the newest ``limit`` of them, or with ``since_id`` the first ``limit`` after it.
    """
    project_id = getattr(project, "id", project)
    query = Event.select().where(_chain_filter(project_id))
    if level:
        query = query.where(Event.level.in_(_level_at_least(level)))
    if document_id is not None:
        query = query.where(Event.document_id == document_id)
    if since_id is not None:
        query = query.where(Event.id > since_id)
    if limit is not None and since_id is None:
        rows = list(query.order_by(Event.id.desc()).limit(limit))
        rows.reverse()
        return rows
    query = query.order_by(Event.id)
    if limit is not None:
        query = query.limit(limit)
    return list(query)


def last_event_id(project: Any) -> int:
    """The id of ``project``'s newest event (``None``: the home's), 0 when there is none."""
    newest = events(project, limit=1)
    return newest[-1].id if newest else 0


def purged_document_id(project: Any, name: str) -> int | None:
    """The id a purged document of this name had (its newest tombstone), if any."""
    project_id = getattr(project, "id", project)
    tombstones = Event.select().where(
        (Event.project_id == project_id) & (Event.kind == "document.purged")
    )
    for ev in tombstones.order_by(Event.id.desc()):
        if (ev.data or {}).get("name") == name:
            return ev.document_id
    return None


def lists_document(data: Any, doc_id: int, sha256: str | None) -> bool:
    """Whether an export event's ``data`` names the document (by id or sha256)."""
    if not isinstance(data, dict):
        return False
    for key in ("documents", "document_ids", "inputs"):
        items = data.get(key)
        if not isinstance(items, list | dict):
            continue
        if isinstance(items, dict):  # {"12": sha, ...}
            items = [{"id": k, "sha256": v} for k, v in items.items()]
        for item in items:
            if isinstance(item, dict):
                ids = {item.get("id"), item.get("document_id")}
                if doc_id in ids or str(doc_id) in ids:
                    return True
                if sha256 and sha256 in (item.get("sha256"), item.get("document_sha256")):
                    return True
            elif item == doc_id or item == str(doc_id):
                return True
    return False


RESTORED = "project.restored"


def document_history(project: Any, doc: Any) -> list[Event]:
    """One document's timeline: its own events, then the exports that included it.

    ``doc`` may be a Document or an id (a purged document's tombstone is found by id).
    Export events match when their ``data`` lists the document's id or sha256; an
    export older than a restore names the id the document had then, which the
    ``project.restored`` event's ``document_ids`` map (old -> new) translates.
    """
    project_id = getattr(project, "id", project)
    doc_id = int(getattr(doc, "id", doc))
    sha256 = getattr(doc, "sha256", None)
    chain = _chain_filter(project_id)
    own = Event.select().where(chain & (Event.document_id == doc_id))
    found = {ev.id: ev for ev in own}
    others = Event.select().where(
        chain
        & Event.document_id.is_null()
        & (Event.kind.startswith("export") | (Event.kind == RESTORED))
    )
    id_then: int | None = doc_id  # the document's id as of the event being looked at
    for ev in others.order_by(Event.id.desc()).iterator():
        if ev.kind == RESTORED:
            old_to_new = (ev.data or {}).get("document_ids") or {}
            back = {int(new): int(old) for old, new in old_to_new.items()}
            id_then = back.get(id_then) if id_then is not None else None
        elif lists_document(ev.data, id_then if id_then is not None else -1, sha256):
            found[ev.id] = ev
    return [found[k] for k in sorted(found)]


def event_dict(ev: Event) -> dict[str, Any]:
    """An event as ``log --json`` prints it (time as epoch seconds and ISO 8601 UTC)."""
    from datetime import UTC, datetime

    return {
        "id": ev.id,
        "time": datetime.fromtimestamp(ev.time, UTC).isoformat(timespec="milliseconds"),
        "ts": ev.time,
        "project_id": ev.project_id,
        "project_name": ev.project_name,
        "document_id": ev.document_id,
        "level": ev.level,
        "kind": ev.kind,
        "message": ev.message,
        "data": ev.data or {},
        "actor": ev.actor,
        "origin": ev.origin,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
        "hashed_as": ev.hashed_as,
    }
