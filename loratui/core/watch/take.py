"""Taking one complete drop-folder file: claim it, add it, record what became of it.

The drop-folder watcher calls this on its own thread once a file has settled. Each
version of a path (path, size, mtime) is taken once: a claim in the database keeps two
watchers apart, and ``known`` remembers the versions this watcher is done with.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loratui.core.ingest import links
from loratui.core.store import settings
from loratui.core.store.home import ensure_private_dir
from loratui.core.store.models import FAILED, Document, Project
from loratui.core.store.text import path_text
from loratui.core.watch import claims as watch_claims
from loratui.core.watch.rules import after_folder, unique_destination

ORIGIN = "drop"

KnownKey = tuple[str, int, int]  # (path, size, mtime_ns); size -1 for remembered skips
Report = Callable[..., None]  # (kind, message, level=..., **log_event keywords)


@dataclass(frozen=True)
class TakenFile:
    """What became of one file the watcher took (passed to ``on_taken``)."""

    rel_path: str
    path: str
    state: str  # queued, duplicate, failed, skipped (add's states)
    document_id: int | None
    reason: str | None
    new_version: bool
    at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FileTaker:
    """Adds settled files of one drop folder to the project, each version once.

    ``report(kind, message, level=..., **kw)`` logs an audit event (the watcher also
    shows warnings). ``known`` holds the versions never to look at again.
    """

    def __init__(
        self, project: Project, root: Path, owner: str, known: set[KnownKey], report: Report
    ) -> None:
        self.project = project
        self.root = root
        self.owner = owner
        self.known = known
        self._report = report

    def skip(self, rel: str, kind: str, mtime_ns: int, target: str | None) -> bool:
        """Remember a path never to take (a link out, a device); True the first time."""
        if kind == "link_outside":
            reason = links.Link(target or "?", inside=False).reason("drop folder")
        else:
            reason = "not a regular file (device, FIFO or socket)"
        self.known.add((rel, -1, mtime_ns))
        if not watch_claims.record_skip(self.project.id, rel, mtime_ns, reason):
            return False
        self._report(
            "drop.skipped",
            f"drop folder: skipped {rel}: {reason}",
            level="warning",
            data={"path": rel, "reason": reason},
        )
        return True

    def take(self, rel: str, size: int, mtime_ns: int, sha: str | None) -> TakenFile | None:
        """Claim and add one settled file version whose bytes hash to ``sha``.

        None when nothing was added: another watcher holds it, a dead watcher had added
        it already, or its bytes are the same as the version taken before. The caller
        counts the file, then calls ``after_store``.
        """
        from loratui.core.ingest import add as ingest  # the engine's add; imported late (heavy)

        path = self.root / rel
        key = (rel, size, mtime_ns)
        got = watch_claims.claim(self.project.id, rel, size, mtime_ns, sha, self.owner)
        if got is None:  # another watcher has it
            self.known.add(key)
            return None
        prev = got.previous
        if got.recovered:
            doc = watch_claims.stored_document(self.project.id, sha)
            if doc is not None:
                state = "duplicate" if doc.duplicate_of_id else "queued"
                watch_claims.finish(got.row, state, doc.id, "recovered an unfinished claim")
                self.known.add(key)
                return None
        if prev is not None and sha is not None and prev.sha256 == sha and prev.document_id:
            watch_claims.finish(got.row, "unchanged", prev.document_id, "same bytes as before")
            self.known.add(key)
            self._report(
                "drop.unchanged",
                f"drop folder: {rel} was touched but its content is unchanged; not taken again",
                level="debug",
                document=prev.document_id,
                data={"path": rel},
            )
            return None
        if prev is not None:
            self._report(
                "drop.new_version",
                f"drop folder: {rel} changed since it was taken; taking the new version",
                document=prev.document_id,
                data={
                    "path": rel,
                    "previous_document_id": prev.document_id,
                    "previous_sha256": prev.sha256,
                    "sha256": sha,
                },
            )
        try:
            results = ingest.add_paths(self.project, [str(path)], origin=ORIGIN)
        except Exception:
            watch_claims.release(got.row)  # the caller tries again after a settle time
            raise
        res = results[0] if results else None
        state = res.state if res else "skipped"
        doc_id = res.document_id if res else None
        reason = (res.reason or res.error_code) if res else "add took nothing from this path"
        watch_claims.finish(got.row, state, doc_id, reason)
        self.known.add(key)
        if prev is not None and doc_id is not None:
            self._replace_failed(rel, prev.document_id, doc_id)
        # shown and logged: the names as text (see ``path_text``)
        return TakenFile(
            path_text(rel), path_text(path), state, doc_id, reason, prev is not None, time.time()
        )

    def _replace_failed(self, rel: str, old_id: int | None, new_id: int) -> None:
        """The earlier version of ``rel`` failed (a transfer that paused past the settle
        time: half a PDF is ``corrupt``): the new version replaces it, so one document
        stays and the failure is not left behind as a false one. Its events and a
        tombstone stay in the audit trail, linked from a ``drop.replaced`` event."""
        from loratui.core.projects import purge

        old = Document.get_or_none(Document.id == old_id) if old_id is not None else None
        if old is None or old.id == new_id or old.state != FAILED:
            return
        code = old.error_code
        purge.purge_documents(self.project, [old.id])
        self._report(
            "drop.replaced",
            f"drop folder: {rel} changed after its earlier version failed ({code}); the "
            "new version replaces it",
            document=new_id,
            data={"path": rel, "previous_document_id": old_id, "previous_error_code": code},
        )

    def after_store(self, rel: str, state: str) -> None:
        """Keep the file (default) or move it to .done/ or .failed/ (watch_after=move)."""
        project = Project.get_or_none(Project.id == self.project.id)
        if project is None or settings.effective(project.settings)["watch_after"] != "move":
            return
        folder = after_folder(state)
        dest = unique_destination(self.root / folder / rel)
        try:
            ensure_private_dir(dest.parent)
            os.replace(self.root / rel, dest)
        except OSError as exc:
            self._report(
                "drop.move_failed",
                f"drop folder: could not move {rel} to {folder}/: {exc.strerror or exc}",
                level="warning",
                data={"path": rel, "to": folder},
            )
