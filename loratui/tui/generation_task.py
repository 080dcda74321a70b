"""The app's generation run: the core ``GenerationRunner`` on its own asyncio loop in a thread.

The runner sends many requests and parses their answers; on the app's loop that work would
make the screen stutter, so it runs beside it. The thread only reports: progress (a copy of
the runner's figures, at most every ``runner.FLUSH_S``) and the end, through callbacks that
must be thread-safe (the app posts messages). Nothing here is state that matters: the run
lives in the database, and the next run resumes it.

``pause()`` lets the chunks in hand finish and claims no more; ``stop()`` drops the requests
in flight and gives their chunks back (quitting). Both end the run as ``stopped``.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable

from loratui.core.errors import LoratuiError
from loratui.core.generation import config_store
from loratui.core.generation.progress import Progress
from loratui.core.generation.settings import GenerationSettings
from loratui.core.store.threads import thread_connection


class GenerationTask:
    """One run of one project; ``start()`` once, then ``pause()``, ``stop()``, ``wait()``."""

    def __init__(
        self,
        project_id: int,
        settings: GenerationSettings,
        *,
        api_key: str | None,
        on_progress: Callable[[Progress], None],
        on_end: Callable[[Progress, LoratuiError | None], None],
        limit: int | None = None,
    ) -> None:
        self.project_id = project_id
        self.settings = settings
        self.api_key = api_key
        self.limit = limit
        self.on_progress = on_progress
        self.on_end = on_end
        self.progress = Progress(state="starting")
        self.error: LoratuiError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner = None
        self._wanted: str | None = None  # "pause" or "stop" asked before the runner existed
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._main, name="generation", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def pausing(self) -> bool:
        return self._wanted == "pause"

    def start(self) -> None:
        self._thread.start()

    def pause(self) -> None:
        """Finish the chunks in hand, claim no more, end the run (resumable)."""
        self._ask("pause")

    def stop(self) -> None:
        """End the run soon: requests in flight are dropped, their chunks go back."""
        self._ask("stop")

    async def wait(self) -> None:
        """Until the thread has ended (the run is written down)."""
        await asyncio.to_thread(self._thread.join)

    def _ask(self, what: str) -> None:
        with self._lock:
            if self._wanted != "stop":
                self._wanted = what
            runner, loop = self._runner, self._loop
        if runner is not None and loop is not None and not loop.is_closed():
            method = runner.stop if what == "stop" else runner.pause
            try:
                loop.call_soon_threadsafe(method)
            except RuntimeError:  # the loop closed meanwhile: the run is over anyway
                pass

    def _report(self, progress: Progress) -> None:
        snapshot = copy.copy(progress)
        snapshot.errors = dict(progress.errors)
        self.progress = snapshot
        self.on_progress(snapshot)

    def _main(self) -> None:
        from loratui.core.generation.runner import GenerationRunner
        from loratui.core.projects.workspace import get_project

        loop = asyncio.new_event_loop()
        try:
            with thread_connection():
                project = get_project(self.project_id)

                def save(_model: str) -> None:
                    # on the runner's database thread, once the server answered: the same
                    # call as `loratui generate --base-url ...` and `genconfig`
                    config_store.save_settings(project, self.settings)

                runner = GenerationRunner(
                    project,
                    self.settings,
                    api_key=self.api_key,
                    limit=self.limit,
                    on_progress=self._report,
                    before_start=save,
                    origin="tui",
                )
            with self._lock:
                self._runner, self._loop = runner, loop
                wanted = self._wanted
            if wanted == "stop":
                runner.stop()
            elif wanted == "pause":
                runner.pause()
            loop.run_until_complete(runner.run())
        except LoratuiError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.error = LoratuiError("internal", f"generation failed: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._loop = None
            loop.close()
        runner_progress = self._runner.progress if self._runner is not None else self.progress
        self._report(runner_progress)
        self.on_end(self.progress, self.error)
