"""Messages the app posts to its screens; background threads post these, never touch widgets."""

from __future__ import annotations

from textual.message import Message


class _ToScreen(Message, bubble=False):
    """Posted by the app to the active screen; must not bubble back up to the app."""


class DocumentsChanged(_ToScreen):
    """Documents of the open project changed (worker progress, drop folder, a user action).

    ``doc_ids`` None means "anything may have changed": screens re-read what they show.
    """

    def __init__(self, doc_ids: frozenset[int] | None = None) -> None:
        self.doc_ids = doc_ids
        super().__init__()


class WorkerStatus(_ToScreen):
    """The in-process worker of the open project changed state (running, paused, idle, ...)."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__()


class FileTaken(_ToScreen):
    """The drop-folder watcher took a file (posted from the watcher's thread)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__()


class ProjectsChanged(_ToScreen):
    """A project was created, renamed or deleted, or its documents changed (every project
    is processed while the app runs: the projects list shows their counts live)."""


class WatchNotice(_ToScreen):
    """The drop-folder watcher has something to tell the user (posted from its thread)."""

    def __init__(self, level: str, text: str) -> None:
        self.level = level
        self.text = text
        super().__init__()
