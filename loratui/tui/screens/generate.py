"""The Generate screen: where to ask, a test on one chunk, the run and its live figures.

A thin shell over ``loratui.core.generation``: the form's values are checked by
``GenerationSettings.validate`` and saved with ``config_store.save_settings`` (what
``loratui genconfig`` and ``loratui generate --base-url ...`` call), the model list is the
server's ``/models`` (``trial.served_models``), the test is ``trial.try_chunk`` (nothing
stored), and the run is the core ``GenerationRunner`` in the app's ``GenerationTask``.
Every figure shown is the core's ``Progress``: live from the runner while it runs, else
``run_progress`` of the latest run from the database. Leaving the screen leaves the run
going; quitting asks, and stops it cleanly.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from loratui.core.errors import LoratuiError
from loratui.core.generation import config_store
from loratui.core.generation.client import API_KEY_VARIABLES, api_key_from_env
from loratui.core.generation.progress import Progress
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.templates import BUILTIN
from loratui.core.projects import workspace
from loratui.core.store.threads import thread_connection
from loratui.tui.generation_task import GenerationTask
from loratui.tui.messages import GenerationEnded, GenerationProgress
from loratui.tui.screens.base import ProjectScreen
from loratui.tui.widgets import fmt
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.text_view import TextView
from loratui.tui.worker_errors import error_text

TEST_NOTE = "Test on one chunk: nothing is stored (no run, no ledger entry, no pair)."


class GenerateScreen(ProjectScreen):
    """``GenerateScreen(project_id)``: settings, test, run, progress."""

    TITLE = "Generate Q/A pairs"
    HELP = (
        "Ask a model server (vLLM, llama-server, Ollama, ...) for question/answer pairs about "
        "every chunk of the project's documents. The API key comes from LORATUI_API_KEY or "
        "OPENAI_API_KEY and is never stored. ctrl+t tries the settings on one chunk without "
        "storing anything; ctrl+r saves them and runs; ctrl+e pauses (the chunks in hand "
        "finish) and ctrl+r resumes. P opens the pairs for review."
    )
    DEFAULT_CSS = """
    GenerateScreen #gen-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    GenerateScreen .gen-row { height: auto; padding: 0 1; }
    GenerateScreen .gen-row Label { padding: 0 1 0 0; width: auto; }
    GenerateScreen #gen-url { width: 1fr; }
    GenerateScreen #gen-model { width: 1fr; }
    GenerateScreen #gen-concurrency { width: 8; }
    GenerateScreen #gen-template { width: 18; }
    GenerateScreen .gen-row Button { margin: 0 1 0 0; min-width: 10; }
    GenerateScreen #gen-key { width: 1fr; color: $text-muted; padding: 0 0 0 1; }
    GenerateScreen #gen-status { height: auto; max-height: 4; padding: 0 1; }
    GenerateScreen #gen-status.-bad { color: $error; }
    GenerateScreen #gen-figures { height: auto; padding: 0 1; background: $boost; }
    GenerateScreen #gen-bar { padding: 0 1; height: 1; }
    GenerateScreen #gen-test { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+t", "test", "Test one chunk", priority=True),
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("ctrl+e", "pause", "Pause", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    class Loaded(Message):
        def __init__(self, name: str, settings: GenerationSettings, progress: Progress) -> None:
            super().__init__()
            self.name = name
            self.settings = settings
            self.progress = progress

    class Models(Message):
        def __init__(self, url: str, models: list[str], error: LoratuiError | None) -> None:
            super().__init__()
            self.url = url
            self.models = models
            self.error = error

    class Tested(Message):
        def __init__(self, text: str, error: LoratuiError | None) -> None:
            super().__init__()
            self.text = text
            self.error = error

    class Saved(Message):
        def __init__(self, settings: GenerationSettings) -> None:
            super().__init__()
            self.settings = settings

    def __init__(self, project_id: int) -> None:
        super().__init__(project_id)
        self.saved: GenerationSettings | None = None
        self.models: list[str] = []
        self.testing = False
        self.progress: Progress | None = None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("Generate Q/A pairs", id="gen-title")
        with Horizontal(classes="gen-row"):
            yield Label("Endpoint")
            yield Input(id="gen-url", compact=True)
            yield Button("Models", id="gen-list", compact=True)
        with Horizontal(classes="gen-row"):
            yield Label("Model")
            yield Select[str](
                [], id="gen-model", prompt="the one served", allow_blank=True, compact=True
            )
            yield Label(" Concurrency")
            yield Input(id="gen-concurrency", type="integer", compact=True)
            yield Label(" Template")
            yield Select[str](
                [(name, name) for name in BUILTIN],
                id="gen-template",
                allow_blank=False,
                compact=True,
            )
        with Horizontal(classes="gen-row"):
            yield Button("Test (^t)", id="gen-test-button", compact=True)
            yield Button("Run (^r)", id="gen-run", compact=True, variant="primary")
            yield Button("Pause (^e)", id="gen-pause", compact=True)
            yield Button("Pairs (P)", id="gen-pairs", compact=True)
            yield Static(_key_text(), id="gen-key")
        yield Static("reading the saved settings…", id="gen-status")
        yield Static("", id="gen-figures")
        yield ProgressBar(id="gen-bar", show_eta=False)
        yield TextView(id="gen-test")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one("#gen-test", TextView).set_text(
            TEST_NOTE + " It shows the request and the pairs with the gates' verdicts."
        )
        self._load()

    @property
    def task(self) -> GenerationTask | None:
        task = self.lapp.generation
        return task if task is not None and task.project_id == self.project_id else None

    @property
    def running(self) -> bool:
        task = self.task
        return task is not None and task.running

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="gen-load", exit_on_error=False)
    def _load(self) -> None:
        from loratui.core.generation.progress import run_progress

        with thread_connection():
            project = workspace.get_project(self.project_id)
            settings = config_store.load_settings(project)
            progress = run_progress(project.id)
        self.post_message(self.Loaded(project.name, settings, progress))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        self.saved = message.settings
        self.query_one("#gen-title", Static).update(f"Generate Q/A pairs · {escape(message.name)}")
        self._fill(message.settings)
        task = self.task
        self._show_progress(task.progress if task is not None else message.progress)
        self._status("")
        self.refresh_bindings()
        self.query_one("#gen-run", Button).focus()
        self._list_models()

    def _fill(self, settings: GenerationSettings) -> None:
        self.query_one("#gen-url", Input).value = " ".join(settings.servers())
        self.query_one("#gen-concurrency", Input).value = str(settings.concurrency)
        self.query_one("#gen-template", Select).value = settings.template
        self._set_models(self.models, settings.model)

    def _set_models(self, models: list[str], chosen: str) -> None:
        select = self.query_one("#gen-model", Select)
        names = list(models)
        if chosen and chosen not in names:
            names.append(chosen)  # the saved model, even when the server does not list it
        select.set_options([(n if n in models else f"{n} (not listed)", n) for n in names])
        if chosen:
            select.value = chosen
        else:
            select.clear()

    # -- the form --------------------------------------------------------------------------

    def form_settings(self) -> tuple[GenerationSettings | None, str]:
        """The saved settings with the form's values, or None and what is wrong."""
        base = self.saved or GenerationSettings()
        model = self.query_one("#gen-model", Select).value
        text = self.query_one("#gen-concurrency", Input).value.strip()
        if not text.isdigit():
            return None, "concurrency: must be a whole number of requests in flight"
        # several servers of the same model: their URLs apart by spaces (``server_pool``)
        first, *more = self.query_one("#gen-url", Input).value.replace(",", " ").split() or [""]
        changes: dict[str, Any] = {
            "base_url": first,
            "extra_base_urls": more,
            "model": model if isinstance(model, str) else "",
            "concurrency": int(text),
            "template": self.query_one("#gen-template", Select).value,
        }
        try:
            settings = base.with_changes(**changes)
        except LoratuiError as exc:
            return None, f"{exc.message} ({exc.hint_for('tui')})"
        problems = settings.validate()
        if problems:
            return None, "; ".join(f"{k}: {v}" for k, v in problems.items())
        return settings, ""

    def _checked(self, verb: str) -> GenerationSettings | None:
        settings, problem = self.form_settings()
        if settings is None:
            self._status(f"✗ cannot {verb}: {problem}", bad=True)
        return settings

    def _status(self, text: str, bad: bool = False) -> None:
        status = self.query_one("#gen-status", Static)
        status.update(escape(text))
        status.set_class(bad, "-bad")

    @on(Input.Submitted, "#gen-url")
    @on(Button.Pressed, "#gen-list")
    def _list_again(self) -> None:
        self._list_models()

    def _list_models(self) -> None:
        settings = self._checked("list the models")
        if settings is not None:
            self._status(f"asking {', '.join(settings.servers())} for their models…")
            self._fetch_models(settings)

    @work(thread=True, exclusive=True, group="gen-models", exit_on_error=False)
    def _fetch_models(self, settings: GenerationSettings) -> None:
        from loratui.core.generation.trial import served_models

        try:
            models = asyncio.run(served_models(settings, api_key_from_env()))
        except LoratuiError as exc:
            self.post_message(self.Models(settings.api_base(), [], exc))
            return
        self.post_message(self.Models(settings.api_base(), models, None))

    @on(Models)
    def _on_models(self, message: Models) -> None:
        if message.error is not None:
            self._status(f"✗ {message.error.message}\n{message.error.hint_for('tui')}", bad=True)
            return
        self.models = message.models
        chosen = self.query_one("#gen-model", Select).value
        keep = chosen if isinstance(chosen, str) else ""
        if not keep and len(message.models) == 1:
            keep = message.models[0]
        self._set_models(message.models, keep)
        listed = ", ".join(message.models) if message.models else "no models"
        self._status(f"✓ {message.url} serves {listed}")

    def action_save(self) -> None:
        settings = self._checked("save")
        if settings is not None:
            self._save(settings)

    @work(thread=True, exclusive=True, group="gen-save", exit_on_error=False)
    def _save(self, settings: GenerationSettings) -> None:
        with thread_connection():
            config_store.save_settings(workspace.get_project(self.project_id), settings)
        self.post_message(self.Saved(settings))

    @on(Saved)
    def _on_saved(self, message: Saved) -> None:
        self.saved = message.settings
        self._status("✓ settings saved to the project (as `loratui genconfig` shows them)")

    # -- test on one chunk -----------------------------------------------------------------

    @on(Button.Pressed, "#gen-test-button")
    def action_test(self) -> None:
        if self.testing:
            return
        settings = self._checked("test")
        if settings is None:
            return
        self.testing = True
        self.query_one("#gen-test", TextView).set_text(
            f"{TEST_NOTE}\nasking {settings.api_base()} about the first chunk…"
        )
        self._test(settings)

    @work(thread=True, exclusive=True, group="gen-test", exit_on_error=False)
    def _test(self, settings: GenerationSettings) -> None:
        from loratui.core.generation.trial import first_chunk, try_chunk

        try:
            with thread_connection():
                project = workspace.get_project(self.project_id)
                chunk = first_chunk(project)
                name = _document_name(chunk.document_id)
            trial = asyncio.run(try_chunk(settings, chunk, api_key_from_env()))
        except LoratuiError as exc:
            self.post_message(self.Tested("", exc))
            return
        self.post_message(self.Tested(trial_text(trial, name), None))

    @on(Tested)
    def _on_tested(self, message: Tested) -> None:
        self.testing = False
        view = self.query_one("#gen-test", TextView)
        if message.error is not None:
            err = message.error
            view.set_text(f"{TEST_NOTE}\n\n✗ {err.message}\n{err.hint_for('tui')}")
            self._status(f"✗ test failed: {err.message}\n{err.hint_for('tui')}", bad=True)
            return
        view.set_text(message.text)
        self._status("✓ test done: the request and its pairs are below")

    # -- the run ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return True if self.running and not self.task.pausing else None  # type: ignore[union-attr]
        if action in ("run", "save"):
            return None if self.running else True
        return True

    @on(Button.Pressed, "#gen-run")
    def action_run(self) -> None:
        if self.running:
            self._status("a run is going: ctrl+e pauses it")
            return
        settings = self._checked("run")
        if settings is None:
            return
        app = self.app
        task = GenerationTask(
            self.project_id,
            settings,
            api_key=api_key_from_env(),
            on_progress=lambda p: app.post_message(GenerationProgress(p)),
            on_end=lambda p, e: app.post_message(GenerationEnded(p, e)),
        )
        if not self.lapp.start_generation(task):
            self._status("another generation run is going; wait for it or pause it", bad=True)
            return
        self.saved = settings  # saved by the runner once the server answered
        self._status(f"starting: asking {settings.api_base()} for its models…")
        self._show_progress(task.progress)
        self.refresh_bindings()

    @on(Button.Pressed, "#gen-pause")
    def action_pause(self) -> None:
        task = self.task
        if task is None or not task.running:
            self._status("no run is going; ctrl+r starts one")
            return
        task.pause()
        self._status("pausing: the chunks in hand finish, no new ones start; ctrl+r resumes after")
        self.refresh_bindings()

    @on(Button.Pressed, "#gen-pairs")
    def _open_pairs(self) -> None:
        self.lapp.action_section("pairs")

    def on_generation_progress(self, message: GenerationProgress) -> None:
        self._show_progress(message.progress)  # type: ignore[arg-type]

    def on_generation_ended(self, message: GenerationEnded) -> None:
        progress: Progress = message.progress  # type: ignore[assignment]
        self._show_progress(progress)
        self.refresh_bindings()
        error = message.error
        if error is not None:
            self._status(f"✗ {error_text(error)}", bad=True)
        elif progress.state == "done":
            self._status("✓ run done: P opens the pairs for review")
        elif progress.remaining:
            self._status(
                f"paused at {progress.finished}/{progress.chunks} chunks: ctrl+r resumes "
                "(the chunks done are not asked again)"
            )
        else:
            self._status(f"run {progress.state}")

    def _show_progress(self, p: Progress) -> None:
        self.progress = p
        self.query_one("#gen-figures", Static).update(escape(progress_text(p)))
        bar = self.query_one("#gen-bar", ProgressBar)
        bar.display = bool(p.chunks)  # no bar (nor its busy animation) before a plan
        if p.chunks:
            bar.update(total=p.chunks, progress=p.finished)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "gen-test":
            self.testing = False
        self._status(f"✗ {error_text(event.worker.error)}", bad=True)


