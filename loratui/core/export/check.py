"""Read a JSONL file the way a LoRA trainer would, and list what would make it choke.

Every line must be a JSON object with the format's keys; strings non-empty; conversations
start with the user (after an optional system turn), alternate, and end with the assistant
(each format's ``problems``, from what it declares); no record over ``max_seq_len`` tokens.
A JSON array where JSON Lines are expected and a trailing partial line are reported too.
Each export runs this before a version is final.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.export.formats.base import WARNING_CODES
from loratui.core.export.tokenizer import Counter, get_counter

MAX_REPORTED = 200


def _problem(line: int, code: str, message: str, level: str = "error") -> dict[str, Any]:
    return {"line": line, "code": code, "level": level, "message": message}


def check_file(
    path: str | Path,
    fmt: str,
    max_seq_len: int | None = None,
    tokenizer: str | Counter | None = None,
) -> list[dict[str, Any]]:
    """Every problem in the JSONL file at ``path`` for ``fmt`` (empty list: a trainer reads it).

    Each problem is ``{"line", "code", "level", "message"}``; ``line`` is 1-based (0 for the
    whole file). At most ``MAX_REPORTED`` are listed, then one ``truncated`` entry.
    """
    return check_report(path, fmt, max_seq_len, tokenizer)["problems"]


def check_report(
    path: str | Path,
    fmt: str,
    max_seq_len: int | None = None,
    tokenizer: str | Counter | None = None,
    line_tokens: Sequence[int] | None = None,
) -> dict[str, Any]:
    """``check_file`` plus counts: ``{"records", "problems", "problem_count", "max_tokens"}``.

    ``line_tokens`` (the export's own counts, one per line, of the very records it wrote)
    saves tokenizing every record a second time; without it each record is counted here.
    """
    layout = formats.get(fmt)
    counter = (
        get_counter(tokenizer) if isinstance(tokenizer, str) or tokenizer is None else tokenizer
    )
    p = Path(path)
    try:
        fh = p.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise LoratuiError(
            "not_found", f"cannot read {p}: {exc.strerror}", "check the path"
        ) from exc
    problems: list[dict[str, Any]] = []
    total = 0
    records = 0
    longest = 0

    def add(line: int, code: str, message: str, level: str = "error") -> None:
        nonlocal total
        total += 1
        if len(problems) < MAX_REPORTED:
            problems.append(_problem(line, code, message, level))

    with fh:
        first_char = ""
        number = 0
        for number, raw in enumerate(_lines(fh), start=1):
            line = raw.rstrip("\n")
            if not first_char and line.strip():
                first_char = line.strip()[0]
                if first_char == "[":
                    add(
                        0,
                        "json_array",
                        "the file is a JSON array; trainers expect JSON Lines "
                        "(one object per line, no surrounding [ ])",
                    )
                    break
            if not line.strip():
                add(number, "blank_line", "blank line", level="warning")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                if not raw.endswith("\n"):
                    add(number, "partial_line", "the last line is cut off (not complete JSON)")
                else:
                    add(number, "invalid_json", f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            records += 1
            for code, message in layout.problems(rec):
                add(number, code, message, level="warning" if code in WARNING_CODES else "error")
            if max_seq_len and isinstance(rec, dict):
                try:
                    if line_tokens is not None and number <= len(line_tokens):
                        n = line_tokens[number - 1]
                    else:
                        n = counter.count(layout.record_text(rec))
                except (TypeError, AttributeError):
                    continue
                longest = max(longest, n)
                if n > max_seq_len:
                    add(number, "too_long", f"{n} tokens, over max_seq_len {max_seq_len}")
        if number == 0 or (records == 0 and first_char != "["):
            add(0, "empty_file", "the file holds no records")
    if total > len(problems):
        problems.append(
            _problem(0, "truncated", f"{total - len(problems)} more problems not listed")
        )
    return {
        "path": str(p),
        "format": fmt,
        "records": records,
        "problems": problems,
        "problem_count": total,
        "errors": sum(1 for x in problems if x["level"] == "error"),
        "max_tokens": longest if max_seq_len else None,
        "tokenizer": counter.name,
    }


def _lines(fh: Any) -> Any:
    """Lines split on ``\\n`` only (JSON strings may hold other line separators)."""
    buf = ""
    while True:
        block = fh.read(1 << 16)
        if not block:
            break
        buf += block
        *complete, buf = buf.split("\n")
        for line in complete:
            yield line + "\n"
    if buf:
        yield buf
