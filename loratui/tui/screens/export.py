"""The export form: every setting, inline validation, a live sample, save/load, run.

A thin shell over ``loratui.core.export``: the form is read with the core's parser and
``validate()``, the sample and estimates come from ``preview.preview_records`` (run in a
thread worker, debounced while typing), saving uses ``config.save_config`` and TOML
files ``read_toml``/``write_toml``, and Run calls ``version.run_export`` with progress.
While the form differs from the saved configuration, what it holds is kept as a draft in
the project folder (``drafts.save_draft``): leaving, quitting or a crash loses no typing,
and the form opens with the draft, marked unsaved, until it is saved or discarded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, WorkerState

from loratui.core.errors import LoratuiError
from loratui.core.export import config as cfgmod
from loratui.core.projects import workspace
from loratui.core.store import drafts, folders
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets import fmt
from loratui.tui.widgets.config_form import ConfigForm
from loratui.tui.widgets.confirm import ConfirmModal
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.text_prompt import TextPrompt
from loratui.tui.widgets.text_view import TextView
from loratui.tui.worker_errors import error_text

DEBOUNCE_S = 0.4
FORM = "export"  # the name of this form's draft file
SAMPLE_RECORDS = 5


class ExportScreen(Screen):
    """``ExportScreen(project_id)``: configure, preview and run an export."""

    DEFAULT_CSS = """
    ExportScreen #ex-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ExportScreen ConfigForm { height: 1fr; }
    ExportScreen #ex-help { height: 1; padding: 0 1; color: $text-muted; }
    ExportScreen #ex-summary { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    ExportScreen #ex-summary.-bad { color: $error; }
    ExportScreen #ex-summary.-warn { color: $warning; }
    ExportScreen #ex-sample { height: 6; border-top: solid $primary; padding: 0 1; }
    ExportScreen #ex-run { height: 1; padding: 0 1; display: none; }
    ExportScreen #ex-run.-shown { display: block; }
    ExportScreen #ex-run ProgressBar { width: 40; }
    ExportScreen #ex-run Static { width: 1fr; padding-left: 2; }  /* apart from "17%" */
    ExportScreen #ex-result { height: auto; padding: 0 1; display: none; }
    ExportScreen #ex-result.-shown { display: block; }
    ExportScreen #ex-result Static { width: 1fr; height: auto; }
    ExportScreen #ex-result Button { min-width: 16; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "run", "Run export", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "load_toml", "Load TOML", priority=True),
        Binding("ctrl+t", "write_toml", "Write TOML", priority=True),
        Binding("ctrl+n", "defaults", "Defaults", priority=True, show=False),
        Binding("ctrl+e", "cancel_export", "Cancel export", priority=True),
    ]

    class ConfigLoaded(Message):
        def __init__(
            self,
            cfg: cfgmod.ExportConfig,
            source: str,
            project_name: str = "",
            draft: dict[str, Any] | None = None,
        ) -> None:
            super().__init__()
            self.cfg = cfg
            self.source = source
            self.project_name = project_name
            self.draft = draft

    class SampleReady(Message):
        def __init__(
            self, gen: int, records: list[Any], estimate: dict[str, Any], error: str | None
        ) -> None:
            super().__init__()
            self.gen = gen
            self.records = records
            self.estimate = estimate
            self.error = error

    class Progress(Message):
        def __init__(self, done: float, total: float | None, text: str) -> None:
            super().__init__()
            self.done = done
            self.total = total
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ExportScreen.Progress)

    class Identical(Message):
        """The version an export would repeat (``number``), or ``None``."""

        def __init__(self, cfg: cfgmod.ExportConfig, number: int | None) -> None:
            super().__init__()
            self.cfg = cfg
            self.number = number

    class ExportDone(Message):
        def __init__(
            self,
            version: Any | None,
            error: LoratuiError | None,
            summary: dict[str, Any] | None = None,
        ) -> None:
            super().__init__()
            self.version = version
            self.error = error
            self.summary = summary or {}

    class Saved(Message):
        def __init__(self, cfg: cfgmod.ExportConfig) -> None:
            super().__init__()
            self.cfg = cfg

    class Notice(Message):
        def __init__(self, text: str, severity: str = "information") -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id
        self.project_dir = ""
        self._gen = 0
        self._debounce: Timer | None = None
        self.problems: dict[str, str] = {}
        self.running = False
        self.last_version: Any | None = None
        self.estimate: dict[str, Any] = {}
        self.saved: dict[str, Any] | None = None  # the project's stored configuration
        self.project: Any | None = None  # its row, read once (the draft's folder)
        self.project_name = ""
        self.unsaved = False  # the form differs from the saved configuration (a draft is kept)
        self._cancel = threading.Event()  # set by ctrl+e; the progress callback raises
        self._writing = False  # the export thread is writing a version

    def compose(self) -> ComposeResult:
        yield Static("Export", id="ex-title")
        yield ConfigForm()
        yield Static("", id="ex-help")
        yield Static("reading the saved configuration…", id="ex-summary")
        with Horizontal(id="ex-run"):
            yield ProgressBar(show_eta=False, id="ex-progress")
            yield Static("", id="ex-run-text")
        with Horizontal(id="ex-result"):
            yield Static("", id="ex-result-text")
            yield Button("Versions", id="ex-versions", compact=True)
        yield TextView(id="ex-sample")
        yield QuietFooter()

    def on_mount(self) -> None:
        self._load_saved()

    @property
    def form(self) -> ConfigForm:
        return self.query_one(ConfigForm)

    # -- loading and saving --------------------------------------------------

    @work(thread=True, exclusive=True, group="export-load", exit_on_error=False)
    def _load_saved(self) -> None:
        with thread_connection():
            project = workspace.get_project(self.project_id)
            cfg = cfgmod.load_config(project)
            self.project_dir = str(folders.project_dir(project))
        self.project = project
        draft = drafts.load_draft(project, FORM)
        self.post_message(self.ConfigLoaded(cfg, "saved configuration", project.name, draft))

    @on(ConfigLoaded)
    def _on_loaded(self, message: ConfigLoaded) -> None:
        if message.project_name:
            self.project_name = message.project_name
        self.form.set_config(message.cfg)
        if message.project_name:  # the project's saved configuration
            self.saved = message.cfg.to_dict()
            if message.draft is not None:  # what was typed last time, not saved
                self.form.set_raw_values(message.draft)
                self._mark_unsaved(True)
                self.notify(
                    "the form holds your unsaved changes from last time: ctrl+s saves them",
                    title="Export",
                )
            else:
                self._mark_unsaved(False)
        else:  # a file the user chose (not the initial load)
            self.notify(f"loaded the {message.source}", title="Export")

    def _mark_unsaved(self, unsaved: bool) -> None:
        """Say in the title whether the form differs from the saved configuration."""
        self.unsaved = unsaved
        title = "Export" + (f" · {escape(self.project_name)}" if self.project_name else "")
        if unsaved:
            title += " · [b]unsaved changes[/] (kept as a draft; ctrl+s saves)"
        self.query_one("#ex-title", Static).update(title)

    def _keep_draft(self) -> None:
        """Write the edited fields to the draft file while the form differs from the saved
        configuration, remove the file when it does not (small: on the event loop, after a
        debounce)."""
        if self.project is None or self.saved is None:
            return
        unsaved = self._unsaved()
        try:
            if unsaved:  # only the edited fields: a change saved from the CLI meanwhile stays
                base = self.form.raw_of(cfgmod.ExportConfig.from_dict(self.saved))
                edited = {k: v for k, v in self.form.raw_values().items() if base.get(k) != v}
                drafts.save_draft(self.project, FORM, edited)
            elif self.unsaved:
                drafts.clear_draft(self.project, FORM)
        except OSError as exc:
            self.notify(f"could not keep the draft: {exc}", title="Export", severity="error")
        if unsaved != self.unsaved:
            self._mark_unsaved(unsaved)

    def on_screen_suspend(self) -> None:
        """Leaving by any way (a section key, the palette, a screen on top): keep the draft
        now, the debounce may not have run."""
        self._keep_draft()

    def action_discard(self) -> None:
        """Put the saved configuration back in the form and forget the draft."""
        if self.saved is None:
            return
        self.form.set_config(cfgmod.ExportConfig.from_dict(self.saved))
        if self.project is not None:
            drafts.clear_draft(self.project, FORM)
        self._mark_unsaved(False)
        self.notify("unsaved changes discarded", title="Export")

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Save export configuration", "store the form in the project", self.action_save),
            ("Discard unsaved changes", "back to the saved configuration", self.action_discard),
            ("Export defaults", "put the default configuration in the form", self.action_defaults),
        ]

    def action_save(self) -> None:
        cfg = self._valid_config("save")
        if cfg is not None:
            self._save(cfg)

    @work(thread=True, exclusive=True, group="export-save", exit_on_error=False)
    def _save(self, cfg: cfgmod.ExportConfig) -> None:
        with thread_connection():
            project = workspace.get_project(self.project_id)
            cfgmod.save_config(project, cfg)
        drafts.clear_draft(project, FORM)
        self.post_message(self.Saved(cfg))

    @on(Saved)
    def _on_saved(self, message: Saved) -> None:
        self.saved = message.cfg.to_dict()
        self._keep_draft()  # edits typed while saving stay a draft
        self.notify("configuration saved to the project", title="Export")

    def action_load_toml(self) -> None:
        default = f"{self.project_dir}/export.toml" if self.project_dir else "export.toml"
        self.app.push_screen(
            TextPrompt("Load TOML", "Read the export configuration from:", default),
            self._load_toml,
        )

    def _load_toml(self, path: str | None) -> None:
        if path:
            self._read_toml(path)

    @work(thread=True, exclusive=True, group="export-toml", exit_on_error=False)
    def _read_toml(self, path: str) -> None:
        self.post_message(self.ConfigLoaded(cfgmod.read_toml(path), f"file {path}"))

    def action_write_toml(self) -> None:
        if self._valid_config("write") is None:
            return
        default = f"{self.project_dir}/export.toml" if self.project_dir else "export.toml"
        self.app.push_screen(
            TextPrompt("Write TOML", "Write the export configuration to:", default),
            self._write_toml_to,
        )

    def _write_toml_to(self, path: str | None) -> None:
        cfg = self._valid_config("write")
        if path and cfg is not None:
            self._write_toml(cfg, path)

    @work(thread=True, exclusive=True, group="export-toml", exit_on_error=False)
    def _write_toml(self, cfg: cfgmod.ExportConfig, path: str) -> None:
        written = cfgmod.write_toml(cfg, path)
        self.post_message(self.Notice(f"configuration written to {written}"))

    def action_defaults(self) -> None:
        self.form.set_config(cfgmod.ExportConfig())

    @on(Notice)
    def _on_notice(self, message: Notice) -> None:
        self.notify(message.text, title="Export", severity=message.severity)  # type: ignore[arg-type]

    def _valid_config(self, verb: str) -> cfgmod.ExportConfig | None:
        cfg, problems = self.form.config()
        self.form.show_problems(problems)
        if problems:
            self.notify(
                f"cannot {verb}: fix {', '.join(sorted(problems))} first",
                title="Export",
                severity="error",
            )
            return None
        return cfg

    # -- live validation and sample -----------------------------------------

    @on(ConfigForm.FieldFocused)
    def _field_focused(self, message: ConfigForm.FieldFocused) -> None:
        spec = message.spec
        text = f"{spec.name}: {spec.help}" if spec.help else spec.name
        self.query_one("#ex-help", Static).update(escape(text))

    @on(ConfigForm.Changed)
    def _form_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self._refresh_sample)

    def _refresh_sample(self) -> None:
        self._keep_draft()
        cfg, problems = self.form.config()
        self.problems = problems
        self.form.show_problems(problems)
        summary = self.query_one("#ex-summary", Static)
        self._gen += 1
        if problems:
            names = ", ".join(sorted(problems))
            summary.update(f"✗ {len(problems)} setting(s) to fix: {escape(names)}")
            summary.add_class("-bad")
            return
        summary.update("✓ valid · computing the sample…")
        summary.remove_class("-bad")
        self._sample(self._gen, cfg)

    @work(thread=True, exclusive=True, group="export-sample", exit_on_error=False)
    def _sample(self, gen: int, cfg: cfgmod.ExportConfig) -> None:
        from loratui.core.export import preview

        try:
            with thread_connection():
                records, estimate = preview.preview_records(
                    workspace.get_project(self.project_id), cfg, limit=SAMPLE_RECORDS
                )
        except LoratuiError as exc:
            self.post_message(self.SampleReady(gen, [], {}, f"{exc.message} ({exc.hint})"))
            return
        self.post_message(self.SampleReady(gen, list(records), dict(estimate or {}), None))

    @on(SampleReady)
    def _on_sample(self, message: SampleReady) -> None:
        if message.gen != self._gen:
            return
        summary = self.query_one("#ex-summary", Static)
        if message.error:
            summary.update(f"✗ {escape(message.error)}")
            summary.add_class("-bad")
            return
        self.estimate = message.estimate
        warnings = message.estimate.get("warnings") or []
        text = "✓ valid · estimate: " + escape(fmt.export_estimate(message.estimate))
        if warnings:  # what to know before running, said in words (no colour needed)
            more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
            text += f"\n! {escape(warnings[0])}{more}"
            summary.tooltip = "\n".join(warnings)
        else:
            summary.tooltip = None
        summary.update(text)
        summary.remove_class("-bad")
        summary.set_class(bool(warnings), "-warn")
        self.query_one("#ex-sample", TextView).set_text(fmt.export_sample(message.records))

    # -- running the export --------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_export":
            return self.running
        if action in ("run", "save", "load_toml", "defaults") and self.running:
            return None
        return True

    def action_cancel_export(self) -> None:
        if self.running and not self._cancel.is_set():
            self._cancel.set()
            self.query_one("#ex-run-text", Static).update("cancelling…")

    @property
    def running_export(self) -> bool:
        """Whether quitting now would interrupt an export (the app asks first), also when
        this screen was left for another section while it runs."""
        return self._writing or (self.running and self.is_attached)

    async def cancel_and_wait(self) -> None:
        """Cancel the running export (no version is written) and wait until it stopped:
        quitting must not leave the export thread writing after the app is gone."""
        if self.running and not self._cancel.is_set():
            self._cancel.set()
            if self.is_attached:
                self.query_one("#ex-run-text", Static).update("cancelling…")
        while self._writing or self._checking():
            await asyncio.sleep(0.05)

    def _checking(self) -> bool:
        """The look for an identical version is still running (the export follows it)."""
        return any(
            w.node is self and w.group == "export-run" and not w.is_finished for w in self.workers
        )

    def action_run(self) -> None:
        if self.running:
            return
        cfg = self._valid_config("export")
        if cfg is None:
            return
        self.running = True
        self._cancel.clear()
        track = getattr(self.app, "track_export", None)  # q asks even once this screen is left
        if track is not None:
            track(self)
        self.refresh_bindings()
        self.query_one("#ex-result").remove_class("-shown")
        self.query_one("#ex-run").add_class("-shown")
        self.query_one("#ex-run-text", Static).update("starting…")
        self._check_identical(cfg)

    @work(thread=True, exclusive=True, group="export-run", exit_on_error=False)
    def _check_identical(self, cfg: cfgmod.ExportConfig) -> None:
        """Before writing: is there a version this export would only repeat?"""
        from loratui.core.export.reuse import identical_for

        with thread_connection():
            same = identical_for(workspace.get_project(self.project_id), cfg)
        self.post_message(self.Identical(cfg, same.number if same is not None else None))

    @on(Identical)
    def _on_identical(self, message: Identical) -> None:
        if message.number is None or self._cancel.is_set():
            self._run(message.cfg, force=False)
            return
        n = message.number

        def answer(write_anyway: bool | None) -> None:
            self._run(message.cfg, force=bool(write_anyway))

        self.app.push_screen(
            ConfirmModal(
                "Nothing new to export",
                f"v{n} was made from the same documents with the same configuration: a new "
                f"export would write the same files.\n\nWrite a new version anyway, or keep "
                f"v{n} (the audit log notes either)?",
                confirm="Write anyway",
            ),
            answer,
        )

    @work(thread=True, exclusive=True, group="export-run", exit_on_error=False)
    def _run(self, cfg: cfgmod.ExportConfig, force: bool = False) -> None:
        self._writing = True  # (also after the screen was left: the thread goes on)
        try:
            self._write_version(cfg, force)
        finally:
            self._writing = False

    def _write_version(self, cfg: cfgmod.ExportConfig, force: bool) -> None:
        from loratui.core.export import version

        last = 0.0

        def on_progress(done: float, total: float | None = None, text: str = "") -> None:
            nonlocal last
            if self._cancel.is_set() and (total is None or done < total):
                raise LoratuiError("cancelled", "export cancelled; no version was written")
            now = time.monotonic()
            if now - last >= 0.1 or (total and done >= total):
                last = now
                self.post_message(self.Progress(done, total, text))

        from loratui.core.export.versions import export_summary

        try:
            with thread_connection():
                dv = version.run_export(
                    workspace.get_project(self.project_id),
                    cfg,
                    on_progress=on_progress,
                    force=force,
                )
        except LoratuiError as exc:
            self.post_message(self.ExportDone(None, exc))
            return
        self.post_message(self.ExportDone(dv, None, export_summary(dv)))

    @on(Progress)
    def _on_progress(self, message: Progress) -> None:
        bar = self.query_one("#ex-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)
        self.query_one("#ex-run-text", Static).update(escape(message.text or ""))

    @on(ExportDone)
    def _on_done(self, message: ExportDone) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one("#ex-run").remove_class("-shown")
        result = self.query_one("#ex-result")
        text = self.query_one("#ex-result-text", Static)
        if message.error is not None and message.error.code == "cancelled":
            text.update("export cancelled; no version was written")
            result.add_class("-shown")
            self.query_one("#ex-versions", Button).display = False
            return
        if message.error is not None:
            text.update(f"[b red]export failed[/]: {escape(message.error.message)}")
            self.notify(
                f"{message.error.message}\n{message.error.hint}",
                title="Export failed",
                severity="error",
            )
            result.add_class("-shown")
            self.query_one("#ex-versions", Button).display = False
            return
        dv = message.version
        self.last_version = dv
        summary = message.summary
        if summary.get("reused"):
            text.update(
                f"= v{dv.number} kept: the same documents and configuration; nothing written "
                f"· {escape(str(dv.path))}"
            )
            result.add_class("-shown")
            button = self.query_one("#ex-versions", Button)
            button.display = True
            button.focus()
            self.notify(f"v{dv.number} reused: nothing new to export", title="Export")
            return
        text.update(
            f"✓ v{dv.number}: {fmt.count(dv.records_train)} train + "
            f"{fmt.count(dv.records_validation)} validation records · "
            f"{fmt.count(dv.tokens)} tokens · {escape(str(dv.path))}"
            + (f"\n{escape(summary['split'])}" if summary.get("split") else "")
            + "".join(f"\n[b]warning[/]: {escape(w)}" for w in summary.get("warnings", []))
        )
        result.add_class("-shown")
        button = self.query_one("#ex-versions", Button)
        button.display = True
        button.focus()
        self.notify(f"version v{dv.number} written", title="Export")

    @on(Button.Pressed, "#ex-versions")
    def _open_versions(self) -> None:
        from loratui.tui.screens.versions import VersionsScreen

        self.app.push_screen(VersionsScreen(self.project_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "export-run":
            self.post_message(
                self.ExportDone(
                    None,
                    error
                    if isinstance(error, LoratuiError)
                    else LoratuiError("internal", f"the export stopped: {error}"),
                )
            )
            return
        text = error_text(error)
        if event.worker.group == "export-sample":
            summary = self.query_one("#ex-summary", Static)
            summary.update(f"✗ the sample could not be made: {escape(str(error))}")
            summary.add_class("-bad")
        self.notify(text, title="Export", severity="error")

    def _unsaved(self) -> bool:
        if self.saved is None:
            return False
        cfg, problems = self.form.config()
        return bool(problems) or cfg.to_dict() != self.saved

    def action_back(self) -> None:
        self._keep_draft()  # the debounce may not have run yet
        if self.unsaved:
            self.notify(
                "unsaved changes kept as a draft: the form shows them when you come back",
                title="Export",
            )
        if self.running:
            self.notify("the export is still running; it continues if you leave", title="Export")
        self.app.pop_screen()
