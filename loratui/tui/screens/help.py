"""The `?` screen: what the screen below is for and every key that works on it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from loratui.tui.widgets.footer import QuietFooter

GENERAL = (
    "loratui turns documents into versioned LoRA datasets. Open a project, add files (or drop "
    "them into its drop folder), watch them being extracted, check them in the preview, then "
    "export a dataset version.\n"
    "ctrl+p opens the command palette; escape goes back; q quits (work in progress is put "
    "back in the queue and resumes next time)."
)


MOVEMENT = ("cursor_", "scroll_", "page_", "select_cursor", "toggle_node")
GENERIC = ("focus_next", "focus_previous", "copy_text")
# the footer's words are short to fit; help has room for the whole name
LONGER = {
    "command_palette": "Command palette",
    "section('dashboard')": "Dashboard",
    "section('versions')": "Versions",
    "add_files": "Add files",
}


def key_name(app: App, binding: Binding) -> str:
    """How help writes one key: a printable key as itself (``D``, not the ``del`` shown
    for ``delete,D``), others as the binding or the app shows them (``/``, ``^l``)."""
    if len(binding.key) == 1:
        return binding.key
    return binding.key_display or app.get_key_display(Binding(binding.key, binding.action))


def help_rows(screen: Screen) -> list[tuple[list[str], str]]:
    """Every key that works on ``screen`` now, one row per action: (keys, description).

    Made from the screen's active bindings (its own, the focused widget's, the app's), so
    the list follows the bindings and cannot drift. Read it while ``screen`` is on top:
    the app's section keys are disabled under a modal, the help screen itself.
    """
    rows: dict[tuple[int, str], tuple[list[str], str]] = {}
    for node, binding, enabled, _tooltip in screen.active_bindings.values():
        action = binding.action
        if not enabled or not binding.description:
            continue
        if action.startswith(MOVEMENT) or action.endswith(GENERIC):
            continue
        keys, _ = rows.setdefault((id(node), action), ([], LONGER.get(action, binding.description)))
        name = key_name(screen.app, binding)
        if name not in keys:
            keys.append(name)
    return list(rows.values())


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self._under = under
        self._rows = help_rows(under)  # now, while ``under`` is still the top screen

    def compose(self) -> ComposeResult:
        about = getattr(self._under, "HELP", None) or ""
        title = getattr(self._under, "TITLE", None) or type(self._under).__name__
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for names, description in self._rows:
            keys.add_row(" ".join(names), description)
        with VerticalScroll(classes="dialog help") as box:
            box.border_title = f"Help · {title}"
            if about:
                yield Static(Text(about), classes="help-about")
            yield Static(keys, classes="help-keys")
            yield Static(Text(GENERAL, style="dim"), classes="help-general")
        yield QuietFooter(compact=True)
