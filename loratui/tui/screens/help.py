"""The `?` screen: what the screen below is for and every key that works on it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
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


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        about = getattr(self._under, "HELP", None) or ""
        title = getattr(self._under, "TITLE", None) or type(self._under).__name__
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for active in self._under.active_bindings.values():
            b = active.binding
            if not b.description or b.action.startswith(MOVEMENT) or b.action.endswith(GENERIC):
                continue
            keys.add_row(b.key_display or self.app.get_key_display(b), b.description)
        keys.add_row("ctrl+p", "Command palette")
        with VerticalScroll(classes="dialog help") as box:
            box.border_title = f"Help · {title}"
            if about:
                yield Static(Text(about), classes="help-about")
            yield Static(keys, classes="help-keys")
            yield Static(Text(GENERAL, style="dim"), classes="help-general")
        yield QuietFooter(compact=True)
