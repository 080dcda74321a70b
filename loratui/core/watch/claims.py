"""Claims on drop-folder files, kept in the database so two watchers never take one file.

A watcher inserts a ``DropFile`` row for (project, path, size, mtime) inside a
``BEGIN IMMEDIATE`` transaction before it adds the file; whoever inserts first owns it.
A claim left behind by a watcher that died (killed, crashed) before it finished is taken
over once its owner is known to be gone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from loratui.core.store import owners
from loratui.core.store.db import write_txn
from loratui.core.store.models import Document, DropFile, now
from loratui.core.store.text import path_text

CLAIMED = "claimed"
# A claim by a watcher on another host is presumed dead after this long.
FOREIGN_CLAIM_TTL_S = 900.0

_live_owners: set[str] = set()


def new_owner() -> str:
    """A fresh owner id for one watcher (``host:pid:token``), registered as alive."""
    owner = owners.new_owner()
    _live_owners.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    """Mark this process's watcher as stopped: its unfinished claims become stale."""
    _live_owners.discard(owner)


def owner_is_gone(owner: str | None, claimed_at: float) -> bool:
    """True when the watcher that made a claim can no longer finish it.

    One on this host is gone when its process is (or, in this process, when it was
    retired); one elsewhere, or without a pid, after ``FOREIGN_CLAIM_TTL_S``.
    """
    if not owner:
        return True
    host, pid = owners.parse_owner(owner)
    if host != socket.gethostname() or pid is None:
        return now() - claimed_at > FOREIGN_CLAIM_TTL_S
    if pid == os.getpid():
        return owner not in _live_owners
    return owners.owner_is_dead(owner)


@dataclass
class Claim:
    """A claim this watcher now holds, with the last earlier version of the same path."""

    row: DropFile
    previous: DropFile | None
    recovered: bool = False


class KnownVersions(set[tuple[str, int, int]]):
    """(path, size, mtime_ns) of file versions dealt with; paths compared as stored
    (``path_text``: a name that is not UTF-8 is kept with ``\\xNN`` escapes)."""

    def add(self, key: tuple[str, int, int]) -> None:
        super().add((path_text(key[0]), key[1], key[2]))

    def __contains__(self, key: object) -> bool:
        if isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str):
            key = (path_text(key[0]), key[1], key[2])
        return super().__contains__(key)


def known_keys(project_id: int) -> KnownVersions:
    """(path, size, mtime_ns) of every finished claim: files never to be taken again."""
    q = (
        DropFile.select(DropFile.rel_path, DropFile.size, DropFile.mtime_ns)
        .where((DropFile.project == project_id) & (DropFile.state != CLAIMED))
        .tuples()
    )
    return KnownVersions(q)


def claim(
    project_id: int,
    rel_path: str,
    size: int,
    mtime_ns: int,
    sha256: str | None,
    owner: str,
) -> Claim | None:
    """Claim one file version; None when another watcher has it (or had it) already."""
    rel_path = path_text(rel_path)
    key = (
        (DropFile.project == project_id)
        & (DropFile.rel_path == rel_path)
        & (DropFile.size == size)
        & (DropFile.mtime_ns == mtime_ns)
    )
    with write_txn():
        existing = DropFile.get_or_none(key)
        if existing is not None:
            if existing.state != CLAIMED or not owner_is_gone(existing.owner, existing.taken_at):
                return None
            existing.owner = owner
            existing.sha256 = sha256
            existing.taken_at = now()
            existing.save()
            return Claim(existing, _previous(project_id, rel_path, existing.id), recovered=True)
        row = DropFile.create(
            project=project_id,
            rel_path=rel_path,
            size=size,
            mtime_ns=mtime_ns,
            sha256=sha256,
            owner=owner,
            state=CLAIMED,
            taken_at=now(),
        )
        return Claim(row, _previous(project_id, rel_path, row.id))


def _previous(project_id: int, rel_path: str, exclude_id: int) -> DropFile | None:
    return (
        DropFile.select()
        .where(
            (DropFile.project == project_id)
            & (DropFile.rel_path == rel_path)
            & (DropFile.id != exclude_id)
            & (DropFile.state.not_in([CLAIMED, "skipped"]))
        )
        .order_by(DropFile.id.desc())
        .first()
    )


def finish(
    row: DropFile, state: str, document_id: int | None = None, reason: str | None = None
) -> None:
    """Record what became of a claimed file; from now on it is never taken again."""
    with write_txn():
        DropFile.update(state=state, document=document_id, reason=reason).where(
            DropFile.id == row.id
        ).execute()
    row.state, row.document_id, row.reason = state, document_id, reason


def release(row: DropFile) -> None:
    """Give a claim back (adding failed for a passing reason); the file is tried again."""
    with write_txn():
        DropFile.delete().where((DropFile.id == row.id) & (DropFile.state == CLAIMED)).execute()


def record_skip(project_id: int, rel_path: str, mtime_ns: int, reason: str) -> bool:
    """Remember a path that is never taken (symlink out, device); True the first time."""
    rel_path = path_text(rel_path)
    with write_txn():
        key = (
            (DropFile.project == project_id)
            & (DropFile.rel_path == rel_path)
            & (DropFile.size == -1)
            & (DropFile.mtime_ns == mtime_ns)
        )
        if DropFile.get_or_none(key) is not None:
            return False
        DropFile.create(
            project=project_id,
            rel_path=rel_path,
            size=-1,
            mtime_ns=mtime_ns,
            state="skipped",
            reason=reason,
            taken_at=now(),
        )
        return True


def stored_document(project_id: int, sha256: str | None) -> Document | None:
    """The project's document with these bytes, if a dead watcher added it before dying."""
    if not sha256:
        return None
    return (
        Document.select()
        .where(
            (Document.project == project_id)
            & (Document.sha256 == sha256)
            & (Document.origin == "drop")
        )
        .order_by(Document.id)
        .first()
    )
