"""Where examples come from: document chunks (as text or through a template) and records files.

A text document becomes chunks; in the ``text`` format (a format that is not
``templated``) a chunk is the record, in the chat and instruction formats the configured
template turns each chunk into a user/assistant pair with ``{title}``, ``{heading}`` (the
section heading the chunk falls under, else the title), ``{text}``, ``{previous}`` (the text
before the chunk: the chunk before, less the overlap this chunk repeats, so prompt and answer
read on without a repeated passage), ``{page}`` and ``{source}``. A document's first chunk has
no ``{previous}``: it takes ``first_user_template`` as its user turn (or is dropped as
``no_previous`` when that is empty).
A records file (``kind == "records"``) already holds examples: each row is mapped to an
example through ``columns`` (target field -> column name), or by recognising common column
names when no mapping is given.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.chunking import Chunk
from loratui.core.export.config import ExportConfig
from loratui.core.export.docref import DocRef
from loratui.core.export.formats import Example
from loratui.core.store.models import Document

ROLE_NAMES = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "system": "system",
}
# recognised column names per target, in order of preference
AUTO_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": ("messages",),
    "conversations": ("conversations", "conversation"),
    "instruction": ("instruction", "question", "query", "prompt_text"),
    "input": ("input", "context"),
    "output": ("output", "answer", "response"),
    "prompt": ("prompt",),
    "completion": ("completion",),
    "system": ("system", "system_prompt"),
    "text": ("text", "content", "body"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


class RowError(ValueError):
    """A row that cannot become an example (the reason is the message)."""


# ---- document chunks -----------------------------------------------------------------


def page_label(pages: list[int]) -> str:
    if not pages:
        return ""
    return str(pages[0]) if len(pages) == 1 else f"{pages[0]}-{pages[-1]}"


def title_of(doc: Document | DocRef) -> str:
    return Path(doc.name).stem.replace("_", " ").strip() or doc.name


def previous_text(before: Chunk | None, chunk: Chunk) -> str:
    """The text before ``chunk``: the chunk ``before`` it without the overlap ``chunk``
    starts with (chunks hold their exact span of the document text)."""
    if before is None:
        return ""
    keep = chunk.start - before.start
    return before.text if keep >= len(before.text) else before.text[: max(0, keep)].rstrip()


def chunk_example(
    doc: Document | DocRef, chunk: Chunk, previous: str, cfg: ExportConfig
) -> Example:
    """The example a chunk makes. A first chunk (no ``previous``) with templates that use
    ``{previous}`` takes ``first_user_template`` as its user turn; raises
    ``RowError('no_previous')`` when that is empty or the assistant template needs it."""
    if not formats.get(cfg.format).templated:
        return Example(text=chunk.text)
    user_template = cfg.user_template
    if not previous and "{previous}" in cfg.user_template + cfg.assistant_template:
        if not cfg.first_user_template.strip() or "{previous}" in cfg.assistant_template:
            raise RowError("no_previous")
        user_template = cfg.first_user_template
    title = title_of(doc)
    values = {
        "title": title,
        "heading": chunk.heading or title,
        "text": chunk.text,
        "previous": previous,
        "page": page_label(chunk.pages),
        "source": doc.name,
    }
    return Example(
        system=cfg.system_prompt.format_map(values),
        turns=[
            ("user", user_template.format_map(values)),
            ("assistant", cfg.assistant_template.format_map(values)),
        ],
    )


# ---- records files -------------------------------------------------------------------


def clean_value(value: Any, form: str) -> str:
    """A records-file value as clean text; indentation and line breaks are kept."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if form != "none":
        text = unicodedata.normalize(form, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def resolve_columns(row: dict[str, Any], mapping: dict[str, str]) -> dict[str, str]:
    """The target -> column mapping for a row: the configured one, or one recognised."""
    if mapping:
        return dict(mapping)
    found: dict[str, str] = {}
    lower = {str(k).lower(): k for k in row}
    for target, names in AUTO_COLUMNS.items():
        for name in names:
            if name in lower:
                found[target] = lower[name]
                break
    return found


def _turns_from_list(value: Any, form: str) -> tuple[str, list[tuple[str, str]]]:
    if not isinstance(value, list):
        raise RowError("bad_row")
    system = ""
    turns: list[tuple[str, str]] = []
    for item in value:
        if not isinstance(item, dict):
            raise RowError("bad_row")
        role = ROLE_NAMES.get(str(item.get("role", item.get("from", ""))).lower())
        content = clean_value(item.get("content", item.get("value")), form)
        if role is None:
            raise RowError("bad_row")
        if role == "system":
            if turns:
                raise RowError("bad_row")
            system = content
            continue
        turns.append((role, content))
    return system, turns


def row_example(row: dict[str, Any], cfg: ExportConfig) -> Example:
    """The example in one row of a records file; ``RowError`` when the row has none."""
    if not isinstance(row, dict):
        raise RowError("bad_row")
    cols = resolve_columns(row, cfg.columns)
    form = cfg.normalize

    def get(target: str) -> str:
        col = cols.get(target)
        if col is None:
            return ""
        if col not in row:
            raise RowError("missing_column")
        return clean_value(row[col], form)

    system = get("system")
    for target in ("messages", "conversations"):
        if target in cols:
            if cols[target] not in row:
                raise RowError("missing_column")
            sys2, turns = _turns_from_list(row[cols[target]], form)
            return Example(system=system or sys2, turns=turns)
    if "instruction" in cols or "output" in cols:
        return Example(
            system=system,
            turns=[("user", get("instruction")), ("assistant", get("output"))],
            input=get("input"),
        )
    if "prompt" in cols or "completion" in cols:
        return Example(
            system=system, turns=[("user", get("prompt")), ("assistant", get("completion"))]
        )
    if "text" in cols:
        return Example(text=get("text"))
    raise RowError("no_columns")


def iter_rows(doc: Document) -> Iterator[dict[str, Any]]:
    """The rows of a records document, read from its stored original.

    UTF-8 JSON Lines and CSV are streamed a line at a time (memory stays flat however big
    the file); a JSON array, or a file in another encoding, is read whole by the extractor.
    """
    from loratui.core.extract import records as records_mod
    from loratui.core.ingest import add as ingest

    path = ingest.stored_path(doc)
    if not path.exists():
        raise LoratuiError(
            "io_error",
            f"the stored original of {doc.name!r} is missing ({path})",
            "add the file again, or exclude it from the export",
        )
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head_text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        head_text = None
    fmt = records_mod.sniff_format(head_text) if head_text is not None else None
    if fmt not in ("jsonl", "csv"):
        yield from records_mod.iter_records(path)
        return
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        if fmt == "csv":
            yield from csv.DictReader(fh)
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise LoratuiError(
                    "corrupt",
                    f"line {number} of {doc.name!r} is not valid JSON ({exc.msg})",
                    "fix the file and add it again, or exclude it from the export",
                ) from exc
