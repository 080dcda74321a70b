"""Project settings as a form: PDF engine, limits, workers, timeouts, drop folder, OCR.

Built from the core's settings definition (``core.store.settings``: ``DEFAULTS`` gives the
keys and types, ``CHOICES`` the words a setting accepts, ``DESCRIPTIONS`` the help line), so
a setting the core adds gets a row without a change here. What is typed is read with the
core's ``parse_assignment`` (the parser behind ``loratui settings KEY=VALUE``) and saved
with ``workspace.update_settings``, the call the CLI makes: the form accepts what the CLI
accepts, and saving is audited the same way. Edits not saved yet are kept as a draft in
the project folder (``drafts``, form ``settings``), like the export form's: leaving or a
restart loses nothing, and the form reopens with them, marked unsaved.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from loratui.core.errors import LoratuiError
from loratui.core.projects import workspace
from loratui.core.store import drafts
from loratui.core.store import settings as settings_mod
from loratui.core.store.threads import thread_connection
from loratui.tui.screens.base import ProjectScreen
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.tick_box import TickBox

FORM = "settings"  # the name of this form's draft file
DEBOUNCE_S = 0.4  # the draft is written this long after the last edit (and on leaving)

# How the rows are grouped; a key the core adds later lands in "Other".
GROUPS: dict[str, tuple[str, ...]] = {
    "Extraction": ("pdf_engine", "ocr", "ocr_timeout_s", "pdf_pages_per_task"),
    "Workers & timeouts": (
        "workers",
        "task_timeout_s",
        "max_attempts",
        "backoff_base_s",
        "lease_s",
    ),
    "Size limits": ("max_file_mb", "max_docx_inflated_mb", "max_worker_memory_mb"),
    "Drop folder": (
        "watch_after",
        "watch_settle_s",
        "watch_rescan_s",
        "watch_poll",
        "drop_group_writable",
    ),
}


def grouped_keys() -> list[tuple[str, list[str]]]:
    """Every setting of the core's definition, in its group (unnamed ones under "Other")."""
    known = set(settings_mod.DEFAULTS)
    out = [(g, [k for k in keys if k in known]) for g, keys in GROUPS.items()]
    named = {k for _, keys in out for k in keys}
    other = [k for k in settings_mod.DEFAULTS if k not in named]
    return [(g, keys) for g, keys in out + [("Other", other)] if keys]


def to_text(value: Any) -> str:
    """A setting as the form shows it; ``parse_assignment`` reads it back."""
    return str(value)


