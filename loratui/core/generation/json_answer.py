"""From a model's reply text to the JSON value it holds, whatever was wrapped around it.

Small and reasoning models rarely reply with JSON alone. In order:

1. **Reasoning is removed, never parsed.** Every ``<think>…</think>`` block goes (also
   ``<thinking>``, ``<reasoning>``, ``<thought>``; any case). A closing tag without an
   opening one (chat templates that put ``<think>`` in the prompt) means everything before
   it was reasoning. An opening tag never closed (thinking cut at ``max_tokens``) means
   everything after it is reasoning: a draft there is not an answer.
2. **Fenced blocks first**: the body of each Markdown code fence (```json or bare), then
   the whole text.
3. **Strict JSON, then around it, then repaired**: the candidate as JSON; else, at each
   ``{`` or ``[`` in turn, the value that decodes there strictly (text before and after
   is ignored), or else json-repair's reading of the text from there (single quotes, bare
   keys, trailing commas, a cut-off end, comments).

Only a JSON object or a list holding objects is an answer (``[1]`` in prose is not), and
the caller may be stricter (``accept``: a list of pairs, a score).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import json_repair

_TAGS = "think|thinking|reasoning|thought"
_BLOCK = re.compile(rf"<({_TAGS})\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_OPEN = re.compile(rf"<(?:{_TAGS})\b[^>]*>", re.IGNORECASE)
_CLOSE = re.compile(rf"</(?:{_TAGS})\s*>", re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_MAX_STARTS = 50  # where to try decoding: the first this many braces and brackets


@dataclass(frozen=True)
class JsonFound:
    """What a reply held: a JSON value, or why there is none."""

    value: Any = None
    error: str | None = None  # empty_answer, only_reasoning, no_json
    message: str | None = None
    repaired: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def strip_reasoning(text: str) -> tuple[str, list[str]]:
    """``text`` without its reasoning, and notes on what was removed."""
    notes = []
    body, n = _BLOCK.subn("", text)
    if n:
        notes.append(f"removed {n} reasoning block(s)")
    closes = list(_CLOSE.finditer(body))
    if closes:
        body = body[closes[-1].end() :]
        notes.append("removed reasoning before a closing tag")
    opened = _OPEN.search(body)
    if opened:
        body = body[: opened.start()]
        notes.append("removed an unfinished reasoning block")
    return body, notes


def find_json(text: str, accept: Callable[[Any], bool] | None = None) -> JsonFound:
    """The JSON value in a reply's text (see the module docstring for how).

    ``accept`` says whether a decoded value is the answer (say, "holds a list of pairs");
    a value it refuses is passed over and the search goes on.
    """
    if not text or not text.strip():
        return JsonFound(error="empty_answer", message="the model's answer is empty")
    body, notes = strip_reasoning(text)
    if not body.strip():
        return JsonFound(
            error="only_reasoning",
            message="the answer is only reasoning (a <think> block), with no JSON after it",
            notes=tuple(notes),
        )
    fences = [m.group(1) for m in _FENCE.finditer(body) if m.group(1).strip()]
    ok = accept or _is_answer
    for n, candidate in enumerate([*fences, body]):
        where = ["took the JSON out of a code fence"] if n < len(fences) else []
        value, repaired = _decode(candidate, ok)
        if value is not None:
            more = ["repaired near-JSON"] if repaired else []
            return JsonFound(value=value, repaired=repaired, notes=(*notes, *where, *more))
    return JsonFound(
        error="no_json",
        message="the answer holds no JSON answer: " + _preview(body),
        notes=tuple(notes),
    )


def _is_answer(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    return isinstance(value, list) and bool(value) and any(isinstance(v, dict) for v in value)


def _decode(text: str, ok: Callable[[Any], bool]) -> tuple[Any, bool]:
    """(value, repaired): the whole text as JSON; else, at each ``{`` or ``[`` in turn, the
    value that decodes there, strictly or else repaired; (None, False) when none is ok."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if value is not None and _is_answer(value) and ok(value):
        return value, False
    decoder = json.JSONDecoder()
    skip_to = 0
    for m in list(re.finditer(r"[{\[]", text))[:_MAX_STARTS]:
        at = m.start()
        if at < skip_to:
            continue  # inside a value that decoded (and was not the answer)
        try:
            value, end = decoder.raw_decode(text, at)
        except ValueError:
            value = _repair(text[at:])
            if value is not None and ok(value):
                return value, True
            continue
        if _is_answer(value) and ok(value):
            return value, False
        skip_to = end
    return None, False


def _repair(text: str) -> Any:
    try:
        value = json_repair.repair_json(text, return_objects=True)
    except Exception:  # noqa: BLE001 - a repair library failing is "no JSON", not a crash
        return None
    return value if _is_answer(value) else None


def _preview(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
