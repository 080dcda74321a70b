"""What libraries say while a worker process extracts a file: kept, not printed.

Why: pypdf and friends report oddities of real-world files through ``logging`` (and a few
through ``warnings``). In a worker process nothing handled them, so Python's last-resort
handler wrote them to the terminal the worker inherited: over the TUI's screen and into
the stderr of ``process --json``. A worker now sends them to no terminal at all
(``silence_terminal``): each task collects them (``capture``), they come back with the
task's result (``pool.ExtractionPool.run``), and the orchestrator records them as warning
events on the document they are about (``record``), where the log panel shows them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

MAX_TEXT = 400  # characters kept of one message (pypdf prints whole encoding tables)
MAX_DISTINCT = 20  # distinct messages kept a task; the rest are counted
MAX_EVENTS = 10  # events written a document; the rest summed up in one more

# (level, source, message, times) - plain tuples: they cross the process boundary
Note = tuple[str, str, str, int]

_sink: list[tuple[str, str, str]] | None = None


class _ToSink(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if _sink is None:
            return
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a library's broken format string
            text = str(record.msg)
        level = "error" if record.levelno >= logging.ERROR else "warning"
        _sink.append((level, record.name, text))


def _show_warning(message: Any, category: type[Warning], *_args: Any, **_kw: Any) -> None:
    if _sink is not None:
        _sink.append(("warning", category.__name__, str(message)))


def route_to_notes() -> None:
    """In a process that runs tasks (idempotent): library logging and warnings go to the
    task's notes, never to a terminal (a Ray worker's, whose output Ray forwards)."""
    root = logging.getLogger()
    if not any(isinstance(h, _ToSink) for h in root.handlers):
        root.addHandler(_ToSink(level=logging.WARNING))
    logging.lastResort = None
    warnings.showwarning = _show_warning


def silence_terminal() -> None:
    """In a worker process (once): library logging and warnings go to the task's notes,
    and what is written straight to file descriptors 1 and 2 (C libraries) is dropped."""
    route_to_notes()
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)


@contextlib.contextmanager
def capture() -> Iterator[list[Note]]:
    """Collect the notes of one task (or one file of a task); nested captures keep their
    own. The list is filled when the block ends: repeats counted, long texts cut."""
    global _sink
    outer, _sink = _sink, []
    notes: list[Note] = []
    try:
        yield notes
    finally:
        raw, _sink = _sink, outer
        notes.extend(condense(raw))


def condense(raw: Sequence[tuple[str, str, str]]) -> list[Note]:
    """Identical messages once, with how many times they came; at most ``MAX_DISTINCT``."""
    counts: dict[tuple[str, str, str], int] = {}
    for level, source, text in raw:
        text = " ".join(text.split())
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        key = (level, source, text)
        if key in counts or len(counts) < MAX_DISTINCT:
            counts[key] = counts.get(key, 0) + 1
    return [(level, source, text, n) for (level, source, text), n in counts.items()]


def merge(notes: Sequence[Note]) -> list[Note]:
    """Several tasks' notes about one document as one list, repeats added up."""
    counts: dict[tuple[str, str, str], int] = {}
    for level, source, text, n in notes:
        counts[(level, source, text)] = counts.get((level, source, text), 0) + n
    return [(level, source, text, n) for (level, source, text), n in counts.items()]


def record(project_id: int, document_id: int, name: str, notes: Sequence[Note]) -> int:
    """Write ``notes`` as ``extract.warning`` events on the document (DB thread); returns
    how many events were written."""
    from loratui.core.audit import log_event

    merged = merge(notes)
    if not merged:
        return 0
    written = 0
    for level, source, text, n in merged[:MAX_EVENTS]:
        times = f" (×{n})" if n > 1 else ""
        log_event(
            project_id,
            "extract.warning",
            f"{name}: {text}{times}",
            level="warning",
            document=document_id,
            data={"source": source, "library_level": level, "count": n},
            origin="worker",
        )
        written += 1
    rest = merged[MAX_EVENTS:]
    if rest:
        log_event(
            project_id,
            "extract.warning",
            f"{name}: {sum(n for *_, n in rest)} more library warnings of {len(rest)} other kinds",
            level="warning",
            document=document_id,
            data={"count": sum(n for *_, n in rest)},
            origin="worker",
        )
        written += 1
    return written