class SettingsScreen(ProjectScreen):
    """``SettingsScreen(project_id)``: see and change the project's settings."""

    HELP = (
        "The project's settings, as `loratui settings PROJECT KEY=VALUE` sets them. Values are "
        "checked as you type; ctrl+s saves, and the project's worker and drop-folder watcher "
        "start again to use them (files in progress go back to the queue, no attempt counted)."
    )
    DEFAULT_CSS = """
    SettingsScreen #st-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    SettingsScreen #st-form { height: 1fr; padding: 0 1; }
    SettingsScreen .group { text-style: bold; color: $accent; margin-top: 1; }
    SettingsScreen .row { height: auto; }
    SettingsScreen .row > Label { width: 26; padding: 0 1 0 0; }
    SettingsScreen .row > Input, SettingsScreen .row > Select { width: 1fr; max-width: 40; }
    SettingsScreen .row > .mark { width: 8; padding-left: 1; color: $text-muted; }
    SettingsScreen .error { color: $error; padding-left: 26; height: auto; display: none; }
    SettingsScreen .error.-shown { display: block; }
    SettingsScreen #st-help { height: 1; padding: 0 1; color: $text-muted; }
    SettingsScreen #st-summary { height: 1; padding: 0 1; background: $boost; }
    SettingsScreen #st-summary.-bad { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+n", "defaults", "Defaults", priority=True, show=False),
    ]

    class Loaded(Message):
        def __init__(
            self, project: Any, stored: dict[str, Any], draft: dict[str, Any] | None
        ) -> None:
            super().__init__()
            self.project = project
            self.stored = stored
            self.draft = draft

    class Saved(Message):
        def __init__(self, stored: dict[str, Any], changes: dict[str, Any]) -> None:
            super().__init__()
            self.stored = stored
            self.changes = changes

    def __init__(self, project_id: int) -> None:
        super().__init__(project_id)
        self.keys = [k for _, keys in grouped_keys() for k in keys]
        # the first setting has the focus (not the scrolling form), so its help shows at once
        self.AUTO_FOCUS = f"#s-{self.keys[0]}"
        self.stored: dict[str, Any] | None = None  # what the project keeps (None: not read)
        self.problems: dict[str, str] = {}
        self._loading = True
        self.project: Any | None = None  # its row, read once (the draft's folder)
        self.unsaved = False  # the form differs from the saved settings (a draft is kept)
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Settings", id="st-title")
        with VerticalScroll(id="st-form"):
            for group, keys in grouped_keys():
                yield Static(group, classes="group")
                for key in keys:
                    with Horizontal(classes="row"):
                        yield Label(key)
                        yield self._widget(key)
                        yield Static("", id=f"mark-{key}", classes="mark")
                    yield Static("", id=f"err-{key}", classes="error", markup=False)
        yield Static(
            "tab: next setting · the focused one's meaning shows here", id="st-help", markup=False
        )
        yield Static("reading the settings…", id="st-summary")
        yield QuietFooter()

    def _widget(self, key: str) -> Widget:
        default = settings_mod.DEFAULTS[key]
        wid = f"s-{key}"
        if isinstance(default, bool):
            return TickBox("", value=default, id=wid, compact=True)
        choices = settings_mod.CHOICES.get(key)
        if choices:
            return Select(
                [(c, c) for c in choices], value=default, allow_blank=False, id=wid, compact=True
            )
        return Input(to_text(default), id=wid, compact=True)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="settings-load", exit_on_error=False)
    def _load(self) -> None:
        with thread_connection():
            project = workspace.get_project(self.project_id)
        draft = drafts.load_draft(project, FORM)
        self.post_message(self.Loaded(project, dict(project.settings or {}), draft))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        self.project = message.project
        self.stored = message.stored
        values: dict[str, Any] = settings_mod.effective(message.stored)
        if message.draft:  # what was typed last time, not saved
            values.update({k: v for k, v in message.draft.items() if k in values})
        self._put(values)
        self._mark_unsaved(bool(message.draft))

    def _mark_unsaved(self, unsaved: bool) -> None:
        """Say in the title whether the form holds changes not saved yet."""
        self.unsaved = unsaved
        name = escape(self.project.name) if self.project is not None else ""
        title = f"Settings · {name}"
        if unsaved:
            title += " · [b]unsaved changes[/] (kept as a draft; ctrl+s saves)"
        self.query_one("#st-title", Static).update(title)

    def _keep_draft(self) -> None:
        """Write the edited settings to the draft file while there are any; remove the file
        when there are none."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if self.project is None or self.stored is None:
            return
        _typed, problems = self.values()
        edited = set(problems) | set(self.changes())
        unsaved = bool(edited)
        try:
            if unsaved:  # only the edited keys: a setting changed from the CLI meanwhile stays
                raw = {k: v for k, v in self.raw_values().items() if k in edited}
                drafts.save_draft(self.project, FORM, raw)
            elif self.unsaved:
                drafts.clear_draft(self.project, FORM)
        except OSError as exc:
            self.notify(f"could not keep the draft: {exc}", title="Settings", severity="error")
        if unsaved != self.unsaved:
            self._mark_unsaved(unsaved)

    def on_screen_suspend(self) -> None:
        """Leaving by any way: keep the draft now (the debounce may not have run)."""
        self._keep_draft()

    def _put(self, values: dict[str, Any]) -> None:
        """Show ``values`` in the widgets (the edits they cause are not the user's)."""
        self._loading = True
        for key in self.keys:
            w = self.query_one(f"#s-{key}")
            value = values[key]
            if isinstance(w, Checkbox):
                w.value = bool(value)
            elif isinstance(w, Select):
                # a stored word the core no longer offers: the default shows, marked changed
                choices = settings_mod.CHOICES[key]
                w.value = value if value in choices else settings_mod.DEFAULTS[key]
            elif isinstance(w, Input):
                w.value = to_text(value)  # a draft's text as typed, even when not valid
        self.call_after_refresh(self._loaded)

    def _loaded(self) -> None:
        self._loading = False
        self._check()

    # -- reading and checking -----------------------------------------------------------
    def raw_values(self) -> dict[str, Any]:
        """What the widgets hold: text, or a bool for a tick box."""
        out: dict[str, Any] = {}
        for key in self.keys:
            w = self.query_one(f"#s-{key}")
            if isinstance(w, Checkbox):
                out[key] = w.value
            elif isinstance(w, Select):
                out[key] = "" if w.value is Select.NULL else str(w.value)
            elif isinstance(w, Input):
                out[key] = w.value
        return out

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The typed settings and what is wrong with each, as the CLI's parser says."""
        typed: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for key, raw in self.raw_values().items():
            if isinstance(raw, bool):
                typed[key] = raw
                continue
            try:
                _key, typed[key] = settings_mod.parse_assignment(f"{key}={raw}")
            except LoratuiError as exc:
                problems[key] = exc.message.removeprefix(f"{key} ")
        return typed, problems

    def changes(self) -> dict[str, Any]:
        """The valid settings that differ from what the project uses now."""
        typed, problems = self.values()
        current = settings_mod.effective(self.stored)
        return {k: v for k, v in typed.items() if k not in problems and v != current[k]}

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _edited(self, event: Message) -> None:
        event.stop()
        if not self._loading:
            self._check()
            if self._debounce is not None:
                self._debounce.stop()
            self._debounce = self.set_timer(DEBOUNCE_S, self._keep_draft)

    def _check(self) -> None:
        if self.stored is None:
            return
        _typed, problems = self.values()
        self.problems = problems
        changed = self.changes()
        for key in self.keys:
            box = self.query_one(f"#err-{key}", Static)
            message = problems.get(key)
            box.update(f"✗ {message}" if message else "")
            box.set_class(bool(message), "-shown")
            mark = "changed" if key in changed else "set" if key in self.stored else ""
            self.query_one(f"#mark-{key}", Static).update(mark)
        summary = self.query_one("#st-summary", Static)
        summary.set_class(bool(problems), "-bad")
        if problems:
            summary.update(f"✗ {len(problems)} to fix: {escape(', '.join(sorted(problems)))}")
        elif changed:
            summary.update(f"✓ valid · {len(changed)} unsaved change(s) · ctrl+s saves")
        else:
            summary.update("✓ saved · set: values the project keeps; the rest are defaults")

    def on_descendant_focus(self, event: Message) -> None:
        widget = getattr(event, "widget", None)
        while widget is not None and widget is not self:
            wid = widget.id or ""
            if wid.startswith("s-"):
                key = wid[2:]
                text = settings_mod.DESCRIPTIONS.get(key, "")
                choices = settings_mod.CHOICES.get(key)
                if choices:
                    text += f" ({', '.join(choices)})"
                default = to_text(settings_mod.DEFAULTS[key])
                self.query_one("#st-help", Static).update(f"{key}: {text}; default {default}")
                return
            widget = widget.parent

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- saving and leaving -------------------------------------------------------------
    def action_save(self) -> None:
        if self.stored is None:
            return
        self._check()
        if self.problems:
            self.notify(
                f"cannot save: fix {', '.join(sorted(self.problems))} first",
                title="Settings",
                severity="error",
            )
            return
        changes = self.changes()
        if not changes:
            self.notify("nothing to save", title="Settings")
            return
        self._save(changes)

    @work(thread=True, exclusive=True, group="settings-save", exit_on_error=False)
    def _save(self, changes: dict[str, Any]) -> None:
        with thread_connection():
            project = workspace.update_settings(workspace.get_project(self.project_id), changes)
        drafts.clear_draft(project, FORM)
        self.post_message(self.Saved(dict(project.settings or {}), changes))

    @on(Saved)
    def _on_saved(self, message: Saved) -> None:
        self.stored = message.stored
        self._check()
        self._keep_draft()  # removes the draft (or keeps edits typed while saving)
        names = ", ".join(sorted(message.changes))
        # the worker and the watcher read the settings when they start: start them again
        self.lapp.restart_session(self.project_id)
        self.notify(
            f"saved: {names}; processing restarts with them (files in progress are queued again)",
            title="Settings",
        )

    def action_defaults(self) -> None:
        """Put the defaults in the form (saved with ctrl+s like any change)."""
        self._put(dict(settings_mod.DEFAULTS))

    def action_discard(self) -> None:
        """Put the saved settings back in the form and forget the draft."""
        if self.stored is None:
            return
        self._put(settings_mod.effective(self.stored))
        if self.project is not None:
            drafts.clear_draft(self.project, FORM)
        self._mark_unsaved(False)
        self.notify("unsaved changes discarded", title="Settings")

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Save settings", "store them in the project", self.action_save),
            ("Discard unsaved changes", "back to the saved settings", self.action_discard),
            ("Settings defaults", "put every default in the form", self.action_defaults),
        ]

    def action_back(self) -> None:
        self._keep_draft()
        if self.unsaved:
            self.notify(
                "unsaved changes kept as a draft: the form shows them when you come back",
                title="Settings",
            )
        self.lapp.action_back()
