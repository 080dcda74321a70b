"""The queue screen's actions on documents, run through loratui.core off the event loop.

A mixin for ``QueueScreen``: it uses the screen's ``targets()``, ``_rows``, ``_marked``,
``poll()``, ``project_id`` and ``lapp``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work

from loratui.core.projects import workspace
from loratui.core.store.models import Project
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets.confirm import ConfirmModal


class QueueActions:
    """Retry, cancel, exclude, delete and pause; each reports, clears marks and re-reads."""

    @work(thread=True, group="queue-action", exit_on_error=False)
    def _core(self, what: str, fn: Callable[[Project], Any], describe: Callable[[Any], str]):
        """Run one core call off the event loop, then report and re-read."""
        try:
            with thread_connection():
                result = fn(workspace.get_project(self.project_id))
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            message = getattr(exc, "message", None) or str(exc)
            self.app.call_from_thread(
                self.notify, message, title=f"{what} failed", severity="error"
            )
            return
        self.app.call_from_thread(self._after_action, describe(result))

    def _after_action(self, text: str) -> None:
        self.notify(text)
        self._marked.clear()
        if self.lapp.session is not None:
            self.lapp.session.wake()
        self.poll()

    def action_pause(self) -> None:
        from loratui.core.jobs import control as queue_control

        project = workspace.get_project(self.project_id)
        if project.paused:
            self._core("Resume", queue_control.resume, lambda _: "Processing resumed")
        else:
            self._core(
                "Pause",
                queue_control.pause,
                lambda _: "Paused: files in progress finish, no new ones start",
            )

    def action_retry(self) -> None:
        from loratui.core.jobs import control as queue_control

        ids = self.targets()
        if ids:
            self._core(
                "Retry",
                lambda p: queue_control.retry(p, ids, failed_only=False),
                lambda n: f"{n} file(s) queued again" if n else "Nothing to retry there",
            )

    def action_retry_failed(self) -> None:
        from loratui.core.jobs import control as queue_control

        self._core(
            "Retry",
            lambda p: queue_control.retry(p, None, failed_only=True),
            lambda n: f"{n} failed file(s) queued again" if n else "No failed files",
        )

    def action_cancel(self) -> None:
        from loratui.core.jobs import control as queue_control

        ids = self.targets()
        if ids:
            self._core(
                "Cancel",
                lambda p: queue_control.cancel(p, ids),
                lambda n: f"{n} file(s) cancelled" if n else "Nothing to cancel there",
            )

    def action_exclude(self) -> None:
        from loratui.core.jobs import control as queue_control

        ids = self.targets()
        if not ids:
            return
        exclude = not all(self._rows[i].excluded for i in ids if i in self._rows)
        verb = "excluded from exports" if exclude else "included in exports again"
        self._core(
            "Exclude" if exclude else "Include",
            lambda p: queue_control.set_excluded(p, ids, exclude),
            lambda n: f"{n} file(s) {verb}",
        )

    def action_delete(self) -> None:
        ids = self.targets()
        if not ids:
            return
        names = [self._rows[i].name for i in ids if i in self._rows]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        message = (
            f"Delete {len(ids)} document(s): {shown}?\n"
            "This removes their stored originals (unless another document has the same bytes), "
            "their extracted text and their rows. Dataset versions already exported keep their "
            "files. A 'document purged' event stays in the log."
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                from loratui.core.projects.purge import purge_documents

                self._core(
                    "Delete",
                    lambda p: purge_documents(p, ids),
                    lambda r: f"{len(r['purged'])} document(s) deleted",
                )

        self.app.push_screen(
            ConfirmModal("Delete documents", message, confirm="Delete", danger=True), confirmed
        )