def _key_text() -> str:
    """Where the API key comes from; never the key itself."""
    import os

    for name in API_KEY_VARIABLES:
        if os.environ.get(name, "").strip():
            return f"API key: from {name}"
    return "API key: not set"


def _document_name(document_id: int) -> str:
    from loratui.core.store.models import Document

    doc = Document.get_or_none(Document.id == document_id)
    return doc.name if doc is not None else f"document {document_id}"


def progress_text(p: Progress) -> str:
    """The run's figures, in the core's words and numbers."""
    if p.run_id is None and p.state in ("", "idle"):
        return "no run yet: ctrl+t tries one chunk, ctrl+r runs every chunk"
    run = f"run {p.run_id}" if p.run_id else "run"
    eta = p.eta_s
    eta_text = "" if eta is None or not p.remaining else f" · ETA {fmt.seconds(eta)}"
    errors = ", ".join(f"{k} {n}" for k, n in sorted(p.errors.items())) or "none"
    return "\n".join(
        [
            f"{run}: {p.state}{eta_text}",
            f"chunks {fmt.count(p.finished)}/{fmt.count(p.chunks)} finished · "
            f"{fmt.count(p.done)} done · {fmt.count(p.failed)} failed · "
            f"{fmt.count(p.quarantined)} quarantined",
            f"pairs {fmt.count(p.pairs)}: {fmt.count(p.kept)} kept · "
            f"{fmt.count(p.rejected)} rejected",
            f"requests {fmt.count(p.requests)} ({p.requests_per_s:.1f}/s) · "
            f"{fmt.count(p.retries)} retries · {fmt.count(p.reused)} reused · tokens in "
            f"{fmt.count(p.tokens_in)} / out {fmt.count(p.tokens_out)}",
            f"errors: {errors}",
        ]
    )


