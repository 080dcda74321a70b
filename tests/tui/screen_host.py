"""A minimal host app that pushes one screen, so screen tests need not wait for the full app."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable

from textual.app import App
from textual.screen import Screen

from loratui.core.store.models import Document, Page, Project, now


class ScreenHost(App):
    """Pushes ``make_screen()`` on mount; the tests drive it with Pilot."""

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 20.0) -> None:  # noqa: ANN001
    """Let the app run until ``condition()`` holds (generous: the test machine is loaded)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - widgets may not be mounted yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


def make_document(
    project: Project, name: str, pages: list[str], state: str = "done", **extra: object
) -> Document:
    """A document row with its page rows, as the extractor would have left them."""
    text = "\f".join(pages)
    doc = Document.create(
        project=project,
        name=name,
        sha256=hashlib.sha256(f"{name}\n{text}".encode()).hexdigest(),
        size=len(text.encode()),
        kind=extra.pop("kind", "pdf"),
        state=state,
        pages=len(pages),
        pages_done=len(pages),
        chars=len(text),
        tokens=len(text) // 4,
        created_at=extra.pop("created_at", 1_700_000_000.0),
        **extra,
    )
    rows = [
        {"document": doc.id, "number": i, "text": t, "chars": len(t)}
        for i, t in enumerate(pages, start=1)
    ]
    for start in range(0, len(rows), 500):
        Page.insert_many(rows[start : start + 500]).execute()
    doc.updated_at = now()
    return doc
