"""A dialog editing a generated pair's question and answer; the caller saves the result
through ``core.generation.review.edit`` (which marks the pair ``edited``)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea


class PairEditor(ModalScreen[tuple[str, str] | None]):
    """``PairEditor(pair_id, question, answer)``: ctrl+s returns the new words, escape None."""

    DEFAULT_CSS = """
    PairEditor { align: center middle; }
    PairEditor > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    PairEditor TextArea { height: 5; }
    PairEditor #pe-answer { height: 8; }
    PairEditor #pe-problem { color: $error; height: auto; }
    PairEditor .pe-buttons { height: auto; align-horizontal: right; }
    PairEditor .pe-buttons Button { margin: 0 0 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, pair_id: int, question: str, answer: str, labels: tuple[str, str]) -> None:
        super().__init__()
        self.pair_id = pair_id
        self.question = question
        self.answer = answer
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Edit pair {self.pair_id}"
            yield Label(self.labels[0])
            yield TextArea(self.question, id="pe-question", soft_wrap=True)
            yield Label(self.labels[1])
            yield TextArea(self.answer, id="pe-answer", soft_wrap=True)
            yield Static("", id="pe-problem")
            with Horizontal(classes="pe-buttons"):
                yield Button("Save (^s)", id="pe-save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="pe-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#pe-question", TextArea).focus()

    @on(Button.Pressed, "#pe-save")
    def action_save(self) -> None:
        question = self.query_one("#pe-question", TextArea).text.strip()
        answer = self.query_one("#pe-answer", TextArea).text.strip()
        if not question or not answer:
            self.query_one("#pe-problem", Static).update("neither part may be empty")
            return
        self.dismiss((question, answer))

    @on(Button.Pressed, "#pe-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
