"""The pairs browser: generated pairs filtered by state and document, the chosen pair with
the chunk it was made from, and single keys to accept (a), reject (r) or edit (e) it.

A thin shell over ``core.generation.review`` (the same calls as ``loratui pairs``) and
``core.generation.browse`` (the documents with pairs, a pair's source chunk). Reads and
writes run in thread workers; after each change the list is read again from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Label, Select, Static

from loratui.core.generation import review
from loratui.core.projects import workspace
from loratui.core.store.models import PAIR_STATES
from loratui.core.store.threads import thread_connection
from loratui.tui.messages import GenerationEnded
from loratui.tui.screens.base import ProjectScreen
from loratui.tui.widgets import fmt
from loratui.tui.widgets.fast_table import FastTable
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.pair_editor import PairEditor
from loratui.tui.widgets.text_prompt import TextPrompt
from loratui.tui.widgets.text_view import TextView

QUESTION_CELL = 120  # characters of the question shown in the table
SOURCE_DELAY_S = 0.15  # the chunk is cut again once the cursor rests (46 ms at 200 pages)
STATE_STYLE = {"kept": "green", "rejected": "red", "edited": "yellow"}


@dataclass(frozen=True)
class PairView:
    """What the screen shows of a pair (read in a thread, shown on the event loop)."""

    id: int
    state: str
    document_id: int
    document: str
    chunk: int
    pages: list[int]
    question: str
    answer: str
    reason: str | None
    support: float | None
    judge_score: float | None
    original_question: str | None
    original_answer: str | None


class PairsScreen(ProjectScreen):
    """``PairsScreen(project_id)``: review generated pairs."""

    TITLE = "Generated pairs"
    HELP = (
        "Every generated pair, with why a gate rejected it. Filter by state and document; "
        "the chosen pair is shown beside the chunk it was made from. a accepts it (kept "
        "whatever a gate said), r rejects it with a reason, e edits it (it becomes edited, "
        "exported like kept); t cycles the state filter. g goes back to the Generate screen."
    )
    DEFAULT_CSS = """
    PairsScreen #pairs-title { background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis; }
    PairsScreen #pairs-filters { height: auto; padding: 0 1; }
    PairsScreen #pairs-filters Label { padding: 0 1 0 0; width: auto; }
    PairsScreen #pairs-state { width: 18; }
    PairsScreen #pairs-doc { width: 1fr; }
    PairsScreen #pairs-body { height: 1fr; }
    PairsScreen #pairs-table { width: 3fr; height: 1fr; }
    PairsScreen #pairs-detail { width: 2fr; height: 1fr; border-left: solid $primary;
        padding: 0 1; }
    """
    BINDINGS = [
        Binding("a", "accept", "Accept"),
        Binding("r", "reject", "Reject"),
        Binding("e", "edit", "Edit"),
        Binding("t", "next_state", "State filter"),
    ]

    class Loaded(Message):
        def __init__(
            self, rows: list[PairView], docs: list[Any], counts: dict[str, int], name: str
        ) -> None:
            super().__init__()
            self.rows = rows
            self.docs = docs
            self.counts = counts
            self.name = name

    class Source(Message):
        def __init__(self, pair_id: int, text: str) -> None:
            super().__init__()
            self.pair_id = pair_id
            self.text = text

    class Changed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, project_id: int) -> None:
        super().__init__(project_id)
        self.rows: list[PairView] = []
        self.by_id: dict[int, PairView] = {}
        self.state_filter: str | None = None
        self.document_filter: int | None = None
        self._cursor_row = 0
        self._docs_key: tuple[Any, ...] = ()
        self._source_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Generated pairs", id="pairs-title")
        with Horizontal(id="pairs-filters"):
            yield Label("State")
            yield Select[str](
                [(s, s) for s in PAIR_STATES],
                id="pairs-state",
                prompt="all",
                allow_blank=True,
                compact=True,
            )
            yield Label(" Document")
            yield Select[int]([], id="pairs-doc", prompt="all", allow_blank=True, compact=True)
        with Horizontal(id="pairs-body"):
            table = FastTable(id="pairs-table", cursor_type="row", zebra_stripes=True)
            table.add_column("id", key="id", width=4)
            table.add_column("state", key="state", width=8)
            table.add_column("document", key="document", width=12)
            table.add_column("question", key="question")
            yield table
            yield TextView(id="pairs-detail")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one("#pairs-table", FastTable).focus()
        self._load()

    @property
    def table(self) -> FastTable:
        return self.query_one("#pairs-table", FastTable)

    # -- reading ---------------------------------------------------------------------------

    def _load(self) -> None:
        self._read(self.state_filter, self.document_filter)

    @work(thread=True, exclusive=True, group="pairs-load", exit_on_error=False)
    def _read(self, state: str | None, document_id: int | None) -> None:
        from loratui.core.generation.browse import pair_documents

        with thread_connection():
            project = workspace.get_project(self.project_id)
            docs = pair_documents(project)
            names = {d.id: d.name for d in docs}
            rows = [
                PairView(
                    id=p.id,
                    state=p.state,
                    document_id=p.document_id,
                    document=names.get(p.document_id, str(p.document_id)),
                    chunk=p.chunk,
                    pages=list(p.pages or []),
                    question=p.question,
                    answer=p.answer,
                    reason=p.reason,
                    support=p.support,
                    judge_score=p.judge_score,
                    original_question=p.original_question,
                    original_answer=p.original_answer,
                )
                for p in review.list_pairs(project, state, document_id)
            ]
            counts = review.pair_counts(project)
        self.post_message(self.Loaded(rows, docs, counts, project.name))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        counts = ", ".join(f"{fmt.count(n)} {s}" for s, n in message.counts.items())
        self.query_one("#pairs-title", Static).update(
            f"Generated pairs · {escape(message.name)} · {counts}"
        )
        docs_key = tuple((d.id, d.name, d.pairs) for d in message.docs)
        if docs_key != self._docs_key:
            self._docs_key = docs_key
            select = self.query_one("#pairs-doc", Select)
            with self.prevent(Select.Changed):
                select.set_options([(f"{d.name} ({d.pairs})", d.id) for d in message.docs])
                if self.document_filter in {d.id for d in message.docs}:
                    select.value = self.document_filter
        self.rows = message.rows
        self.by_id = {r.id: r for r in message.rows}
        table = self.table
        row = min(self._cursor_row, max(0, len(self.rows) - 1))
        table.clear()
        table.add_keyed_rows((str(r.id), _cells(r)) for r in self.rows)
        if self.rows:
            table.move_cursor(row=row)
            self._show(self.rows[row])
        else:
            self.query_one("#pairs-detail", TextView).set_text(
                "no pairs here: change the filters, or make some on the Generate screen (g)"
            )

    @on(Select.Changed, "#pairs-state")
    def _state_changed(self, event: Select.Changed) -> None:
        self.state_filter = event.value if isinstance(event.value, str) else None
        self._cursor_row = 0
        self._load()

    @on(Select.Changed, "#pairs-doc")
    def _doc_changed(self, event: Select.Changed) -> None:
        self.document_filter = event.value if isinstance(event.value, int) else None
        self._cursor_row = 0
        self._load()

    def action_next_state(self) -> None:
        """Cycle the state filter: all, kept, rejected, edited."""
        order: list[str | None] = [None, *PAIR_STATES]
        nxt = order[(order.index(self.state_filter) + 1) % len(order)]
        select = self.query_one("#pairs-state", Select)
        if nxt:
            select.value = nxt
        else:
            select.clear()

    @on(DataTable.RowHighlighted, "#pairs-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._cursor_row = event.cursor_row
        pair = self.by_id.get(int(event.row_key.value)) if event.row_key.value else None
        if pair is not None:
            self._show(pair)

    def _show(self, pair: PairView) -> None:
        self.query_one("#pairs-detail", TextView).set_text(
            pair_text(pair) + "\n\n── source chunk ──\nreading the chunk…"
        )
        if self._source_timer is not None:
            self._source_timer.stop()  # the cursor moved on: read only where it rests
        self._source_timer = self.set_timer(SOURCE_DELAY_S, lambda: self._read_source(pair.id))

    @work(thread=True, exclusive=True, group="pairs-source", exit_on_error=False)
    def _read_source(self, pair_id: int) -> None:
        from loratui.core.generation.browse import source_chunk
        from loratui.core.store.models import GeneratedPair

        with thread_connection():
            pair = GeneratedPair.get_or_none(GeneratedPair.id == pair_id)
            chunk = source_chunk(pair) if pair is not None else None
        if chunk is None:
            text = "the document has no such chunk now (its text or the export's chunking changed)"
        else:
            head = f"characters {chunk.start}-{chunk.end}"
            if not chunk.same_span:
                head += " (the export's chunking changed since: this is the chunk cut now)"
            text = f"{head}\n{chunk.text}"
        self.post_message(self.Source(pair_id, text))

    @on(Source)
    def _on_source(self, message: Source) -> None:
        pair = self.current()
        if pair is None or pair.id != message.pair_id:
            return
        self.query_one("#pairs-detail", TextView).set_text(
            pair_text(pair) + "\n\n── source chunk ──\n" + message.text
        )

    def current(self) -> PairView | None:
        table = self.table
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- reviewing -------------------------------------------------------------------------

    def action_accept(self) -> None:
        pair = self.current()
        if pair is not None:
            self._change("accept", pair.id)

    def action_reject(self) -> None:
        pair = self.current()
        if pair is None:
            return

        def answer(reason: str | None) -> None:
            if reason:
                self._change("reject", pair.id, reason=reason)

        self.app.push_screen(
            TextPrompt(f"Reject pair {pair.id}", "Why?", "rejected by the user"), answer
        )

    def action_edit(self) -> None:
        pair = self.current()
        if pair is None:
            return

        def answer(words: tuple[str, str] | None) -> None:
            if words is not None:
                self._change("edit", pair.id, question=words[0], answer=words[1])

        self.app.push_screen(
            PairEditor(pair.id, pair.question, pair.answer, ("Question", "Answer")), answer
        )

    @work(thread=True, group="pairs-change", exit_on_error=False)
    def _change(self, verb: str, pair_id: int, **kwargs: str) -> None:
        with thread_connection():
            project = workspace.get_project(self.project_id)
            if verb == "accept":
                review.accept(project, [pair_id])
            elif verb == "reject":
                review.reject(project, [pair_id], kwargs.get("reason"))
            else:
                review.edit(project, pair_id, kwargs.get("question"), kwargs.get("answer"))
        done = {"accept": "accepted", "reject": "rejected", "edit": "edited"}[verb]
        self.post_message(self.Changed(f"pair {pair_id} {done}"))

    @on(Changed)
    def _on_changed(self, message: Changed) -> None:
        self.notify(message.text, title="Pairs")
        self._load()

    def on_generation_ended(self, message: GenerationEnded) -> None:
        self._load()


def _cells(p: PairView) -> list[Any]:
    question = " ".join(p.question.split())
    if len(question) > QUESTION_CELL:
        question = question[: QUESTION_CELL - 1] + "…"
    return [
        str(p.id),
        Text(p.state, style=STATE_STYLE.get(p.state, "")),
        p.document,
        question,
    ]


def pair_text(p: PairView) -> str:
    """The pair, its state and why, for the detail pane."""
    pages = f" · pages {p.pages[0]}-{p.pages[-1]}" if p.pages else ""
    scores = ""
    if p.support is not None:
        scores += f" · support {p.support:.2f}"
    if p.judge_score is not None:
        scores += f" · judge {p.judge_score:g}"
    lines = [
        f"pair {p.id} · {p.state} · {p.document} · chunk {p.chunk}{pages}{scores}",
        f"Q: {p.question}",
        f"A: {p.answer}",
    ]
    if p.reason:
        lines.append(f"why: {p.reason}")
    if p.original_question and p.original_question != p.question:
        lines.append(f"was Q: {p.original_question}")
    if p.original_answer and p.original_answer != p.answer:
        lines.append(f"was A: {p.original_answer}")
    return "\n".join(lines)
