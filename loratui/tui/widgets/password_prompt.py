"""A modal that asks for a PDF's password; dismisses with the text, or None on escape."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class PasswordPrompt(ModalScreen[str | None]):
    """Enter submits the password, escape cancels. The text is never logged or shown."""

    DEFAULT_CSS = """
    PasswordPrompt {
        align: center middle;
    }
    PasswordPrompt > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }
    PasswordPrompt .hint {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, document_name: str) -> None:
        super().__init__()
        self.document_name = document_name

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Unlock PDF"
            yield Label(f"Password for {self.document_name}")
            yield Input(password=True, placeholder="password", id="password")
            yield Label("enter: unlock · escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
