"""Records files (``.jsonl``, ``.json``, ``.csv``): rows that already hold training data.

The format is sniffed from the content (stored originals have no extension): ``[`` starts
a JSON array, a first line that is a whole JSON object starts JSON Lines, ``{`` otherwise
one JSON object, anything else CSV with a header row. Ingest checks that they parse (the
head at add time, the whole file at extraction) and stores the decoded file as the
document's text; the export reads the stored original again with ``iter_records``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.extract import text as text_mod


def _corrupt(name: str, what: str) -> LoratuiError:
    return LoratuiError(
        "corrupt",
        f"{name} does not parse as a records file: {what}",
        "fix the file (one JSON object per line for .jsonl, a JSON array for .json, "
        "a header row for .csv) and add it again",
    )


def _check_jsonl(name: str, text: str, complete: bool) -> int:
    lines = text.split("\n")
    if not complete:
        lines = lines[:-1]  # the last line may be cut
    rows = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _corrupt(name, f"line {number} is not valid JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise _corrupt(name, f"line {number} is not a JSON object")
        rows += 1
    return rows


def _check_json(name: str, text: str, complete: bool) -> int:
    if not complete:
        if text.lstrip()[:1] not in ("[", "{"):
            raise _corrupt(name, "it does not start with [ or {")
        return 1
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _corrupt(name, f"line {exc.lineno}: {exc.msg}") from exc
    if isinstance(value, dict):
        return 1
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return len(value)
    raise _corrupt(name, "expected a JSON array of objects or one object")


def _check_csv(name: str, text: str, complete: bool) -> int:
    if not complete:
        text = text[: text.rfind("\n") + 1]
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise _corrupt(name, str(exc)) from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise _corrupt(name, "there is no header row")
    return max(0, len(rows) - 1)


def sniff_format(text: str) -> str:
    """``jsonl``, ``json`` or ``csv``, from the content (stored originals have no name)."""
    body = text.lstrip()
    if body.startswith("["):
        return "json"
    if body.startswith("{"):
        first = body.split("\n", 1)[0]
        try:
            json.loads(first)
        except json.JSONDecodeError:
            return "json"
        return "jsonl"
    return "csv"


def check_text(name: str, text: str, complete: bool = True) -> int:
    """Raise ``corrupt`` if ``text`` does not parse as records; return the rows seen."""
    fmt = sniff_format(text)
    if fmt == "jsonl":
        rows = _check_jsonl(name, text, complete)
    elif fmt == "json":
        rows = _check_json(name, text, complete)
    else:
        rows = _check_csv(name, text, complete)
    if complete and rows == 0:
        raise _corrupt(name, "it holds no records")
    return rows


def check_head(name: str, head: bytes, complete: bool) -> None:
    """The add-time check on the first bytes of the file called ``name``."""
    text, _ = text_mod.decode(head, partial=not complete)
    check_text(name, text, complete=complete)


def pages(path: str | Path) -> list[str]:
    """The decoded file as one page, after checking that all of it parses."""
    text = text_mod.read_text(path)
    check_text(Path(path).name, text)
    return [text]


def iter_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Each row of a records file (the stored original) as a dict."""
    text = text_mod.read_text(path)
    fmt = sniff_format(text)
    if fmt == "json":
        value = json.loads(text)
        yield from ([value] if isinstance(value, dict) else value)
    elif fmt == "csv":
        yield from csv.DictReader(io.StringIO(text))
    else:
        for line in text.split("\n"):
            if line.strip():
                yield json.loads(line)