def trial_text(trial: Any, document: str) -> str:
    """A ``trial.Trial`` as text: each pair and its verdict, then the request's messages."""
    c = trial.chunk
    done = trial.completion
    pages = f"pages {c.pages[0]}-{c.pages[-1]}" if c.pages else "no pages"
    lines = [
        TEST_NOTE,
        f"chunk {c.number} of {document} ({pages}, {len(c.text)} characters) · model "
        f"{trial.model} · {done.seconds:.1f} s · tokens in {done.tokens_in or 0} / out "
        f"{done.tokens_out or 0} · response_format {done.response_format}",
        "",
    ]
    parsed = trial.parsed
    if not parsed.ok:
        lines.append(f"── answer: no pairs ({parsed.error}: {parsed.message}) ──")
        lines.append(parsed.raw)
    else:
        lines.append(
            f"── answer: {len(trial.pairs)} pairs, {trial.kept} kept by the gates "
            "(duplicates and the judge are checked in a run) ──"
        )
        lines.extend(f"note: {note}" for note in parsed.notes)
        for pair in trial.pairs:
            rej = pair.rejection
            mark = "✓ kept" if rej is None else f"✗ {rej.code}: {rej.reason}"
            support = "" if pair.support is None else f" (support {pair.support:.2f})"
            lines.append(f"{mark}{support}")
            lines.append(f"  Q: {pair.question}")
            lines.append(f"  A: {pair.answer}")
    lines.extend(["", "── request ──"])
    for m in trial.messages:
        lines.extend([f"[{m['role']}]", m["content"], ""])
    return "\n".join(lines).rstrip("\n")
