"""A model's reply to validated pairs, or a reason why not, with the raw text always kept.

``parse_pairs`` never raises: a reply that yields no valid pair is a ``ParsedPairs`` with
an ``error`` code and a message a user can read, and ``raw`` keeps the text for the
quarantine. The codes:

- ``empty_answer``: no text at all (with ``finish_reason == "length"``: the model spent
  ``max_tokens`` before answering, often on reasoning);
- ``only_reasoning``: a ``<think>`` block and nothing after it;
- ``no_json``: no JSON object or list could be found or repaired;
- ``wrong_shape``: JSON, but no pair with both turns in it.

When the reply was cut at ``max_tokens`` (``finish_reason == "length"``) and the JSON had
to be repaired, the last item is dropped: it is the one the cut went through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loratui.core.generation.json_answer import find_json
from loratui.core.generation.pair_schema import Pair, pair_items, validate_items

_CUT_HINT = " (the reply was cut at max_tokens: raise max_tokens)"


@dataclass(frozen=True)
class ParsedPairs:
    """The pairs found in one reply, or why there are none."""

    raw: str
    pairs: tuple[Pair, ...] = ()
    error: str | None = None
    message: str | None = None
    repaired: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_pairs(content: str, *, finish_reason: str | None = None) -> ParsedPairs:
    """The pairs in a reply's content (never its reasoning, which the client keeps apart)."""
    cut = finish_reason == "length"
    found = find_json(content, accept=lambda v: pair_items(v) is not None)
    notes = list(found.notes)
    if found.error is not None:
        message = (found.message or found.error) + (_CUT_HINT if cut else "")
        return ParsedPairs(raw=content, error=found.error, message=message, notes=tuple(notes))
    items = pair_items(found.value) or []
    if cut and found.repaired and items:
        items = items[:-1]
        notes.append("dropped the last pair: the reply was cut at max_tokens")
    pairs, dropped = validate_items(items)
    notes.extend(dropped)
    if not pairs:
        detail = "; ".join(dropped) if dropped else "no pairs"
        return ParsedPairs(
            raw=content,
            error="wrong_shape",
            message=f"the JSON holds no pair with both a question and an answer ({detail})"
            + (_CUT_HINT if cut else ""),
            repaired=found.repaired,
            notes=tuple(notes),
        )
    return ParsedPairs(raw=content, pairs=tuple(pairs), repaired=found.repaired, notes=tuple(notes))
