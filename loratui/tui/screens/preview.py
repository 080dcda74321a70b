"""Preview of one document: metadata, warnings, the text page by page, errors, unlock.

Only one page is read from the database at a time (a small LRU keeps the pages just
seen), so a 1,000-page document opens as fast as a one-page one; the page text is
shown in a line-API ``TextView``. Every read runs in a thread worker that posts a
message; the handlers own the widgets.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from loratui.core.errors import LoratuiError, worded_hint
from loratui.core.extract import kinds
from loratui.core.projects import documents, workspace
from loratui.core.projects.documents import DocumentDetail
from loratui.core.store.models import DONE, FAILED, PROCESSING, QUEUED
from loratui.core.store.threads import thread_connection
from loratui.tui.widgets import fmt
from loratui.tui.widgets.footer import QuietFooter
from loratui.tui.widgets.password_prompt import PasswordPrompt
from loratui.tui.widgets.text_view import TextView
from loratui.tui.worker_errors import error_text


def unlock_document(project_id: int, document_id: int, password: str) -> str:
    """Give the PDF its password through the core queue; return what happened."""
    from loratui.core.jobs import control as queue_control

    project = workspace.get_project(project_id)
    doc = documents.get_document(project, document_id)
    queue_control.unlock(project, doc, password)  # opens the file with it first
    return "the password opens the file; it is queued for extraction again"


class PreviewScreen(Screen):
    """One document of a project: ``PreviewScreen(project_id, document_id)``."""

    DEFAULT_CSS = """
    PreviewScreen #pv-title {
        background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    PreviewScreen #pv-meta { padding: 0 1; height: auto; }
    PreviewScreen #pv-issues { padding: 0 1; height: auto; max-height: 8; overflow-y: auto; }
    PreviewScreen #pv-issues.-empty { display: none; }
    PreviewScreen #pv-nav { height: 1; background: $boost; padding: 0 1; }
    PreviewScreen #pv-page { width: 1fr; }
    PreviewScreen #pv-goto { width: 24; height: 1; border: none; padding: 0; display: none; }
    PreviewScreen #pv-goto.-open { display: block; }
    PreviewScreen #pv-text { height: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("right,n", "page(1)", "Next page", key_display="→"),
        Binding("left,b", "page(-1)", "Prev page", key_display="←"),
        Binding("g", "goto", "Go to page"),
        Binding("less_than_sign", "first_page", "First page", show=False, key_display="<"),
        Binding("greater_than_sign", "last_page", "Last page", show=False, key_display=">"),
        Binding("right_square_bracket", "part(1)", "Next part", show=False, key_display="]"),
        Binding("left_square_bracket", "part(-1)", "Prev part", show=False, key_display="["),
        Binding("p", "password", "Password"),
        Binding("t", "toggle_traceback", "Traceback"),
        Binding("r", "reload", "Reload"),
        Binding("o", "open_original", "Original"),
    ]

    class InfoLoaded(Message):
        def __init__(self, info: DocumentDetail) -> None:
            super().__init__()
            self.info = info

    class PageLoaded(Message):
        def __init__(self, number: int, part: int, piece: documents.PageSlice | None) -> None:
            super().__init__()
            self.number = number
            self.part = part
            self.piece = piece

    class Unlocked(Message):
        def __init__(self, ok: bool, message: str, hint: str = "") -> None:
            super().__init__()
            self.ok = ok
            self.message = message
            self.hint = hint

    def __init__(self, project_id: int, document_id: int) -> None:
        super().__init__()
        self.project_id = project_id
        self.document_id = document_id
        self.info: DocumentDetail | None = None
        self.page = 1
        self.part = 0  # which slice of a long page is shown (documents.page_slice)
        self.showing_traceback = False
        self.unlock_message: str | None = None
        # (page, part) -> the slice read; a few slices, never whole huge pages
        self._pages: LRUCache[tuple[int, int], documents.PageSlice | None] = LRUCache(maxsize=16)

    def compose(self) -> ComposeResult:
        yield Static("Preview", id="pv-title")
        yield Static("loading…", id="pv-meta")
        yield Static("", id="pv-issues", classes="-empty")
        with Horizontal(id="pv-nav"):
            yield Static("", id="pv-page")
            yield Input(placeholder="page number", type="integer", id="pv-goto")
        yield TextView(id="pv-text")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one(TextView).focus()
        self.load_info()
        self.set_interval(1.0, self._poll_active)

    # -- workers -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="preview-info", exit_on_error=False)
    def load_info(self) -> None:
        with thread_connection():
            project = workspace.get_project(self.project_id)
            info = documents.document_detail(project, self.document_id)
        self.post_message(self.InfoLoaded(info))

    @work(thread=True, exclusive=True, group="preview-page", exit_on_error=False)
    def load_page(self, number: int, part: int = 0) -> None:
        """Read the slice shown, then the one after it (the next part, or the next page)."""
        with thread_connection():
            piece = documents.page_slice(self.document_id, number, part)
            self.post_message(self.PageLoaded(number, part, piece))
            if piece is None:
                return
            after = (number, part + 1) if part + 1 < piece.parts else (number + 1, 0)
            if after not in self._pages:
                nxt = documents.page_slice(self.document_id, *after)
                if nxt is not None:
                    self.post_message(self.PageLoaded(*after, nxt))

    @work(thread=True, exclusive=True, group="preview-unlock", exit_on_error=False)
    def unlock(self, password: str) -> None:
        try:
            with thread_connection():
                message = unlock_document(self.project_id, self.document_id, password)
        except LoratuiError as exc:
            self.post_message(self.Unlocked(False, exc.message, exc.hint_for("tui")))
            return
        self.post_message(self.Unlocked(True, message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            text = error_text(event.worker.error, "could not read the document: ")
            self.notify(text, title="Preview", severity="error")

    def _poll_active(self) -> None:
        if self.info is not None and self.info.doc.state in (QUEUED, PROCESSING):
            self.load_info()

    # -- message handlers ----------------------------------------------------

    @on(InfoLoaded)
    def _on_info(self, message: InfoLoaded) -> None:
        before = self.info.pages_stored if self.info else -1
        self.info = message.info
        if message.info.pages_stored != before:
            self._pages.clear()
        self._render_info()
        self.page = min(max(1, self.page), max(1, message.info.total_pages))
        if not message.info.traceback:
            self.showing_traceback = False
        elif message.info.pages_stored == 0 and not message.info.locked:
            self.showing_traceback = True
        elif before == 0:  # text has just arrived: show it rather than the old traceback
            self.showing_traceback = False
        self._show_page()
        self.refresh_bindings()

    @on(PageLoaded)
    def _on_page(self, message: PageLoaded) -> None:
        self._pages[(message.number, message.part)] = message.piece
        shown = (message.number, message.part) == (self.page, self.part)
        if shown and not self.showing_traceback:
            self._show_page()

    @on(Unlocked)
    def _on_unlocked(self, message: Unlocked) -> None:
        if message.ok:
            self.unlock_message = f"✓ {message.message}"
            self.notify(message.message, title="Unlocked")
        else:
            self.unlock_message = f"✗ {message.message}" + (
                f" — {message.hint}" if message.hint else ""
            )
            self.notify(message.message, title="Unlock failed", severity="error")
        self.load_info()

    # -- rendering -----------------------------------------------------------

    def _render_info(self) -> None:
        assert self.info is not None
        doc = self.info.doc
        self.query_one("#pv-title", Static).update(
            f"Preview · {self.info.project_name} · {doc.name}"
        )
        pages = f"{doc.pages} pages" if doc.pages is not None else "pages unknown"
        if doc.state not in (DONE, FAILED) and doc.pages:
            pages = f"{doc.pages_done}/{doc.pages} pages"
        kind = doc.kind or "unknown type"
        if doc.engine:  # which PDF engine read the text (both when one took over)
            kind = f"{kind} (read by {doc.engine})"
        lines = [
            f"{kind} · {fmt.human_bytes(doc.size)} · {doc.state} · "
            f"{pages} · {fmt.count(doc.chars)} chars · ~{fmt.count(doc.tokens)} tokens",
            f"sha256 {doc.sha256}",
        ]
        timing = [f"added {fmt.when(doc.created_at)}"]
        if doc.extract_seconds:
            timing.append(f"extraction {fmt.seconds(doc.extract_seconds)}")
        if doc.started_at and doc.finished_at:
            timing.append(f"wall {fmt.seconds(doc.finished_at - doc.started_at)}")
        if doc.finished_at:
            timing.append(f"finished {fmt.when(doc.finished_at)}")
        if doc.excluded:
            timing.append("excluded from exports")
        lines.append(" · ".join(timing))
        self.query_one("#pv-meta", Static).update("\n".join(lines))

        issues: list[str] = []
        if doc.error_code:
            issues.append(
                f"[b red]error[/] {_esc(f'[{doc.error_code}]')} {_esc(doc.error_message or '')}"
            )
            known = kinds.find(doc.kind)
            hint = worded_hint(doc.error_code, doc.hint, "tui", known.errors if known else ())
            if hint:
                issues.append(f"  hint: {_esc(hint)}")
        if self.info.original:
            issues.append(
                f"[cyan]duplicate[/] same bytes as {_esc(self.info.original)}; "
                "its text is extracted once, there (o: open it)"
            )
        if self.unlock_message:
            issues.append(_esc(self.unlock_message))
        for w in doc.warnings or []:
            level = w.get("level", "warning")
            colour = "yellow" if level == "warning" else "cyan"
            issues.append(
                f"[{colour}]{level}[/] {_esc('[' + str(w.get('code', '')) + ']')} "
                f"{_esc(str(w.get('message', '')))}"
            )
            if w.get("hint"):
                issues.append(f"  hint: {_esc(str(w['hint']))}")
        box = self.query_one("#pv-issues", Static)
        box.update("\n".join(issues))
        box.set_class(not issues, "-empty")

    def _show_page(self) -> None:
        info = self.info
        view = self.query_one(TextView)
        label = self.query_one("#pv-page", Static)
        if info is None:
            return
        if self.showing_traceback:
            label.update("Traceback from the log  (t: back to the text)")
            view.set_text(info.traceback or "no traceback was logged for this document")
            return
        total = info.total_pages
        if total == 0:
            label.update("No pages")
            view.set_text(_no_text_reason(info))
            return
        label.update(f"Page {self.page} / {total}")
        key = (self.page, self.part)
        if key not in self._pages:
            self.load_page(*key)
            return
        piece = self._pages[key]
        if piece is None:
            view.set_text(f"page {self.page} is not extracted yet ({info.doc.state})")
            return
        if piece.parts > 1:  # a long page, shown a slice at a time
            label.update(
                f"Page {self.page} / {total} · part {piece.part + 1:,} / {piece.parts:,}"
                "  (] next part, [ previous)"
            )
        view.set_text(piece.text if piece.text.strip() else "(this page has no text)")

    # -- actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "password":
            return bool(self.info and self.info.locked)
        if action == "open_original":
            return bool(self.info and self.info.original)
        if action == "toggle_traceback":
            return bool(self.info and self.info.traceback)
        if action in ("page", "goto", "first_page", "last_page"):
            return bool(self.info and self.info.total_pages > 1)
        return True

    def action_back(self) -> None:
        goto = self.query_one("#pv-goto", Input)
        if goto.has_class("-open"):
            self._close_goto()
            return
        self.app.pop_screen()

    def go_to_page(self, number: int) -> None:
        """Show page ``number`` (clamped to the document)."""
        if self.info is None:
            return
        total = max(1, self.info.total_pages)
        self.page = min(max(1, number), total)
        self.part = 0
        self.showing_traceback = False
        self._show_page()

    def action_part(self, delta: int) -> None:
        """The next or previous slice of a long page."""
        piece = self._pages.get((self.page, self.part))
        if piece is None or piece.parts < 2:
            return
        self.part = min(max(0, self.part + delta), piece.parts - 1)
        self.showing_traceback = False
        self._show_page()

    def action_page(self, delta: int) -> None:
        self.go_to_page(self.page + delta)

    def action_first_page(self) -> None:
        self.go_to_page(1)

    def action_last_page(self) -> None:
        if self.info:
            self.go_to_page(self.info.total_pages)

    def action_goto(self) -> None:
        goto = self.query_one("#pv-goto", Input)
        goto.add_class("-open")
        goto.value = ""
        goto.focus()

    def _close_goto(self) -> None:
        goto = self.query_one("#pv-goto", Input)
        goto.remove_class("-open")
        self.query_one(TextView).focus()

    @on(Input.Submitted, "#pv-goto")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._close_goto()
        try:
            number = int(event.value)
        except ValueError:
            self.notify("type a page number", severity="warning")
            return
        self.go_to_page(number)

    def action_toggle_traceback(self) -> None:
        self.showing_traceback = not self.showing_traceback
        self._show_page()

    def action_reload(self) -> None:
        self._pages.clear()
        self.load_info()

    def action_open_original(self) -> None:
        if self.info and self.info.doc.duplicate_of_id is not None:
            self.app.push_screen(PreviewScreen(self.project_id, self.info.doc.duplicate_of_id))

    def action_password(self) -> None:
        if not (self.info and self.info.locked):
            return
        self.app.push_screen(PasswordPrompt(self.info.doc.name), self._password_given)

    def _password_given(self, password: str | None) -> None:
        if password:
            self.unlock_message = "trying the password…"  # said to work only once it did
            self._render_info()
            self.unlock(password)


def _esc(text: str) -> str:
    """Escape Rich markup in text that came from documents or users."""
    from rich.markup import escape

    return escape(text)


def _no_text_reason(info: DocumentDetail) -> str:
    doc = info.doc
    if info.locked:
        return "the PDF is encrypted: press p to give its password (t shows the traceback)"
    if doc.state == FAILED:
        return "the document failed before any text was extracted; see the error above"
    if info.original:
        return f"no text of its own: it is a duplicate of {info.original}"
    if doc.state in (QUEUED, PROCESSING):
        return f"no text yet: the document is {doc.state}"
    return "the document has no extracted text"
