"""The shape of an answer: pairs of a user turn and an assistant turn, validated by pydantic.

What is asked for: ``{"pairs": [{"question": str, "answer": str}]}`` (the instruction
template asks for ``instruction`` / ``response``). What is accepted, since models drift:

- the list under ``pairs``, or ``qa_pairs``, ``questions``, ``items``, ``data``,
  ``results``, ``examples``, ``qa``, ``instructions`` (any case), or under the only key of
  an object whose value is a list; a bare list of pairs; one pair object alone;
- in a pair, the user turn under ``question``, ``q``, ``instruction``, ``prompt``,
  ``query``, ``user``, ``input`` and the assistant turn under ``answer``, ``a``,
  ``response``, ``output``, ``completion``, ``assistant``, ``reply`` (any case, the first
  found in this order); Alpaca's ``instruction`` + ``input`` are joined by a blank line;
- numbers as text (an answer ``1887`` becomes ``"1887"``); whitespace stripped.

A pair without both turns, or with an empty one, is dropped with a note; the others stay.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

QUESTION_KEYS = ("question", "q", "instruction", "prompt", "query", "user", "input")
ANSWER_KEYS = ("answer", "a", "response", "output", "completion", "assistant", "reply")
LIST_KEYS = (
    "pairs",
    "qa_pairs",
    "questions",
    "items",
    "data",
    "results",
    "examples",
    "qa",
    "instructions",
)


class Pair(BaseModel):
    """One pair: the user turn (``question``) and the assistant turn (``answer``)."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True, frozen=True)

    question: str
    answer: str

    @model_validator(mode="before")
    @classmethod
    def _key_variants(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        low = {str(k).strip().lower(): v for k, v in data.items()}
        question = _first(low, QUESTION_KEYS)
        if "instruction" in low and question is low["instruction"] and _filled(low.get("input")):
            question = f"{low['instruction']}\n\n{low['input']}"
        return {"question": question, "answer": _first(low, ANSWER_KEYS)}

    @field_validator("question", "answer")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("is empty")
        return value


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if _filled(data.get(key)):
            return data[key]
    return None


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def pair_items(value: Any) -> list[Any] | None:
    """The list of would-be pairs in a decoded answer, or ``None`` when it has none."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        return None
    low = {str(k).strip().lower(): v for k, v in value.items()}
    for key in LIST_KEYS:
        found = low.get(key)
        if isinstance(found, list):
            return found
        if isinstance(found, dict):
            return [found]
    lists = [v for v in value.values() if isinstance(v, list)]
    if len(value) == 1 and len(lists) == 1:
        return lists[0]
    if _first(low, QUESTION_KEYS) is not None or _first(low, ANSWER_KEYS) is not None:
        return [value]  # one pair alone
    return None


def validate_pairs(value: Any) -> tuple[list[Pair], list[str]]:
    """The valid pairs in a decoded answer, and a note per item dropped."""
    items = pair_items(value)
    if items is None:
        return [], ["no list of pairs in the answer"]
    return validate_items(items)


def validate_items(items: list[Any]) -> tuple[list[Pair], list[str]]:
    """The valid pairs among ``items``, and a note per item dropped."""
    pairs: list[Pair] = []
    notes: list[str] = []
    for n, item in enumerate(items, 1):
        try:
            pairs.append(Pair.model_validate(item))
        except ValidationError as exc:
            notes.append(f"pair {n} dropped: {_why(exc)}")
    return pairs, notes


def _why(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e.get("loc", ()))
        msg = e.get("msg", "invalid")
        if e.get("type") in ("string_type", "none_required") and e.get("input") is None:
            msg = "missing"
        parts.append(f"{where} {msg}".strip())
    return "; ".join(parts)


def response_schema(question_key: str = "question", answer_key: str = "answer") -> dict[str, Any]:
    """The JSON schema sent as ``response_format`` (strict-mode friendly: every property
    required, no others allowed)."""
    pair = {
        "type": "object",
        "properties": {question_key: {"type": "string"}, answer_key: {"type": "string"}},
        "required": [question_key, answer_key],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"pairs": {"type": "array", "items": pair, "minItems": 1}},
        "required": ["pairs"],
        "additionalProperties": False,
    }
