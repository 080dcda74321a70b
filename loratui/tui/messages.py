"""Messages the app posts to its screens; background threads post these, never touch widgets."""

from __future__ import annotations

from textual.message import Message


class _ToScreen(Message, bubble=False):
    """Posted by the app to the active screen; must not bubble back up to the app.

    Textual sets ``bubble`` anew for every subclass (True unless the class statement says
    otherwise), so the subclasses say False here: a message the app forwards and also
    handles (FileTaken, the generation news) would otherwise come back to the app from the
    screen and be forwarded again, for ever.
    """

    def __init_subclass__(cls, **kwargs: object) -> None:
        kwargs.setdefault("bubble", False)
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]


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


class GenerationProgress(_ToScreen):
    """The figures of the running Q/A generation (posted from its thread, a few per second)."""

    def __init__(self, progress: object) -> None:
        self.progress = progress  # a core ``generation.progress.Progress`` copy
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GenerationProgress)


class GenerationEnded(_ToScreen):
    """The Q/A generation run ended: done, paused, stopped, or with ``error`` (a LoratuiError)."""

    def __init__(self, progress: object, error: Exception | None) -> None:
        self.progress = progress
        self.error = error
        super().__init__()
