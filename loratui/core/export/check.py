"""Read a JSONL file the way a LoRA trainer would, and list what would make it choke.

Every line must be a JSON object with the format's keys; strings non-empty; conversations
start with the user (after an optional system turn), alternate, and end with the assistant;
no record over ``max_seq_len`` tokens. A JSON array where JSON Lines are expected and a
trailing partial line are reported too. Each export runs this before a version is final.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loratui.core.errors import LoratuiError
from loratui.core.export.formats import record_text
from loratui.core.export.tokenizer import Counter, get_counter

MAX_REPORTED = 200
ROLES = {
    "messages": ("role", "content", {"system": "system", "user": "user", "assistant": "assistant"}),
    "sharegpt": ("from", "value", {"system": "system", "human": "user", "gpt": "assistant"}),
}
REQUIRED = {
    "text": ("text",),
    "prompt-completion": ("prompt", "completion"),
    "messages": ("messages",),
    "sharegpt": ("conversations",),
    "alpaca": ("instruction", "input", "output"),
}
OPTIONAL = {"sharegpt": ("system",), "alpaca": ("system",)}
MAY_BE_EMPTY = {"input", "system"}


def _problem(line: int, code: str, message: str, level: str = "error") -> dict[str, Any]:
    return {"line": line, "code": code, "level": level, "message": message}


def record_problems(rec: Any, fmt: str) -> list[tuple[str, str]]:
    """``(code, message)`` for each way ``rec`` is not a valid ``fmt`` record."""
    if not isinstance(rec, dict):
        return [("not_object", "the line is not a JSON object")]
    out: list[tuple[str, str]] = []
    required = REQUIRED[fmt]
    allowed = set(required) | set(OPTIONAL.get(fmt, ()))
    for key in required:
        if key not in rec:
            near = [k for k in rec if k not in allowed]
            hint = f" (found {', '.join(map(repr, near))})" if near else ""
            out.append(("missing_key", f"missing key {key!r}{hint}"))
    for key in rec:
        if key not in allowed:
            out.append(("unexpected_key", f"unexpected key {key!r} for the {fmt} format"))
    for key in allowed:
        if key not in rec or key in ROLES_KEYS:
            continue
        value = rec[key]
        if not isinstance(value, str):
            out.append(("not_string", f"{key!r} must be a string, not {_type(value)}"))
        elif not value.strip() and key not in MAY_BE_EMPTY:
            out.append(("empty", f"{key!r} is empty"))
    if fmt in ROLES:
        out += _turn_problems(rec.get(REQUIRED[fmt][0]), fmt)
    return out


ROLES_KEYS = {"messages", "conversations"}


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _turn_problems(turns: Any, fmt: str) -> list[tuple[str, str]]:
    if turns is None:
        return []
    role_key, content_key, names = ROLES[fmt]
    if not isinstance(turns, list):
        return [("not_list", f"the turns must be a list, not {_type(turns)}")]
    if not turns:
        return [("empty", "the conversation has no turns")]
    out: list[tuple[str, str]] = []
    roles: list[str] = []
    for i, t in enumerate(turns, start=1):
        if not isinstance(t, dict):
            out.append(("not_object", f"turn {i} is not an object"))
            continue
        role = names.get(t.get(role_key))  # type: ignore[arg-type]
        if role is None:
            out.append(
                ("bad_role", f"turn {i} has {role_key}={t.get(role_key)!r}; use {', '.join(names)}")
            )
            continue
        content = t.get(content_key)
        if not isinstance(content, str):
            out.append(("not_string", f"turn {i} {content_key!r} is {_type(content)}"))
        elif not content.strip():
            out.append(("empty", f"turn {i} has empty {content_key!r}"))
        extra = set(t) - {role_key, content_key}
        if extra:
            out.append(("unexpected_key", f"turn {i} has unexpected key(s) {sorted(extra)}"))
        roles.append(role)
    if out:
        return out
    body = roles[1:] if roles and roles[0] == "system" else roles
    if "system" in body:
        out.append(("system_not_first", "a system turn may only come first"))
    elif not body:
        out.append(("empty", "the conversation has only a system turn"))
    else:
        if body[0] != "user":
            out.append(("first_not_user", "the first turn (after system) must be the user"))
        for a, b in zip(body, body[1:], strict=False):
            if a == b:
                out.append(("not_alternating", f"two {a} turns in a row"))
                break
        if body[-1] != "assistant":
            out.append(("last_not_assistant", "the conversation must end with the assistant"))
    return out


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
    if fmt not in REQUIRED:
        raise LoratuiError(
            "invalid", f"unknown format {fmt!r}", f"use one of {', '.join(REQUIRED)}"
        )
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
            for code, message in record_problems(rec, fmt):
                add(number, code, message, level="warning" if code == "unexpected_key" else "error")
            if max_seq_len and isinstance(rec, dict):
                try:
                    if line_tokens is not None and number <= len(line_tokens):
                        n = line_tokens[number - 1]
                    else:
                        n = counter.count(record_text(rec, fmt))
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
